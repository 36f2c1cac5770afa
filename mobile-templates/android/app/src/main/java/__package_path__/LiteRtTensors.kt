package {{ package_id }}

/**
 * One input or output tensor of model.tflite's "{{ litert.signature }}" signature, as core read it
 * from the file at export ({{ generator }}, with ai-edge-litert 2.3's interpreter): LiteRT's
 * Kotlin CompiledModel API gives no quantization parameters, so they are written here.
 * [dtype] is the model's ("int32" where the PyTorch model took int64 ids); [scale] and
 * [zeroPoint] are 0 for a tensor that is not quantized.
 */
class TensorIo(val name: String, val dtype: String, val shape: IntArray, val scale: Float, val zeroPoint: Int) {
    /** An int8 tensor with a scale: floats in, quantized; quantized out, floats. */
    val quantized: Boolean get() = dtype == "int8" && scale != 0f
}

/** model.tflite's signature and tensors, in the model's order (args_0..., output_0...). */
object LiteRtIo {
    const val SIGNATURE: String = {{ litert.signature | kotlin }}

    /** [export] litert_accelerator: "gpu" tries LiteRT's GPU accelerator first, "cpu" does not. */
    const val ACCELERATOR: String = {{ litert.accelerator | kotlin }}

    val INPUTS: List<TensorIo> = listOf(
{% for t in litert.inputs %}        TensorIo({{ t.name | kotlin }}, {{ t.dtype | kotlin }}, intArrayOf({{ t.shape | join(", ") }}), {{ t.scale_literal }}f, {{ t.zero_point }}),
{% endfor %}    )
    val OUTPUTS: List<TensorIo> = listOf(
{% for t in litert.outputs %}        TensorIo({{ t.name | kotlin }}, {{ t.dtype | kotlin }}, intArrayOf({{ t.shape | join(", ") }}), {{ t.scale_literal }}f, {{ t.zero_point }}),
{% endfor %}    )
}

/**
 * Quantizing inputs and dequantizing outputs as the desktop's LiteRT runner does
 * (core/runtimes/litert_rt.py quantize / dequantize), in float32: q = clamp(rint(x / scale +
 * zeroPoint), -128, 127) with ties to even as NumPy's round; x = (q - zeroPoint) * scale.
 * Pure Kotlin (no Android, no LiteRT): the tests run it on the JVM against Python.
 */
object LiteRtQuant {
    fun quantize(x: FloatArray, scale: Float, zeroPoint: Int): ByteArray = ByteArray(x.size) { i ->
        val q = Math.rint((x[i] / scale + zeroPoint.toFloat()).toDouble())
        q.coerceIn(-128.0, 127.0).toInt().toByte()
    }

    fun dequantize(q: ByteArray, scale: Float, zeroPoint: Int): FloatArray =
        FloatArray(q.size) { (q[it].toFloat() - zeroPoint.toFloat()) * scale }

    /** An input's values (floats, or a sample's exact integers) as int8 bytes for [t]. */
    fun int8Input(values: DoubleArray, t: TensorIo): ByteArray =
        if (t.quantized) quantize(FloatArray(values.size) { values[it].toFloat() }, t.scale, t.zeroPoint)
        else ByteArray(values.size) { values[it].toInt().toByte() }

    /** An int8 output as floats: dequantized when [t] is quantized, else the raw values. */
    fun int8Output(q: ByteArray, t: TensorIo): FloatArray =
        if (t.quantized) dequantize(q, t.scale, t.zeroPoint) else FloatArray(q.size) { q[it].toFloat() }
}
