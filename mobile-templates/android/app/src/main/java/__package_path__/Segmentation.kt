package {{ package_id }}

/**
 * Segmentation: per-pixel logits [1, classes, H, W] to a class mask (argmax over the classes,
 * the first of equal maxima like numpy), the mask drawn over the image with a fixed palette,
 * and the self-test's pixel agreement. Pure Kotlin: runs on the JVM in the project's tests.
 */
object SegmentationMask {
    /** Opacity of the mask over the image (0..255). */
    const val ALPHA: Int = 140

    /** A fixed palette (ARGB, opaque): class i gets PALETTE[i % size]; class 0 is often background. */
    val PALETTE: IntArray = intArrayOf(
        0xFF000000.toInt(), 0xFFE6194B.toInt(), 0xFF3CB44B.toInt(), 0xFFFFE119.toInt(),
        0xFF4363D8.toInt(), 0xFFF58231.toInt(), 0xFF911EB4.toInt(), 0xFF46F0F0.toInt(),
        0xFFF032E6.toInt(), 0xFFBCF60C.toInt(), 0xFFFABEBE.toInt(), 0xFF008080.toInt(),
        0xFFE6BEFF.toInt(), 0xFF9A6324.toInt(), 0xFFFFFAC8.toInt(), 0xFF800000.toInt(),
        0xFFAAFFC3.toInt(), 0xFF808000.toInt(), 0xFFFFD8B1.toInt(), 0xFF000075.toInt(),
    )

    fun color(label: Int): Int = PALETTE[Math.floorMod(label, PALETTE.size)]

    /** The class of every pixel (row-major H x W) from NCHW logits of [classes] channels. */
    fun argmax(logits: FloatArray, classes: Int): IntArray {
        val pixels = logits.size / classes
        val mask = IntArray(pixels)
        for (p in 0 until pixels) {
            var best = 0
            var bestValue = logits[p]
            for (c in 1 until classes) {
                if (bestValue.isNaN()) break  // numpy: the first NaN is the maximum
                val v = logits[c * pixels + p]
                if (v > bestValue || v.isNaN()) { best = c; bestValue = v }
            }
            mask[p] = best
        }
        return mask
    }

    /** The fraction of pixels where [mask] and [expected] name the same class (0 if sizes differ). */
    fun agreement(mask: IntArray, expected: IntArray): Float {
        if (mask.size != expected.size || mask.isEmpty()) return 0f
        var same = 0
        for (i in mask.indices) if (mask[i] == expected[i]) same++
        return same.toFloat() / mask.size
    }

    /** Each class present in [mask] with its pixel count, most pixels first. */
    fun legend(mask: IntArray): List<Pair<Int, Int>> =
        mask.groupBy { it }.map { it.key to it.value.size }.sortedWith(compareByDescending<Pair<Int, Int>> { it.second }.thenBy { it.first })

    /**
     * [image] (ARGB, [width] x [height]) with the mask blended over it; the mask is sampled
     * with nearest neighbours when its size differs from the image's.
     */
    fun overlay(image: IntArray, width: Int, height: Int, mask: IntArray, maskWidth: Int, maskHeight: Int, alpha: Int = ALPHA): IntArray {
        val out = IntArray(width * height)
        for (y in 0 until height) for (x in 0 until width) {
            val m = mask[(y * maskHeight / height) * maskWidth + (x * maskWidth / width)]
            out[y * width + x] = blend(image[y * width + x], color(m), alpha)
        }
        return out
    }

    private fun blend(under: Int, over: Int, alpha: Int): Int {
        fun ch(v: Int, shift: Int) = (v shr shift) and 0xFF
        fun mix(shift: Int) = (ch(under, shift) * (255 - alpha) + ch(over, shift) * alpha) / 255
        return (0xFF shl 24) or (mix(16) shl 16) or (mix(8) shl 8) or mix(0)
    }
}
