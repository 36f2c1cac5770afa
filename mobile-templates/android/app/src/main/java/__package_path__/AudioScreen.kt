package {{ package_id }}

import android.Manifest
import android.content.pm.PackageManager
import android.net.Uri
import android.util.Log
import android.widget.Button
import android.widget.ProgressBar
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import org.json.JSONObject
import java.io.Closeable
import java.util.Locale
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import kotlin.math.abs

/**
 * An audio classifier's screen (layout activity_audio.xml), shown by MainActivity when
 * AudioSpec.ENABLED. On start it runs the bundled recording (assets/sample.wav) as the
 * self-test against expected.json; "Pick a WAV file" classifies any WAV file, "Record" the
 * microphone for the clip's length (RECORD_AUDIO is asked for at the first tap). A recording
 * becomes the model's input with AudioFeatures (core/data/audio.py's maths). The model runs on
 * one worker thread; views change on the UI thread. Create it in onCreate (it registers for
 * activity results), then call [start].
 */
class AudioScreen(private val activity: ComponentActivity) : Closeable {
    private val worker: ExecutorService = Executors.newSingleThreadExecutor()

    // Touched only on the worker thread.
    private var classifier: Classifier? = null
    private var labels: List<String> = emptyList()
    private var expected: Expected? = null

    private lateinit var statusView: TextView
    private lateinit var sourceView: TextView
    private lateinit var latencyView: TextView
    private lateinit var selfTestView: TextView
    private lateinit var recordButton: Button
    private lateinit var rows: List<Triple<TextView, ProgressBar, TextView>>

    private val pickWav = activity.registerForActivityResult(ActivityResultContracts.GetContent()) { uri: Uri? ->
        if (uri != null) classifyUri(uri)
    }
    private val askMicrophone = activity.registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted: Boolean ->
        if (granted) {
            record()
        } else {
            statusView.text = activity.getString(R.string.microphone_denied)
        }
    }

    fun start() {
        activity.setContentView(R.layout.activity_audio)
        activity.title = AppInfo.APP_NAME
        activity.findViewById<TextView>(R.id.audio_app_name).text = AppInfo.APP_NAME
        statusView = activity.findViewById(R.id.audio_status)
        sourceView = activity.findViewById(R.id.audio_source)
        latencyView = activity.findViewById(R.id.audio_latency)
        selfTestView = activity.findViewById(R.id.audio_selftest)
        recordButton = activity.findViewById(R.id.record_button)
        rows = listOf(
            Triple(activity.findViewById(R.id.audio_top1_label), activity.findViewById(R.id.audio_top1_bar), activity.findViewById(R.id.audio_top1_pct)),
            Triple(activity.findViewById(R.id.audio_top2_label), activity.findViewById(R.id.audio_top2_bar), activity.findViewById(R.id.audio_top2_pct)),
            Triple(activity.findViewById(R.id.audio_top3_label), activity.findViewById(R.id.audio_top3_bar), activity.findViewById(R.id.audio_top3_pct)),
        )
        val p = AudioSpec.PARAMS
        activity.findViewById<TextView>(R.id.audio_spec).text = String.format(
            Locale.US,
            "%d Hz, %.2f s%s",
            p.sampleRate,
            p.length.toDouble() / p.sampleRate,
            if (p.logMel) ", log-mel ${p.nMels} x ${1 + p.length / p.hop}" else ", waveform",
        )
        activity.findViewById<Button>(R.id.pick_wav_button).setOnClickListener { pickWav.launch("audio/*") }
        recordButton.setOnClickListener { onRecordTapped() }
        activity.findViewById<Button>(R.id.audio_sample_button).setOnClickListener { runSample() }
        worker.execute {
            try {
                labels = AppAssets.labels(activity)
                expected = AppAssets.expected(activity)
                classifier = Classifier(activity)
{% if runtime == "litert" %}                // LiteRT: which accelerator runs the model (the GPU, or the CPU and why)
                val runtimeText = classifier?.runtimeText()
                activity.runOnUiThread { activity.findViewById<TextView>(R.id.audio_runtime).text = runtimeText }
{% endif %}            } catch (e: Exception) {
                showError(e)
            }
        }
        runSample()
    }

    override fun close() {
        worker.execute { classifier?.close() }
        worker.shutdown()
    }

    private fun onRecordTapped() {
        val permission = Manifest.permission.RECORD_AUDIO
        if (activity.checkSelfPermission(permission) == PackageManager.PERMISSION_GRANTED) {
            record()
        } else {
            askMicrophone.launch(permission)  // the answer arrives in askMicrophone's callback
        }
    }

    private fun record() {
        val p = AudioSpec.PARAMS
        recordButton.isEnabled = false
        statusView.text = String.format(Locale.US, "Recording %.2f s…", p.length.toDouble() / p.sampleRate)
        worker.execute {
            try {
                val recording = AudioCapture.record(p.sampleRate, p.length)
                classifyOnWorker(recording, activity.getString(R.string.source_microphone), isSample = false)
            } catch (e: Exception) {
                showError(e)
            } finally {
                activity.runOnUiThread { recordButton.isEnabled = true }
            }
        }
    }

    private fun runSample() {
        worker.execute {
            try {
                val bytes = activity.assets.open("sample.wav").use { it.readBytes() }
                classifyOnWorker(AudioFeatures.readWav(bytes), activity.getString(R.string.source_sample_wav), isSample = true)
            } catch (e: Exception) {
                showError(e)
            }
        }
    }

    private fun classifyUri(uri: Uri) {
        worker.execute {
            try {
                val stream = activity.contentResolver.openInputStream(uri)
                    ?: throw IllegalStateException("the file could not be opened")
                val bytes = stream.use { it.readBytes() }
                classifyOnWorker(AudioFeatures.readWav(bytes), activity.getString(R.string.source_wav_file), isSample = false)
            } catch (e: Exception) {
                showError(e)
            }
        }
    }

    /** Features, one run for the prediction, then the median of BENCHMARK_RUNS timed runs. */
    private fun classifyOnWorker(recording: Recording, source: String, isSample: Boolean) {
        val model = classifier ?: return
        activity.runOnUiThread { statusView.text = activity.getString(R.string.loading) }
        val input = AudioFeatures.features(recording, AudioSpec.PARAMS)
        val logits = model.run(input)
        val latency = SelfTest.medianLatency(AppInfo.WARMUP_RUNS, AppInfo.BENCHMARK_RUNS) { model.run(input) }
        val probs = SelfTest.softmax(logits)
        val top = SelfTest.topK(probs, 3)
        val tolerance = expected?.let { SelfTest.toleranceFor(it) } ?: AppInfo.TOLERANCE
        val test = if (isSample) expected?.let { SelfTest.compare(logits, it, tolerance) } else null
        // the features against the input the desktop ran on the same recording
        val featureDiff = if (isSample) featuresMaxDiff(input) else null
        if (test != null) {
            Log.i("DeployStudio", SelfTest.logLine(label(top[0].index), top[0].index, probs, logits, test, latency))
        }
        val topLabels = top.map { label(it.index) }
        val heard = String.format(
            Locale.US,
            "%s: %d channel(s), %d Hz, %.2f s",
            source,
            recording.channels.size,
            recording.rate,
            recording.frames.toDouble() / maxOf(1, recording.rate),
        )
        activity.runOnUiThread {
            sourceView.text = heard
            rows.forEachIndexed { i, (labelView, bar, pct) ->
                val p = top.getOrNull(i)
                labelView.text = topLabels.getOrNull(i) ?: ""
                bar.progress = p?.let { (it.probability * 1000).toInt() } ?: 0
                pct.text = p?.let { String.format(Locale.US, "%.1f%%", it.probability * 100) } ?: ""
            }
            latencyView.text = ExecutionProvider.latencyText(latency, AppInfo.BENCHMARK_RUNS)
            statusView.text = "Prediction: " + topLabels[0]
            if (test != null) {
                val features = featureDiff?.let { String.format(Locale.US, "\nfeatures: max diff %.2e from the desktop's", it) } ?: ""
                selfTestView.text = SelfTest.verdict(test, tolerance) + "\n" + tolerance.reason + features
                selfTestView.setTextColor(activity.getColor(if (test.passed) R.color.pass else R.color.fail))
            }
        }
    }

    /** max |feature - desktop input| for the bundled sample (assets/sample_inputs.json), or null. */
    private fun featuresMaxDiff(features: FloatArray): Double? = try {
        val data = JSONObject(AppAssets.text(activity, "sample_inputs.json"))
            .getJSONArray("inputs").getJSONObject(0).getJSONArray("data")
        if (data.length() != features.size) {
            Double.POSITIVE_INFINITY
        } else {
            (0 until data.length()).maxOfOrNull { abs(features[it] - data.getDouble(it)) } ?: 0.0
        }
    } catch (e: Exception) {
        null
    }

    /** The label of class [index]; a model with more outputs than labels shows "#index". */
    private fun label(index: Int): String = labels.getOrElse(index) { "#$index" }

    private fun showError(e: Exception) {
        Log.e("DeployStudio", "audio classification failed", e)
        activity.runOnUiThread { statusView.text = "Error: " + (e.message ?: e.javaClass.simpleName) }
    }
}
