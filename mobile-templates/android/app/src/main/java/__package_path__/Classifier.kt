package {{ package_id }}

import android.content.Context
{% if runtime == "executorch" %}import org.pytorch.executorch.DType
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor
{% elif runtime == "pytorch-lite" %}import org.pytorch.DType
import org.pytorch.IValue
import org.pytorch.LiteModuleLoader
import org.pytorch.Module
import org.pytorch.Tensor
{% elif runtime == "onnxruntime" %}import ai.onnxruntime.OnnxJavaType
import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import ai.onnxruntime.OrtSession
import android.util.Log
import java.nio.ByteBuffer
import java.nio.DoubleBuffer
import java.nio.FloatBuffer
import java.nio.IntBuffer
import java.nio.LongBuffer
{% elif runtime == "litert" %}import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.Environment
import com.google.ai.edge.litert.LiteRtException
import com.google.ai.edge.litert.TensorBuffer
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

    /**
     * One forward pass on the bundled sample's tensors (sample_inputs.json), each in its own
     * dtype (int64 token ids as a LongArray tensor...); every output read back as floats.
     */
    fun runTensors(inputs: List<SampleTensor>): List<FloatArray> {
        val values = inputs.map { EValue.from(tensorOf(it)) }.toTypedArray()
        return module.forward(*values).map { floatsOf(it.toTensor()) }
    }

    private fun tensorOf(s: SampleTensor): Tensor = when (s.dtype) {
        "float32" -> Tensor.fromBlob(s.floats(), s.shape)
        "float64" -> Tensor.fromBlob(s.doubles(), s.shape)
        "int64" -> Tensor.fromBlob(s.longs(), s.shape)
        "int32" -> Tensor.fromBlob(s.ints(), s.shape)
        "int8" -> Tensor.fromBlob(s.bytes(), s.shape)
        "uint8" -> Tensor.fromBlobUnsigned(s.bytes(), s.shape)
        // ExecuTorch's Android Tensor has no bool tensors (core.app_routes refuses such models).
        else -> throw IllegalArgumentException("input ${s.name}: ExecuTorch Android has no ${s.dtype} tensors")
    }

    private fun floatsOf(t: Tensor): FloatArray = when (t.dtype()) {
        DType.FLOAT -> t.dataAsFloatArray
        DType.DOUBLE -> t.dataAsDoubleArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.INT64 -> t.dataAsLongArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.INT32 -> t.dataAsIntArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.INT8 -> t.dataAsByteArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.UINT8 -> t.dataAsUnsignedByteArray.let { d -> FloatArray(d.size) { (d[it].toInt() and 0xFF).toFloat() } }
        else -> throw IllegalStateException("an output of dtype ${t.dtype()} cannot be read on Android")
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
        return outputsOf(out).map { it.toTensor().dataAsFloatArray }
    }

    /**
     * One forward pass on the bundled sample's tensors (sample_inputs.json), each in its own
     * dtype (int64 token ids as a LongArray tensor...); every output read back as floats.
     */
    fun runTensors(inputs: List<SampleTensor>): List<FloatArray> {
        val out = module.forward(*inputs.map { IValue.from(tensorOf(it)) }.toTypedArray())
        return outputsOf(out).map { floatsOf(it.toTensor()) }
    }

    private fun tensorOf(s: SampleTensor): Tensor = when (s.dtype) {
        "float32" -> Tensor.fromBlob(s.floats(), s.shape)
        "float64" -> Tensor.fromBlob(s.doubles(), s.shape)
        "int64" -> Tensor.fromBlob(s.longs(), s.shape)
        "int32" -> Tensor.fromBlob(s.ints(), s.shape)
        "int8" -> Tensor.fromBlob(s.bytes(), s.shape)
        "uint8" -> Tensor.fromBlobUnsigned(s.bytes(), s.shape)
        // pytorch_android_lite has no bool tensors (core.app_routes refuses such models).
        else -> throw IllegalArgumentException("input ${s.name}: PyTorch lite has no ${s.dtype} tensors")
    }

    private fun floatsOf(t: Tensor): FloatArray = when (t.dtype()) {
        DType.FLOAT32 -> t.dataAsFloatArray
        DType.FLOAT64 -> t.dataAsDoubleArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.INT64 -> t.dataAsLongArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.INT32 -> t.dataAsIntArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.INT8 -> t.dataAsByteArray.let { d -> FloatArray(d.size) { d[it].toFloat() } }
        DType.UINT8 -> t.dataAsUnsignedByteArray.let { d -> FloatArray(d.size) { (d[it].toInt() and 0xFF).toFloat() } }
        else -> throw IllegalStateException("an output of dtype ${t.dtype()} cannot be read on Android")
    }

    /** A tuple / list in order, a dict by TaskSpec.OUTPUT_NAMES, else the one output. */
    private fun outputsOf(out: IValue): List<IValue> {
        return when {
            out.isTuple -> out.toTuple().toList()
            out.isList -> out.toList().toList()
            out.isDictStringKey -> out.toDictStringKey().let { d ->
                TaskSpec.OUTPUT_NAMES.map { n -> d[n] ?: d[n.substringAfterLast('.')] ?: throw IllegalStateException("no output $n") }
            }
            else -> listOf(out)
        }
    }

    override fun close() {
        module.destroy()
    }
{% elif runtime == "onnxruntime" %}    private val env: OrtEnvironment = OrtEnvironment.getEnvironment()

    // OrtSession.SessionOptions' Javadoc: "must not be closed until all sessions which use it
    // are closed". So the options live as long as the session and close() closes both.
    private val options: OrtSession.SessionOptions
    private val session: OrtSession

    /** What runs the model: "NNAPI", "CPU", or "CPU (NNAPI unavailable: <reason>)" after a fallback. */
    val provider: String

    init {
        AppInfo.EXTRA_ASSETS.forEach { AppAssets.file(context, it) }
        val path = AppAssets.file(context, AppInfo.MODEL_ASSET).absolutePath
        val (opened, running) = ExecutionProvider.openWithFallback(
            ExecutionProvider.CHOSEN,
            { message, e -> Log.w("DeployStudio", message, e) },
        ) { provider -> openSession(path, provider) }
        session = opened.first
        options = opened.second
        provider = running
        ExecutionProvider.running = running
    }

    /** A session with [provider] ("nnapi", "xnnpack") added to fresh options, or CPU only (null). */
    private fun openSession(path: String, provider: String?): Pair<OrtSession, OrtSession.SessionOptions> {
        val options = OrtSession.SessionOptions()
        try {
            options.setIntraOpNumThreads(1)
            when (provider) {
                "nnapi" -> options.addNnapi()
                "xnnpack" -> options.addXnnpack(emptyMap())
            }
            return Pair(env.createSession(path, options), options)
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

    /**
     * One forward pass on the bundled sample's tensors (sample_inputs.json), each in its own
     * dtype, fed by name (an input the session does not name goes to its position); every
     * output read back as floats, in the session's output order.
     */
    fun runTensors(inputs: List<SampleTensor>): List<FloatArray> {
        val names = session.inputNames.toList()
        val tensors = ArrayList<OnnxTensor>()
        try {
            val feed = LinkedHashMap<String, OnnxTensor>()
            inputs.forEachIndexed { i, s ->
                val tensor = tensorOf(s)
                tensors.add(tensor)
                feed[if (s.name in names) s.name else names[i]] = tensor
            }
            session.run(feed).use { result ->
                return List(result.size()) { i ->
                    val value = result.get(i)
                    val uint8 = (value as? OnnxTensor)?.info?.type == OnnxJavaType.UINT8
                    OutputValues.flatten(value.value, unsigned = uint8)
                }
            }
        } finally {
            tensors.forEach { it.close() }
        }
    }

    private fun tensorOf(s: SampleTensor): OnnxTensor = when (s.dtype) {
        "float32" -> OnnxTensor.createTensor(env, FloatBuffer.wrap(s.floats()), s.shape)
        "float64" -> OnnxTensor.createTensor(env, DoubleBuffer.wrap(s.doubles()), s.shape)
        "int64" -> OnnxTensor.createTensor(env, LongBuffer.wrap(s.longs()), s.shape)
        "int32" -> OnnxTensor.createTensor(env, IntBuffer.wrap(s.ints()), s.shape)
        "int8" -> OnnxTensor.createTensor(env, ByteBuffer.wrap(s.bytes()), s.shape)
        "uint8" -> OnnxTensor.createTensor(env, ByteBuffer.wrap(s.bytes()), s.shape, OnnxJavaType.UINT8)
        "bool" -> OnnxTensor.createTensor(env, ByteBuffer.wrap(s.bytes()), s.shape, OnnxJavaType.BOOL)
        else -> throw IllegalArgumentException("input ${s.name}: no ${s.dtype} tensors")
    }

    override fun close() {
        try {
            session.close()
        } finally {
            options.close()  // only after the session
        }
    }
{% elif runtime == "litert" %}    private val env: Environment = Environment.create()
    private val model: CompiledModel

    /** What runs the model, shown under the runtime: "GPU", or "CPU" and why not the GPU. */
    val accelerator: String

    // One buffer per signature tensor, by name (LiteRtTensors.kt), reused for every run.
    private val inputBuffers = LinkedHashMap<String, TensorBuffer>()
    private val outputBuffers = LinkedHashMap<String, TensorBuffer>()

    init {
        var compiled: CompiledModel? = null
        try {
            val path = AppAssets.file(context, AppInfo.MODEL_ASSET).absolutePath
            val (opened, runsOn) = open(path)
            compiled = opened
            LiteRtIo.INPUTS.forEach { inputBuffers[it.name] = opened.createInputBuffer(it.name, LiteRtIo.SIGNATURE) }
            LiteRtIo.OUTPUTS.forEach { outputBuffers[it.name] = opened.createOutputBuffer(it.name, LiteRtIo.SIGNATURE) }
            model = opened
            accelerator = runsOn
        } catch (e: Exception) {
            (inputBuffers.values + outputBuffers.values).forEach { it.close() }
            compiled?.close()
            env.close()
            throw e
        }
    }

    /**
     * The GPU accelerator when [LiteRtIo.ACCELERATOR] asks for it and the device has one
     * (ops it lacks run on the CPU), else the CPU (XNNPACK), with the reason shown on screen.
     */
    private fun open(path: String): Pair<CompiledModel, String> {
        if (LiteRtIo.ACCELERATOR != "gpu") return cpu(path) to "CPU (XNNPACK)"
        val available = try {
            env.getAvailableAccelerators()
        } catch (e: LiteRtException) {
            emptySet()
        }
        if (Accelerator.GPU !in available) {
            return cpu(path) to "CPU (XNNPACK): this device has no LiteRT GPU accelerator"
        }
        return try {
            CompiledModel.create(path, CompiledModel.Options(Accelerator.GPU, Accelerator.CPU), env) to "GPU"
        } catch (e: LiteRtException) {
            cpu(path) to "CPU (XNNPACK): the GPU accelerator failed (${e.message})"
        }
    }

    private fun cpu(path: String): CompiledModel {
        val options = CompiledModel.Options(Accelerator.CPU)
        options.cpuOptions = CompiledModel.CpuOptions(numThreads = 1)
        return CompiledModel.create(path, options, env)
    }

    /** The runtime line the screens show: the runtime and its accelerator. */
    fun runtimeText(): String = "${AppInfo.RUNTIME} · $accelerator"

    /** One forward pass: NCHW floats in (quantized for an int8 model), the first output out. */
    fun run(input: FloatArray): FloatArray = runAll(input)[0]

    /** One forward pass: every output as floats (int8 ones dequantized), in the model's order. */
    fun runAll(input: FloatArray): List<FloatArray> {
        val t = LiteRtIo.INPUTS[0]
        val buffer = inputBuffers.getValue(t.name)
        when (t.dtype) {
            "float32" -> buffer.writeFloat(input)
            "int8" -> buffer.writeInt8(LiteRtQuant.quantize(input, t.scale, t.zeroPoint))
            else -> throw IllegalArgumentException("input ${t.name}: the image app feeds floats, the model takes ${t.dtype}")
        }
        return invoke()
    }

    /**
     * One forward pass on the bundled sample's tensors (sample_inputs.json), each written in
     * the model's dtype (int64 ids as int32 where the converter made the input int32, floats
     * quantized for an int8 input); every output read back as floats.
     */
    fun runTensors(inputs: List<SampleTensor>): List<FloatArray> {
        require(inputs.size == LiteRtIo.INPUTS.size) { "the model takes ${LiteRtIo.INPUTS.size} inputs, got ${inputs.size}" }
        inputs.forEachIndexed { i, s ->
            val t = LiteRtIo.INPUTS[i]
            val buffer = inputBuffers.getValue(t.name)
            when (t.dtype) {
                "float32" -> buffer.writeFloat(s.floats())
                "int32" -> buffer.writeInt(s.ints())
                "int64" -> buffer.writeLong(s.longs())
                "int8" -> buffer.writeInt8(LiteRtQuant.int8Input(s.doubles(), t))
                "bool" -> buffer.writeBoolean(BooleanArray(s.data.size) { s.data[it] != 0.0 })
                else -> throw IllegalArgumentException("input ${s.name}: the app writes no ${t.dtype} tensors")
            }
        }
        return invoke()
    }

    private fun invoke(): List<FloatArray> {
        model.run(inputBuffers, outputBuffers, LiteRtIo.SIGNATURE)
        return LiteRtIo.OUTPUTS.map { t ->
            val buffer = outputBuffers.getValue(t.name)
            when (t.dtype) {
                "float32" -> buffer.readFloat()
                "int8" -> LiteRtQuant.int8Output(buffer.readInt8(), t)
                "int32" -> buffer.readInt().let { d -> FloatArray(d.size) { d[it].toFloat() } }
                "int64" -> buffer.readLong().let { d -> FloatArray(d.size) { d[it].toFloat() } }
                "bool" -> buffer.readBoolean().let { d -> FloatArray(d.size) { if (d[it]) 1f else 0f } }
                else -> throw IllegalStateException("output ${t.name}: the app reads no ${t.dtype} tensors")
            }
        }
    }

    override fun close() {
        // TensorBuffer, CompiledModel and Environment are AutoCloseable (LiteRT's JniHandle).
        (inputBuffers.values + outputBuffers.values).forEach { it.close() }
        model.close()
        env.close()
    }
{% endif %}}
