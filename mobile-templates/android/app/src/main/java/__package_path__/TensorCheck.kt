package {{ package_id }}

import java.util.Locale
import kotlin.math.abs
import kotlin.math.sqrt

/** One of the desktop's outputs for the bundled sample (expected.json "outputs"). */
class ExpectedOutput(val name: String, val shape: LongArray, val data: FloatArray)

/**
 * One output of the app compared with the desktop's: [maxDiff] = max |app - desktop|, [bound]
 * = tolerance x max(1, max |desktop|) (fp32), or rel x the desktop output's range (int8 /
 * float16 / Core ML variants), [cosine] of the two vectors; [within] needs both.
 */
class OutputRow(
    val name: String,
    val shape: LongArray,
    val count: Int,
    val first: FloatArray,
    val maxDiff: Float,
    val cosine: Float,
    val bound: Float,
    val within: Boolean,
)

/** Every output's row and the self-test verdict ([passed]: every output within). */
class TensorOutcome(val rows: List<OutputRow>, val passed: Boolean, val maxDiff: Float, val detail: String)

/**
 * The self-test of a model fed its sample's tensors, as the iOS app (TaskResult.summarise) and
 * the Web page (tasks.js) check it: per output, max |diff| <= tolerance x max(1, max |expected|)
 * (or, with [rel] > 0, rel x the expected output's range) and cosine >= 0.999. Pure Kotlin (no Android, no org.json): NaN and infinite outputs fail
 * the test, they never throw.
 */
object TensorCheck {
    const val MIN_COSINE: Float = 0.999f
    const val FIRST_VALUES: Int = 6

    fun compare(got: FloatArray, want: ExpectedOutput, tolerance: Float, rel: Float = 0f): OutputRow {
        val first = got.copyOf(minOf(got.size, FIRST_VALUES))
        if (got.size != want.data.size) {
            return OutputRow(want.name, want.shape, got.size, first, Float.POSITIVE_INFINITY, 0f, tolerance, false)
        }
        var maxDiff = 0f
        var maxAbs = 0f
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for (i in got.indices) {
            val a = got[i]
            val b = want.data[i]
            maxDiff = maxOf(maxDiff, abs(a - b))  // NaN stays NaN: the test fails
            maxAbs = maxOf(maxAbs, abs(b))
            dot += a.toDouble() * b.toDouble()
            na += a.toDouble() * a.toDouble()
            nb += b.toDouble() * b.toDouble()
        }
        val cosine = if (na == 0.0 && nb == 0.0) 1f else (dot / maxOf(sqrt(na * nb), 1e-300)).toFloat()
        val span = (want.data.maxOrNull() ?: 0f) - (want.data.minOrNull() ?: 0f)
        val bound = if (rel > 0f && span > 0f) rel * span else tolerance * maxOf(1f, maxAbs)
        val within = maxDiff <= bound && cosine >= MIN_COSINE  // false for NaN
        return OutputRow(want.name, want.shape, got.size, first, maxDiff, cosine, bound, within)
    }

    /** [outputs] in the desktop's order against expected.json's; a missing output fails. */
    fun summarise(outputs: List<FloatArray>, expected: List<ExpectedOutput>, tolerance: Float, rel: Float = 0f): TensorOutcome {
        val rows = outputs.mapIndexed { i, got ->
            val want = expected.getOrNull(i)
                ?: ExpectedOutput(TaskSpec.OUTPUT_NAMES.getOrElse(i) { "output $i" }, longArrayOf(got.size.toLong()), FloatArray(0))
            compare(got, want, tolerance, rel)
        }
        val passed = rows.size == expected.size && rows.isNotEmpty() && rows.all { it.within }
        var worst = 0f
        for (r in rows) worst = maxOf(worst, r.maxDiff)
        val shown = if (worst.isFinite()) String.format(Locale.US, "%.2e", worst) else "not finite"
        val detail = if (rel > 0f) String.format(
            Locale.US, "max diff %s (tolerance %.2g x each output's range), cosine >= %s", shown, rel, MIN_COSINE,
        ) else String.format(
            Locale.US, "max diff %s (tolerance %.1e x max(1, |output|)), cosine >= %s", shown, tolerance, MIN_COSINE,
        )
        return TensorOutcome(rows, passed, worst, detail)
    }

    fun verdict(outcome: TensorOutcome): String =
        "self-test " + (if (outcome.passed) "passed" else "failed") + " (" + outcome.detail + ")"

    /** "logits [1, 10]: 0.1235, -3.400, … (max diff 1.2e-06)" for the output list. */
    fun rowText(row: OutputRow): String {
        val values = row.first.joinToString(", ") { String.format(Locale.US, "%.4g", it) }
        val more = if (row.count > row.first.size) ", …" else ""
        val diff = if (row.maxDiff.isFinite()) String.format(Locale.US, "%.2e", row.maxDiff) else "not finite"
        val mark = if (row.within) "✓" else "✗"
        return row.name + " " + row.shape.joinToString(", ", "[", "]") + ": " + values + more +
            " (max diff " + diff + ") " + mark
    }

    /** The top [k] classes of a classifier's task output: (index, label, probability). */
    fun topClasses(logits: FloatArray, labels: List<String>, k: Int): List<Triple<Int, String, Float>> =
        SelfTest.topK(SelfTest.softmax(logits), k).map { p ->
            Triple(p.index, labels.getOrElse(p.index) { "#${p.index}" }, p.probability)
        }

    /**
     * The self-test as one line of JSON (Logcat tag DeployStudio), written by hand: org.json
     * refuses NaN and infinities, which a failing model produces.
     */
    fun logLine(outcome: TensorOutcome, latencyMs: Double): String {
        val out = StringBuilder("{\"task\":").append(SelfTest.jsonString(TaskSpec.TASK))
        out.append(",\"selftest\":").append(SelfTest.jsonString(if (outcome.passed) "passed" else "failed"))
        out.append(",\"max_diff\":").append(SelfTest.jsonNumber(outcome.maxDiff.toDouble()))
        out.append(",\"outputs\":[")
        outcome.rows.forEachIndexed { i, r ->
            if (i > 0) out.append(',')
            out.append("{\"name\":").append(SelfTest.jsonString(r.name))
            out.append(",\"max_diff\":").append(SelfTest.jsonNumber(r.maxDiff.toDouble()))
            out.append(",\"cosine\":").append(SelfTest.jsonNumber(r.cosine.toDouble()))
            out.append(",\"within\":").append(r.within)
            out.append(",\"first\":").append(r.first.joinToString(",", "[", "]") { SelfTest.jsonNumber(it.toDouble()) })
            out.append('}')
        }
        out.append("],\"latency_ms\":").append(SelfTest.jsonNumber(latencyMs))
        return out.append('}').toString()
    }
}

/** Model outputs of any element type as floats (ONNX Runtime's OnnxValue.getValue()). */
object OutputValues {
    /**
     * A (nested) Java array of float / double / long / int / byte / short / boolean, or a boxed
     * scalar. [unsigned]: bytes are uint8 (ONNX Runtime returns uint8 tensors as Java's signed bytes).
     */
    fun flatten(value: Any?, unsigned: Boolean = false): FloatArray {
        val out = ArrayList<Float>()
        add(value, out, unsigned)
        return out.toFloatArray()
    }

    private fun add(value: Any?, out: ArrayList<Float>, unsigned: Boolean) {
        when (value) {
            is FloatArray -> value.forEach { out.add(it) }
            is DoubleArray -> value.forEach { out.add(it.toFloat()) }
            is LongArray -> value.forEach { out.add(it.toFloat()) }
            is IntArray -> value.forEach { out.add(it.toFloat()) }
            is ShortArray -> value.forEach { out.add(it.toFloat()) }
            is ByteArray -> value.forEach { out.add(if (unsigned) (it.toInt() and 0xFF).toFloat() else it.toFloat()) }
            is BooleanArray -> value.forEach { out.add(if (it) 1f else 0f) }
            is Array<*> -> value.forEach { add(it, out, unsigned) }
            is Number -> out.add(value.toFloat())
            is Boolean -> out.add(if (value) 1f else 0f)
            else -> throw IllegalStateException("an output of type ${value?.javaClass?.simpleName} cannot be read")
        }
    }
}

/** The mask or the detections of a segmentation / detection model fed tensors (pure Kotlin). */
object TaskOutputs {
    /** Argmax over classes of the task output's per-pixel logits (MASK_HEIGHT x MASK_WIDTH). */
    fun mask(outputs: List<FloatArray>): IntArray {
        val logits = outputs[TaskSpec.TASK_OUTPUT]
        return SegmentationMask.argmax(logits, maxOf(1, logits.size / (TaskSpec.MASK_WIDTH * TaskSpec.MASK_HEIGHT)))
    }

    /** The desktop's post-processing (TaskSpec.POSTPROCESS) of the boxes / scores outputs. */
    fun detections(outputs: List<FloatArray>): List<Detection> {
        val labels = if (TaskSpec.LABELS_OUTPUT >= 0) outputs[TaskSpec.LABELS_OUTPUT] else null
        return DetectionPostProcess.run(outputs[TaskSpec.BOXES_OUTPUT], outputs[TaskSpec.SCORES_OUTPUT], TaskSpec.POSTPROCESS, labels)
    }
}
