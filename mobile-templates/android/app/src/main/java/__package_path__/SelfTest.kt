package {{ package_id }}

import java.util.Locale
import kotlin.math.abs
import kotlin.math.exp

/** One class and its probability. */
data class Prediction(val index: Int, val probability: Float)

/**
 * How far the app's logits may be from the desktop's (expected.json "tolerance", derived from
 * what the desktop measured for this variant). [kind] "absolute" (fp32): max |diff| <= [abs];
 * "top1+relative" (int8, float16): max |diff| <= [rel] x the expected logits' range. Both
 * need the desktop's top-1. [reason] says why, shown under the verdict.
 */
data class Tolerance(val kind: String, val abs: Float, val rel: Float, val reason: String) {
    val relative: Boolean get() = kind == "top1+relative"

    /** The largest |logit - expected| accepted for these expected logits. */
    fun bound(expected: FloatArray): Float {
        if (!relative || expected.isEmpty()) return abs
        return rel * ((expected.maxOrNull() ?: 0f) - (expected.minOrNull() ?: 0f))
    }
}

/** The desktop's output for the bundled sample (assets/expected.json). */
class Expected(val top1Index: Int, val logits: FloatArray, val tolerance: Tolerance? = null)

/** How the app's output compares with the desktop's ([bound]: the largest |diff| accepted). */
data class SelfTestResult(
    val passed: Boolean,
    val maxDiff: Float,
    val sameTop1: Boolean,
    val bound: Float = Float.NaN,
    val relative: Boolean = false,
)

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

    /** [warmup] untimed calls of [run], then the median of [runs] timed ones, in ms. */
    fun medianLatency(warmup: Int, runs: Int, run: () -> Unit): Double {
        repeat(warmup) { run() }
        return median(
            List(runs) {
                val start = System.nanoTime()
                run()
                (System.nanoTime() - start) / 1e6
            },
        )
    }

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

    /** The tolerance to apply: the template's fixed one, else expected.json's, else the default. */
    fun toleranceFor(expected: Expected): Tolerance =
        if (AppInfo.TOLERANCE_FIXED) AppInfo.TOLERANCE else expected.tolerance ?: AppInfo.TOLERANCE

    /** Same top-1 as the desktop and no logit further than [tolerance]'s bound from it. */
    fun compare(logits: FloatArray, expected: Expected, tolerance: Tolerance): SelfTestResult {
        val bound = tolerance.bound(expected.logits)
        if (logits.size != expected.logits.size) {
            return SelfTestResult(false, Float.POSITIVE_INFINITY, false, bound, tolerance.relative)
        }
        var maxDiff = 0f
        for (i in logits.indices) maxDiff = maxOf(maxDiff, abs(logits[i] - expected.logits[i]))
        val sameTop1 = argmax(logits) == expected.top1Index
        // NaN logits give a NaN maxDiff: `NaN <= bound` is false, so the test fails.
        return SelfTestResult(sameTop1 && maxDiff <= bound, maxDiff, sameTop1, bound, tolerance.relative)
    }

    /**
     * What the screen shows: "passed (max diff 1.20e-06, tolerance 1.00e-03)", for int8 /
     * float16 "... tolerance 5.00e-01 = 0.25 x logit range)", and "; top-1 differs" on failure.
     */
    fun verdict(test: SelfTestResult, tolerance: Tolerance): String {
        val word = if (test.passed) "passed" else "failed"
        // An output of another length, NaN or infinite logits: no number to show.
        if (!test.maxDiff.isFinite()) return "$word (max diff: not finite)"
        val rel = if (test.relative) String.format(Locale.US, " = %.2g x logit range", tolerance.rel) else ""
        val top1 = if (test.sameTop1) "" else "; top-1 differs"
        return String.format(Locale.US, "%s (max diff %.2e, tolerance %.2e%s%s)", word, test.maxDiff, test.bound, rel, top1)
    }

    /**
     * The self-test as one line of JSON (logged with the tag DeployStudio). Written here, not
     * with org.json: JSONObject.put(String, double) throws on NaN and infinities (and
     * JSONObject.toString() returns null when such a number got in), so a failing model would
     * show "Error" instead of "self-test failed". Non-finite numbers are written as the
     * strings "NaN", "Infinity" and "-Infinity".
     */
    fun logLine(
        top1Label: String,
        top1Index: Int,
        probs: FloatArray,
        logits: FloatArray,
        test: SelfTestResult,
        latencyMs: Double,
    ): String {
        val out = StringBuilder("{")
        out.append("\"top1\":").append(jsonString(top1Label))
        out.append(",\"top1_index\":").append(top1Index)
        out.append(",\"probs\":").append(probs.joinToString(",", "[", "]") { jsonNumber(it.toDouble()) })
        out.append(",\"logits\":").append(logits.joinToString(",", "[", "]") { jsonNumber(it.toDouble()) })
        out.append(",\"selftest\":").append(jsonString(if (test.passed) "passed" else "failed"))
        out.append(",\"max_diff\":").append(jsonNumber(test.maxDiff.toDouble()))
        out.append(",\"tolerance\":").append(jsonNumber(test.bound.toDouble()))
        out.append(",\"tolerance_kind\":").append(jsonString(if (test.relative) "top1+relative" else "absolute"))
        out.append(",\"latency_ms\":").append(jsonNumber(latencyMs))
        return out.append('}').toString()
    }

    /** A JSON number, or a JSON string for NaN and the infinities (JSON has no such numbers). */
    fun jsonNumber(value: Double): String = if (value.isFinite()) value.toString() else jsonString(value.toString())

    /** A JSON string literal of any text (quotes, backslashes and control characters escaped). */
    fun jsonString(text: String): String {
        val out = StringBuilder("\"")
        for (ch in text) {
            when {
                ch == '"' -> out.append("\\\"")
                ch == '\\' -> out.append("\\\\")
                ch == '\n' -> out.append("\\n")
                ch == '\r' -> out.append("\\r")
                ch == '\t' -> out.append("\\t")
                ch < ' ' || ch == '\u2028' || ch == '\u2029' -> out.append(String.format(Locale.US, "\\u%04x", ch.code))
                else -> out.append(ch)
            }
        }
        return out.append('"').toString()
    }
}
