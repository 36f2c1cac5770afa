package {{ package_id }}

import kotlin.math.abs
import kotlin.math.exp

/** One class and its probability. */
data class Prediction(val index: Int, val probability: Float)

/** The desktop's output for the bundled sample (assets/expected.json). */
class Expected(val top1Index: Int, val logits: FloatArray)

/** How the app's output compares with the desktop's. */
data class SelfTestResult(val passed: Boolean, val maxDiff: Float, val sameTop1: Boolean)

/** Output maths: softmax, top-k, median latency and the self-test. Pure Kotlin. */
object SelfTest {
    fun softmax(logits: FloatArray): FloatArray {
        val max = logits.maxOrNull() ?: return logits
        val exps = DoubleArray(logits.size) { exp((logits[it] - max).toDouble()) }
        val sum = exps.sum()
        return FloatArray(logits.size) { (exps[it] / sum).toFloat() }
    }

    fun topK(probs: FloatArray, k: Int): List<Prediction> =
        probs.indices.sortedWith(compareByDescending<Int> { probs[it] }.thenBy { it })
            .take(k)
            .map { Prediction(it, probs[it]) }

    fun median(values: List<Double>): Double {
        val s = values.sorted()
        val mid = s.size / 2
        return if (s.size % 2 == 1) s[mid] else (s[mid - 1] + s[mid]) / 2.0
    }

    fun argmax(values: FloatArray): Int {
        var best = 0
        for (i in 1 until values.size) if (values[i] > values[best]) best = i
        return best
    }

    /** Same top-1 as the desktop and no logit further than [tolerance] from it. */
    fun compare(logits: FloatArray, expected: Expected, tolerance: Float): SelfTestResult {
        if (logits.size != expected.logits.size) return SelfTestResult(false, Float.POSITIVE_INFINITY, false)
        var maxDiff = 0f
        for (i in logits.indices) maxDiff = maxOf(maxDiff, abs(logits[i] - expected.logits[i]))
        val sameTop1 = argmax(logits) == expected.top1Index
        return SelfTestResult(sameTop1 && maxDiff <= tolerance, maxDiff, sameTop1)
    }
}
