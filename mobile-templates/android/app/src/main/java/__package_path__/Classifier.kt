package {{ package_id }}

import android.content.Context
{% if runtime == "executorch" %}import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor
{% elif runtime == "pytorch-lite" %}import org.pytorch.IValue
import org.pytorch.LiteModuleLoader
import org.pytorch.Module
import org.pytorch.Tensor
{% elif runtime == "onnxruntime" %}import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import ai.onnxruntime.OrtSession
import java.nio.FloatBuffer
{% endif %}
/**
 * Runs {{ model_file }} with {{ runtime_title }}.
 * Not thread-safe: call it from one thread (MainActivity uses a single worker thread).
 */
class Classifier(context: Context) : AutoCloseable {
{% if runtime == "executorch" %}    private val module: Module

    init {
        AppInfo.EXTRA_ASSETS.forEach { AppAssets.file(context, it) }
        module = Module.load(AppAssets.file(context, AppInfo.MODEL_ASSET).absolutePath)
    }

    /** One forward pass: NCHW floats in, logits out. */
    fun run(input: FloatArray): FloatArray {
        val tensor = Tensor.fromBlob(input, AppInfo.INPUT_SHAPE)
        val outputs = module.forward(EValue.from(tensor))
        return outputs[0].toTensor().dataAsFloatArray
    }

    /** One forward pass: every output's floats, in the program's output order. */
    fun runAll(input: FloatArray): List<FloatArray> {
        val tensor = Tensor.fromBlob(input, AppInfo.INPUT_SHAPE)
        return module.forward(EValue.from(tensor)).map { it.toTensor().dataAsFloatArray }
    }

    override fun close() {
        module.close()  // Module is Closeable: frees the native module now, not at GC
    }
{% elif runtime == "pytorch-lite" %}    private val module: Module

    init {
        AppInfo.EXTRA_ASSETS.forEach { AppAssets.file(context, it) }
        module = LiteModuleLoader.load(AppAssets.file(context, AppInfo.MODEL_ASSET).absolutePath)
    }

    /** One forward pass: NCHW floats in, logits out. */
    fun run(input: FloatArray): FloatArray {
        val tensor = Tensor.fromBlob(input, AppInfo.INPUT_SHAPE)
        return module.forward(IValue.from(tensor)).toTensor().dataAsFloatArray
    }

    /** One forward pass: every output's floats (a tuple / list in order, a dict by TaskSpec.OUTPUT_NAMES). */
    fun runAll(input: FloatArray): List<FloatArray> {
        val out = module.forward(IValue.from(Tensor.fromBlob(input, AppInfo.INPUT_SHAPE)))
        val values = when {
            out.isTuple -> out.toTuple().toList()
            out.isList -> out.toList().toList()
            out.isDictStringKey -> out.toDictStringKey().let { d ->
                TaskSpec.OUTPUT_NAMES.map { n -> d[n] ?: d[n.substringAfterLast('.')] ?: throw IllegalStateException("no output $n") }
            }
            else -> listOf(out)
        }
        return values.map { it.toTensor().dataAsFloatArray }
    }

    override fun close() {
        module.destroy()
    }
{% elif runtime == "onnxruntime" %}    private val env: OrtEnvironment = OrtEnvironment.getEnvironment()

    // OrtSession.SessionOptions' Javadoc: "must not be closed until all sessions which use it
    // are closed". So the options live as long as the session and close() closes both.
    private val options = OrtSession.SessionOptions()
    private val session: OrtSession

    init {
        try {
            AppInfo.EXTRA_ASSETS.forEach { AppAssets.file(context, it) }
            val path = AppAssets.file(context, AppInfo.MODEL_ASSET).absolutePath
            options.setIntraOpNumThreads(1)
            session = env.createSession(path, options)
        } catch (e: Exception) {
            options.close()
            throw e
        }
    }

    /** One forward pass: NCHW floats in, logits out. */
    fun run(input: FloatArray): FloatArray {
        val inputName = session.inputNames.first()
        OnnxTensor.createTensor(env, FloatBuffer.wrap(input), AppInfo.INPUT_SHAPE).use { tensor ->
            session.run(mapOf(inputName to tensor)).use { result ->
                val output = result.get(0) as OnnxTensor
                val buffer = output.floatBuffer
                return FloatArray(buffer.remaining()).also { buffer.get(it) }
            }
        }
    }

    /** One forward pass: every output's floats, in the session's output order. */
    fun runAll(input: FloatArray): List<FloatArray> {
        val inputName = session.inputNames.first()
        OnnxTensor.createTensor(env, FloatBuffer.wrap(input), AppInfo.INPUT_SHAPE).use { tensor ->
            session.run(mapOf(inputName to tensor)).use { result ->
                return List(result.size()) { i ->
                    val buffer = (result.get(i) as OnnxTensor).floatBuffer
                    FloatArray(buffer.remaining()).also { buffer.get(it) }
                }
            }
        }
    }

    override fun close() {
        try {
            session.close()
        } finally {
            options.close()  // only after the session
        }
    }
{% endif %}}
