package {{ package_id }}

import android.graphics.Bitmap

/** Any bitmap -> the model input: fit to model size ({{ pp.resize }}), then [Preprocess]. */
object BitmapInput {
    fun fit(bitmap: Bitmap): Bitmap {
        val w = Preprocess.WIDTH
        val h = Preprocess.HEIGHT
        if (bitmap.width == w && bitmap.height == h) return bitmap
{% set filter = "false" if pp.interpolation == "nearest" else "true" %}{% if pp.resize == "center-crop" %}{% if pp.resize_size %}        // Scale the short side to {{ pp.resize_size }}, then take the centre (as Preprocess.resize_image).
        val s = {{ pp.resize_size }}f / minOf(bitmap.width, bitmap.height)
{% else %}        // Scale the short side to fit, then take the centre (as Preprocess.resize_image).
        val s = maxOf(w.toFloat() / bitmap.width, h.toFloat() / bitmap.height)
{% endif %}        val nw = maxOf(w, Math.round(bitmap.width * s))
        val nh = maxOf(h, Math.round(bitmap.height * s))
        val scaled = Bitmap.createScaledBitmap(bitmap, nw, nh, {{ filter }})
        return Bitmap.createBitmap(scaled, (nw - w) / 2, (nh - h) / 2, w, h)
{% else %}        return Bitmap.createScaledBitmap(bitmap, w, h, {{ filter }})
{% endif %}    }

    fun toInput(bitmap: Bitmap): FloatArray {
        var fitted = fit(bitmap)
        if (fitted.config != Bitmap.Config.ARGB_8888) fitted = fitted.copy(Bitmap.Config.ARGB_8888, false)
        val pixels = IntArray(Preprocess.WIDTH * Preprocess.HEIGHT)
        fitted.getPixels(pixels, 0, Preprocess.WIDTH, 0, 0, Preprocess.WIDTH, Preprocess.HEIGHT)
        return Preprocess.toInput(pixels)
    }
}
