package {{ package_id }}

import android.app.Activity
import android.graphics.Bitmap
import android.util.Log
import android.view.View
import android.widget.TextView
import org.json.JSONObject
import java.util.Locale

/** expected.json of a model fed tensors (core.apps.task_app_parts): the desktop's every output. */
object TensorExpected {
    fun outputs(text: String): List<ExpectedOutput> {
        val outputs = JSONObject(text).optJSONArray("outputs") ?: return emptyList()
        return List(outputs.length()) { i ->
            val item = outputs.getJSONObject(i)
            val shape = item.getJSONArray("shape")
            val data = item.getJSONArray("data")
            // getDouble reads NaN / Infinity too (Python's json writes them as bare words)
            ExpectedOutput(
                item.optString("name", "output $i"),
                LongArray(shape.length()) { shape.getLong(it) },
                FloatArray(data.length()) { data.getDouble(it).toFloat() },
            )
        }
    }
}

/**
 * The app of a model fed its bundled sample's input tensors (TaskSpec.FEEDS_TENSORS): token
 * ids, table rows, several inputs, any task. There is no image input: [prepare] hides the
 * picker and camera buttons. On start (and on "Run sample") [runOnWorker] feeds the tensors
 * of sample_inputs.json in their own dtypes, times BENCHMARK_RUNS runs and shows the self-test
 * (segmentation: pixel agreement; detection: matched-box agreement; otherwise every output
 * against expected.json, TensorCheck.kt), one row per output and a classifier's top classes.
 */
object TensorScreen {
    /** On the UI thread (onCreate): no image input for this model. */
    fun prepare(views: TaskViews, imageButtons: List<View>) {
        imageButtons.forEach { it.setVisibility(View.GONE) }
        if (TaskSpec.KIND == "tensors") views.image.setVisibility(View.GONE)
        views.outputs?.setVisibility(View.VISIBLE)
        views.source.text = "bundled sample tensors"
    }

    /** On the worker thread: run the bundled sample's tensors and show the result in [views]. */
    fun runOnWorker(activity: Activity, model: Classifier, views: TaskViews) {
        try {
            activity.runOnUiThread { views.status.text = "Running the bundled sample…" }
            val inputs = SampleInputs.load(activity)
            val text = AppAssets.text(activity, "expected.json")
            val expected = TensorExpected.outputs(text)
            val labels = AppAssets.labels(activity)
            val outputs = model.runTensors(inputs)
            val latency = SelfTest.medianLatency(AppInfo.WARMUP_RUNS, AppInfo.BENCHMARK_RUNS) { model.runTensors(inputs) }
            val outcome = TensorCheck.summarise(
                outputs, expected, AppInfo.TOLERANCE.abs, if (AppInfo.TOLERANCE.relative) AppInfo.TOLERANCE.rel else 0f,
            )
            val lines = outcome.rows.map { TensorCheck.rowText(it) }
            val source = "bundled sample tensors: " + SampleInputs.describe(inputs)
            when (TaskSpec.KIND) {
                "segmentation" -> segmentation(activity, views, outputs, TaskExpected.parse(text), labels, latency, source, lines)
                "detection" -> detection(activity, views, outputs, TaskExpected.parse(text), labels, latency, source, lines)
                else -> {
                    Log.i("DeployStudio", TensorCheck.logLine(outcome, latency))
                    val rows = if (TaskSpec.TASK == "classification" && TaskSpec.TASK_OUTPUT < outputs.size) {
                        TensorCheck.topClasses(outputs[TaskSpec.TASK_OUTPUT], labels, 3)
                    } else emptyList()
                    val summary = rows.firstOrNull()?.let { "Prediction: " + it.second }
                        ?: "Outputs: ${outputs.size} (${TaskSpec.TASK})"
                    activity.runOnUiThread {
                        show(views, source, latency, rows, summary, lines)
                        verdict(views, TensorCheck.verdict(outcome), outcome.passed)
                    }
                }
            }
        } catch (e: Exception) {
            Log.e("DeployStudio", "the model failed", e)
            activity.runOnUiThread { views.status.text = "Error: " + (e.message ?: e.javaClass.simpleName) }
        }
    }

    private fun segmentation(
        activity: Activity, views: TaskViews, outputs: List<FloatArray>, expected: TaskExpected,
        labels: List<String>, latency: Double, source: String, lines: List<String>,
    ) {
        val w = TaskSpec.MASK_WIDTH
        val h = TaskSpec.MASK_HEIGHT
        val mask = TaskOutputs.mask(outputs)
        val test = expected.mask?.let { TaskSelfTest(SegmentationMask.agreement(mask, it), expected.minAgreement, "pixel agreement") }
        if (test != null) Log.i("DeployStudio", "{\"task\":\"segmentation\",\"selftest\":\"${if (test.passed) "passed" else "failed"}\",\"agreement\":${SelfTest.jsonNumber(test.agreement.toDouble())},\"latency_ms\":$latency}")
        val colors = IntArray(mask.size) { SegmentationMask.color(mask[it]) }
        val side = 336
        val drawn = Bitmap.createScaledBitmap(Bitmap.createBitmap(colors, w, h, Bitmap.Config.ARGB_8888), side, side * h / w, false)
        val legend = SegmentationMask.legend(mask).map { (c, n) -> Triple(c, labels.getOrElse(c) { "#$c" }, n.toFloat() / mask.size) }
        activity.runOnUiThread {
            views.image.setImageBitmap(drawn)
            show(views, source, latency, legend, "Segmentation: " + legend.joinToString(", ") { it.second }, lines)
            test?.let { verdict(views, it.verdict(), it.passed) }
        }
    }

    private fun detection(
        activity: Activity, views: TaskViews, outputs: List<FloatArray>, expected: TaskExpected,
        labels: List<String>, latency: Double, source: String, lines: List<String>,
    ) {
        val dets = TaskOutputs.detections(outputs)
        val test = TaskSelfTest(DetectionPostProcess.agreement(dets, expected.detections), expected.minAgreement, "matched-box agreement")
        Log.i("DeployStudio", "{\"task\":\"detection\",\"selftest\":\"${if (test.passed) "passed" else "failed"}\",\"agreement\":${SelfTest.jsonNumber(test.agreement.toDouble())},\"detections\":${dets.size},\"latency_ms\":$latency}")
        val rows = dets.map { d -> Triple(d.label, labels.getOrElse(d.label) { "#${d.label}" }, d.score) }
        val boxes = dets.map { d ->
            labels.getOrElse(d.label) { "#${d.label}" } + String.format(Locale.US, " %.2f ", d.score) +
                d.box.joinToString(", ", "[", "]") { String.format(Locale.US, "%.1f", it) }
        }
        activity.runOnUiThread {
            show(views, source, latency, rows, "Detections: ${dets.size}", boxes + lines)
            verdict(views, test.verdict(), test.passed)
        }
    }

    /** [rows]: (class, label, probability / fraction / score) in the three top rows. */
    private fun show(views: TaskViews, source: String, latencyMs: Double, rows: List<Triple<Int, String, Float>>, summary: String, lines: List<String>) {
        views.source.text = source
        views.rows.forEachIndexed { i, (label, bar, pct) ->
            val row = rows.getOrNull(i)
            label.text = row?.second ?: ""
            bar.progress = row?.let { (it.third * 1000).toInt() } ?: 0
            pct.text = row?.let { String.format(Locale.US, "%.1f%%", it.third * 100) } ?: ""
        }
        views.latency.text = ExecutionProvider.latencyText(latencyMs, AppInfo.BENCHMARK_RUNS)
        views.status.text = summary
        views.outputs?.text = lines.joinToString("\n")
    }

    private fun verdict(views: TaskViews, text: String, passed: Boolean) {
        views.selfTest.text = text
        views.selfTest.setTextColor(if (passed) 0xFF2E7D32.toInt() else 0xFFC62828.toInt())
    }
}
