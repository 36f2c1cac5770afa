package {{ package_id }}

import java.util.Locale
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
        // NaN logits give a NaN maxDiff: `NaN <= tolerance` is false, so the test fails.
        return SelfTestResult(sameTop1 && maxDiff <= tolerance, maxDiff, sameTop1)
    }

    /** What the screen shows: "passed (max diff 1.2e-06, tolerance 1e-03)" or "failed (...)". */
    fun verdict(test: SelfTestResult, tolerance: Float): String {
        val word = if (test.passed) "passed" else "failed"
        // An output of another length, NaN or infinite logits: no number to show.
        if (!test.maxDiff.isFinite()) return "$word (max diff: not finite)"
        return String.format(Locale.US, "%s (max diff %.2e, tolerance %.0e)", word, test.maxDiff, tolerance)
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
