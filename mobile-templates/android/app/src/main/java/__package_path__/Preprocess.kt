package {{ package_id }}

/**
 * Generated from preprocess.json by {{ generator }}; re-export the project to change it.
 *
 * value = (pixel * scale - mean[c]) / std[c], {{ "channels-last (NHWC)" if pp.nhwc else "channels-first (NCHW)" }}, in float32 exactly as
 * Python's core.data.preprocess.Preprocess.apply computes it. Pure Kotlin (no Android
 * classes), so the same code runs in unit tests on the JVM.
 */
object Preprocess {
    const val HEIGHT: Int = {{ pp.height }}
    const val WIDTH: Int = {{ pp.width }}
    const val CHANNELS: Int = {{ pp.channels }}

    /** How other images are fitted to HEIGHT x WIDTH: "stretch" or "center-crop". */
    const val RESIZE: String = {{ pp.resize | kotlin }}

    private const val SCALE: Float = {{ pp.scale }}f
    private val MEAN: FloatArray = floatArrayOf({% for m in pp.mean %}{{ m }}f{{ ", " if not loop.last }}{% endfor %})
    private val STD: FloatArray = floatArrayOf({% for s in pp.std %}{{ s }}f{{ ", " if not loop.last }}{% endfor %})

    private fun normalise(value: Int, channel: Int): Float =
        (value.toFloat() * SCALE - MEAN[channel]) / STD[channel]

    /** ARGB pixels at model size (as from Bitmap.getPixels) -> the model input, {{ pp.layout }}. */
    fun toInput(argb: IntArray): FloatArray {
        require(argb.size == WIDTH * HEIGHT) { "expected ${WIDTH}x$HEIGHT pixels, got ${argb.size}" }
        val plane = WIDTH * HEIGHT
        val out = FloatArray(CHANNELS * plane)
        for (i in 0 until plane) {
            val p = argb[i]
            val r = (p shr 16) and 0xFF
            val g = (p shr 8) and 0xFF
            val b = p and 0xFF
{% macro at(c) %}{% if pp.nhwc %}{{ pp.channels }} * i + {{ c }}{% else %}{{ c }} * plane + i{% endif %}{% endmacro %}{% if pp.grayscale %}            // Pillow's "L" conversion (ITU-R 601-2 luma, integer arithmetic).
            val luma = (r * 19595 + g * 38470 + b * 7471 + 0x8000) shr 16
            out[i] = normalise(luma, 0)
{% elif pp.bgr %}            out[{{ at(0) }}] = normalise(b, 0)
            out[{{ at(1) }}] = normalise(g, 1)
            out[{{ at(2) }}] = normalise(r, 2)
{% else %}            out[{{ at(0) }}] = normalise(r, 0)
            out[{{ at(1) }}] = normalise(g, 1)
            out[{{ at(2) }}] = normalise(b, 2)
{% endif %}        }
        return out
    }
}
