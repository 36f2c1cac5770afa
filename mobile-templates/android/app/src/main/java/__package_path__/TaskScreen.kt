package {{ package_id }}

import android.app.Activity
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Paint
import android.util.Log
import android.widget.ImageView
import android.widget.ProgressBar
import android.widget.TextView
import org.json.JSONObject
import java.util.Locale

/** The views a task screen fills (MainActivity's; [outputs]: TensorScreen's output rows). */
class TaskViews(
    val status: TextView,
    val image: ImageView,
    val source: TextView,
    val latency: TextView,
    val selfTest: TextView,
    val rows: List<Triple<TextView, ProgressBar, TextView>>,
    val outputs: TextView? = null,
)

/**
 * The desktop's task output for the bundled sample (assets/expected.json): the mask
 * (segmentation) or the post-processed detections, and the least agreement the self-test
 * accepts ([minAgreement], with [reason]).
 */
class TaskExpected(
    val mask: IntArray?,
    val detections: List<Detection>,
    val minAgreement: Float,
    val reason: String,
) {
    companion object {
        /** Read defensively: missing fields give an empty expectation and the default floor. */
        fun parse(text: String): TaskExpected {
            val json = JSONObject(text)
            val mask = json.optJSONObject("mask")?.let { m ->
                val data = m.getJSONArray("data")
                IntArray(data.length()) { data.getDouble(it).toInt() }
            }
            val dets = ArrayList<Detection>()
            val found = if (json.optJSONObject("detections_flat") != null) json.optJSONObject("detections_flat") else null
            val listed = json.optJSONArray("detections")  // a tensors app's expected.json
            if (found == null && listed != null) {
                for (i in 0 until listed.length()) {
                    val d = listed.getJSONObject(i)
                    val box = d.getJSONArray("box")
                    dets.add(Detection(FloatArray(4) { box.getDouble(it).toFloat() }, d.optDouble("score", 0.0).toFloat(), d.getInt("label")))
                }
            }
            if (found != null) {
                val boxes = found.getJSONArray("boxes")
                val scores = found.getJSONArray("scores")
                val labels = found.getJSONArray("labels")
                for (i in 0 until scores.length()) {
                    val box = FloatArray(4) { boxes.getDouble(i * 4 + it).toFloat() }
                    dets.add(Detection(box, scores.getDouble(i).toFloat(), labels.getDouble(i).toInt()))
                }
            }
            // The least agreement: tolerance.agreement (or min_agreement) when the tolerance
            // says so, else agreement.min, else 0.99 for fp32 programs and 0.95 otherwise.
            val tolerance = json.optJSONObject("tolerance")
            val agreement = json.optJSONObject("agreement")
            var min = Double.NaN
            for (key in listOf("agreement", "min_agreement")) {
                val v = tolerance?.optDouble(key, Double.NaN) ?: Double.NaN
                if (min.isNaN() && v in 0.0..1.0) min = v
            }
            val given = agreement?.optDouble("min", Double.NaN) ?: Double.NaN
            if (min.isNaN() && given in 0.0..1.0) min = given
            if (min.isNaN()) min = if ((tolerance?.optString("kind", "absolute") ?: "absolute") == "absolute") 0.99 else 0.95
            val reason = agreement?.optString("reason", "") ?: ""
            return TaskExpected(mask, dets, min.toFloat(), reason)
        }
    }
}

/** A task self-test: [agreement] of the app's output with the desktop's, at least [min]. */
data class TaskSelfTest(val agreement: Float, val min: Float, val what: String) {
    val passed: Boolean get() = agreement >= min  // NaN fails

    fun verdict(): String = String.format(
        Locale.US, "self-test %s (%s %.4f, needs >= %.2f)", if (passed) "passed" else "failed", what, agreement, min,
    )
}

/**
 * Segmentation and detection on the phone: run the model, turn its outputs into a mask or
 * boxes (Segmentation.kt, Detection.kt), draw them over the image with a legend, and compare
 * the bundled sample's result with the desktop's.
 */
object TaskScreen {
    private var expected: TaskExpected? = null
    private var labels: List<String> = emptyList()

    /** On the worker thread: the model's outputs for [bitmap], shown in [views]. */
    fun runOnWorker(activity: Activity, model: Classifier, bitmap: Bitmap, sourceText: String, isSample: Boolean, views: TaskViews) {
        try {
            if (expected == null) expected = TaskExpected.parse(AppAssets.text(activity, "expected.json"))
            if (labels.isEmpty()) labels = AppAssets.labels(activity)
            activity.runOnUiThread { views.status.text = "Running…" }
            val input = BitmapInput.toInput(bitmap)
            val outputs = model.runAll(input)
            val latency = SelfTest.medianLatency(AppInfo.WARMUP_RUNS, AppInfo.BENCHMARK_RUNS) { model.runAll(input) }
            val shown = BitmapInput.fit(bitmap)
            val width = AppInfo.INPUT_SHAPE[AppInfo.INPUT_SHAPE.size - 1].toInt()
            val height = AppInfo.INPUT_SHAPE[AppInfo.INPUT_SHAPE.size - 2].toInt()
            if (TaskSpec.TASK == "segmentation") {
                val logits = outputs[TaskSpec.TASK_OUTPUT]
                val maskW = TaskSpec.MASK_WIDTH
                val maskH = TaskSpec.MASK_HEIGHT
                val mask = SegmentationMask.argmax(logits, maxOf(1, logits.size / (maskW * maskH)))
                val test = if (isSample) expected?.mask?.let {
                    TaskSelfTest(SegmentationMask.agreement(mask, it), expected!!.minAgreement, "pixel agreement")
                } else null
                if (test != null) Log.i("DeployStudio", "{\"task\":\"segmentation\",\"selftest\":\"${if (test.passed) "passed" else "failed"}\",\"agreement\":${test.agreement},\"latency_ms\":$latency}")
                val pixels = IntArray(shown.width * shown.height)
                shown.getPixels(pixels, 0, shown.width, 0, 0, shown.width, shown.height)
                val blended = SegmentationMask.overlay(pixels, shown.width, shown.height, mask, maskW, maskH)
                val drawn = Bitmap.createBitmap(blended, shown.width, shown.height, Bitmap.Config.ARGB_8888)
                val legend = SegmentationMask.legend(mask).map { (c, n) -> Triple(c, label(c), n.toFloat() / mask.size) }
                activity.runOnUiThread { show(views, drawn, sourceText, latency, test, legend, "Segmentation: " + legend.joinToString(", ") { it.second }) }
            } else {
                val spec = TaskSpec.POSTPROCESS
                val labelsOut = if (TaskSpec.LABELS_OUTPUT >= 0) outputs[TaskSpec.LABELS_OUTPUT] else null
                val dets = DetectionPostProcess.run(outputs[TaskSpec.BOXES_OUTPUT], outputs[TaskSpec.SCORES_OUTPUT], spec, labelsOut)
                val test = if (isSample) expected?.let {
                    TaskSelfTest(DetectionPostProcess.agreement(dets, it.detections), it.minAgreement, "matched-box agreement")
                } else null
                if (test != null) Log.i("DeployStudio", "{\"task\":\"detection\",\"selftest\":\"${if (test.passed) "passed" else "failed"}\",\"agreement\":${test.agreement},\"detections\":${dets.size},\"latency_ms\":$latency}")
                val drawn = drawBoxes(shown, dets, width, height)
                val rows = dets.map { Triple(it.label, label(it.label), it.score) }
                activity.runOnUiThread { show(views, drawn, sourceText, latency, test, rows, "Detections: ${dets.size}") }
            }
        } catch (e: Exception) {
            Log.e("DeployStudio", "the model failed", e)
            activity.runOnUiThread { views.status.text = "Error: " + (e.message ?: e.javaClass.simpleName) }
        }
    }

    private fun label(index: Int): String = labels.getOrElse(index) { "#$index" }

    /** Boxes (input pixels) scaled to a 336-pixel-wide copy of [image], with label and score. */
    private fun drawBoxes(image: Bitmap, dets: List<Detection>, inputWidth: Int, inputHeight: Int): Bitmap {
        val side = 336
        val out = Bitmap.createScaledBitmap(image, side, side * image.height / image.width, false).copy(Bitmap.Config.ARGB_8888, true)
        val sx = out.width.toFloat() / inputWidth
        val sy = out.height.toFloat() / inputHeight
        val canvas = Canvas(out)
        val stroke = Paint(Paint.ANTI_ALIAS_FLAG).apply { style = Paint.Style.STROKE; strokeWidth = 3f }
        val text = Paint(Paint.ANTI_ALIAS_FLAG).apply { style = Paint.Style.FILL; textSize = 22f }
        for (d in dets) {
            stroke.color = SegmentationMask.color(d.label + 1)
            text.color = stroke.color
            canvas.drawRect(d.box[0] * sx, d.box[1] * sy, d.box[2] * sx, d.box[3] * sy, stroke)
            val caption = String.format(Locale.US, "%s %.2f", label(d.label), d.score)
            canvas.drawText(caption, d.box[0] * sx + 4f, maxOf(d.box[1] * sy - 6f, 20f), text)
        }
        return out
    }

    /** [rows]: (class, label, fraction of pixels or score), the legend / detections list. */
    private fun show(views: TaskViews, bitmap: Bitmap, sourceText: String, latencyMs: Double, test: TaskSelfTest?, rows: List<Triple<Int, String, Float>>, summary: String) {
        val side = 336
        views.image.setImageBitmap(if (bitmap.width == side) bitmap else Bitmap.createScaledBitmap(bitmap, side, side * bitmap.height / bitmap.width, false))
        views.source.text = sourceText
        views.rows.forEachIndexed { i, (label, bar, pct) ->
            val row = rows.getOrNull(i)
            label.text = row?.second ?: ""
            row?.let { label.setTextColor(SegmentationMask.color(if (TaskSpec.TASK == "detection") it.first + 1 else it.first)) }
            bar.progress = row?.let { (it.third * 1000).toInt() } ?: 0
            pct.text = row?.let { String.format(Locale.US, "%.1f%%", it.third * 100) } ?: ""
        }
        views.latency.text = ExecutionProvider.latencyText(latencyMs, AppInfo.BENCHMARK_RUNS)
        views.status.text = summary
        if (test != null) {
            views.selfTest.text = test.verdict() + (expected?.reason?.let { "\n" + it } ?: "")
            views.selfTest.setTextColor(if (test.passed) 0xFF2E7D32.toInt() else 0xFFC62828.toInt())
        }
    }
}
