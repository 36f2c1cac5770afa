package {{ package_id }}

import android.content.ActivityNotFoundException
import android.content.Intent
import android.graphics.Bitmap
import android.net.Uri
import android.os.Bundle
import android.provider.MediaStore
import android.util.Log
import android.widget.Button
import android.widget.ImageView
import android.widget.ProgressBar
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.core.content.FileProvider
import java.io.File
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * Classifies the bundled sample on start (the self-test), and any image from the gallery or
 * the camera on request. The model runs on one worker thread; views change on the UI thread.
 */
class MainActivity : ComponentActivity() {
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()

    // Touched only on the worker thread.
    private var classifier: Classifier? = null
    private var labels: List<String> = emptyList()
    private var expected: Expected? = null

    private lateinit var statusView: TextView
    private lateinit var imageView: ImageView
    private lateinit var sourceView: TextView
    private lateinit var latencyView: TextView
    private lateinit var selfTestView: TextView
    private lateinit var outputsView: TextView
    private lateinit var rows: List<Triple<TextView, ProgressBar, TextView>>

    private val pickImage = registerForActivityResult(ActivityResultContracts.GetContent()) { uri: Uri? ->
        if (uri != null) classifyUri(uri)
    }
    // A full-size photo written by the camera app into our FileProvider (TakePicturePreview
    // would return a thumbnail). The file is always the same one, so nothing needs to survive
    // the activity being recreated while the camera is open.
    private val takePhoto = registerForActivityResult(ActivityResultContracts.TakePicture()) { saved: Boolean ->
        if (saved) classifyUri(photoUri(), getString(R.string.source_camera))
    }

    // An audio model's screen (AudioScreen.kt: WAV files, recordings), else null.
    private var audioScreen: AudioScreen? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        if (AudioSpec.ENABLED) {
            audioScreen = AudioScreen(this).also { it.start() }
            return
        }
        setContentView(R.layout.activity_main)
        title = AppInfo.APP_NAME
        statusView = findViewById(R.id.status)
        imageView = findViewById(R.id.image)
        sourceView = findViewById(R.id.source)
        latencyView = findViewById(R.id.latency)
        selfTestView = findViewById(R.id.selftest)
        outputsView = findViewById(R.id.outputs)
        rows = listOf(
            Triple(findViewById(R.id.top1_label), findViewById(R.id.top1_bar), findViewById(R.id.top1_pct)),
            Triple(findViewById(R.id.top2_label), findViewById(R.id.top2_bar), findViewById(R.id.top2_pct)),
            Triple(findViewById(R.id.top3_label), findViewById(R.id.top3_bar), findViewById(R.id.top3_pct)),
        )
        findViewById<TextView>(R.id.app_name).text = AppInfo.APP_NAME
        findViewById<Button>(R.id.pick_button).setOnClickListener { pickImage.launch("image/*") }
        val cameraButton = findViewById<Button>(R.id.camera_button)
        // No camera app (emulators, some tablets, work profiles): the button is disabled.
        // (The manifest's <queries> makes camera apps visible to resolveActivity on API 30+.)
        cameraButton.isEnabled = Intent(MediaStore.ACTION_IMAGE_CAPTURE).resolveActivity(packageManager) != null
        cameraButton.setOnClickListener { launchCamera() }
        findViewById<Button>(R.id.sample_button).setOnClickListener { runSample() }
        // A model fed its sample's tensors (token ids, table rows...) takes no image.
        if (TaskSpec.FEEDS_TENSORS) TensorScreen.prepare(taskViews(), listOf(findViewById<Button>(R.id.pick_button), cameraButton))

        worker.execute {
            try {
                labels = AppAssets.labels(this)
                // segmentation / detection read their expected.json in TaskScreen
                if (TaskSpec.TASK == "classification" && !TaskSpec.FEEDS_TENSORS) expected = AppAssets.expected(this)
                classifier = Classifier(this)
{% if runtime == "litert" %}                // LiteRT: which accelerator runs the model (the GPU, or the CPU and why)
                val runtimeText = classifier?.runtimeText()
                runOnUiThread { findViewById<TextView>(R.id.runtime).text = runtimeText }
{% endif %}            } catch (e: Exception) {
                showError(e)
            }
        }
        runSample()
    }

    override fun onDestroy() {
        audioScreen?.close()
        worker.execute { classifier?.close() }
        worker.shutdown()
        super.onDestroy()
    }

    private fun runSample() {
        worker.execute {
            try {
                if (TaskSpec.FEEDS_TENSORS) {
                    classifier?.let { TensorScreen.runOnWorker(this, it, taskViews()) }
                    return@execute
                }
                classifyOnWorker(AppAssets.sample(this), getString(R.string.source_sample), isSample = true)
            } catch (e: Exception) {
                showError(e)
            }
        }
    }

    private fun taskViews() = TaskViews(statusView, imageView, sourceView, latencyView, selfTestView, rows, outputsView)

    /** content:// Uri of the file the camera app writes (res/xml/file_paths.xml: cache/photos/). */
    private fun photoUri(): Uri {
        val file = File(File(cacheDir, "photos").apply { mkdirs() }, "capture.jpg")
        return FileProvider.getUriForFile(this, "$packageName.fileprovider", file)
    }

    private fun launchCamera() {
        try {
            takePhoto.launch(photoUri())
        } catch (e: ActivityNotFoundException) {
            statusView.text = getString(R.string.no_camera)
        }
    }

    private fun classifyUri(uri: Uri, source: String = getString(R.string.source_gallery)) {
        worker.execute {
            try {
                // Upright: ImageDecoder (API 28+) or ExifInterface apply the EXIF orientation.
                val bitmap = ImageFiles.decode(contentResolver, uri)
                classifyOnWorker(bitmap, source, isSample = false)
            } catch (e: Exception) {
                showError(e)
            }
        }
    }

    /** Preprocess, run once for the prediction, then time BENCHMARK_RUNS runs. */
    private fun classifyOnWorker(bitmap: Bitmap, source: String, isSample: Boolean) {
        val model = classifier ?: return
        if (TaskSpec.TASK != "classification") {
            return TaskScreen.runOnWorker(this, model, bitmap, source, isSample, taskViews())
        }
        try {
            runOnUiThread { statusView.text = getString(R.string.loading) }
            val input = BitmapInput.toInput(bitmap)
            val logits = model.run(input)
            val latency = SelfTest.medianLatency(AppInfo.WARMUP_RUNS, AppInfo.BENCHMARK_RUNS) { model.run(input) }
            val probs = SelfTest.softmax(logits)
            val top = SelfTest.topK(probs, 3)
            val tolerance = expected?.let { SelfTest.toleranceFor(it) } ?: AppInfo.TOLERANCE
            val test = if (isSample) expected?.let { SelfTest.compare(logits, it, tolerance) } else null
            if (test != null) logResult(top[0], probs, logits, test, latency)
            val topLabels = top.map { label(it.index) }
            val shown = BitmapInput.fit(bitmap)
            runOnUiThread { show(shown, source, top, topLabels, latency, test, tolerance) }
        } catch (e: Exception) {
            showError(e)
        }
    }

    private fun show(
        bitmap: Bitmap,
        source: String,
        top: List<Prediction>,
        topLabels: List<String>,
        latencyMs: Double,
        test: SelfTestResult?,
        tolerance: Tolerance,
    ) {
        // Nearest-neighbour upscaling keeps a small model input crisp on screen.
        val side = 336
        imageView.setImageBitmap(Bitmap.createScaledBitmap(bitmap, side, side * bitmap.height / bitmap.width, false))
        sourceView.text = source
        rows.forEachIndexed { i, (label, bar, pct) ->
            val p = top.getOrNull(i)
            label.text = topLabels.getOrNull(i) ?: ""
            bar.progress = p?.let { (it.probability * 1000).toInt() } ?: 0
            pct.text = p?.let { String.format(Locale.US, "%.1f%%", it.probability * 100) } ?: ""
        }
        latencyView.text = ExecutionProvider.latencyText(latencyMs, AppInfo.BENCHMARK_RUNS)
        statusView.text = "Prediction: " + topLabels[0]
        if (test != null) {
            // the verdict, then why this tolerance (fp32: absolute; int8 / float16: top-1 + relative)
            selfTestView.text = SelfTest.verdict(test, tolerance) + "\n" + tolerance.reason
            selfTestView.setTextColor(getColor(if (test.passed) R.color.pass else R.color.fail))
        }
    }

    /** The self-test as one JSON line in Logcat (tag DeployStudio), for scripted checks. */
    private fun logResult(top1: Prediction, probs: FloatArray, logits: FloatArray, test: SelfTestResult, latencyMs: Double) {
        // Not org.json: it throws on the NaN / infinite numbers a failing model produces.
        Log.i("DeployStudio", SelfTest.logLine(label(top1.index), top1.index, probs, logits, test, latencyMs))
    }

    /** The label of class [index]; a model with more outputs than labels shows "#index". */
    private fun label(index: Int): String = labels.getOrElse(index) { "#$index" }

    private fun showError(e: Exception) {
        Log.e("DeployStudio", "classification failed", e)
        runOnUiThread { statusView.text = "Error: " + (e.message ?: e.javaClass.simpleName) }
    }
}
