package {{ package_id }}

import android.content.ContentResolver
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.graphics.ImageDecoder
import android.graphics.Matrix
import android.net.Uri
import android.os.Build
import androidx.exifinterface.media.ExifInterface

/**
 * Photos from the gallery or the camera as upright bitmaps. Phones store most photos sideways
 * with an EXIF orientation tag; decoding them without it classifies a rotated image.
 * API 28+: ImageDecoder applies the orientation itself. Older: BitmapFactory, then the rotation
 * and mirroring that androidx ExifInterface reads from the file.
 */
object ImageFiles {
    /** Decoded photos are subsampled (by powers of 2) to about this short side at least. */
    const val MIN_SIDE: Int = 512

    fun decode(resolver: ContentResolver, uri: Uri): Bitmap =
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) decodeWithImageDecoder(resolver, uri) else decodeWithExif(resolver, uri)

    /** The largest power of 2 that keeps the short side at least [MIN_SIDE] (a camera photo is 12+ MP). */
    fun sampleSize(width: Int, height: Int): Int {
        var sample = 1
        while (minOf(width, height) / (sample * 2) >= maxOf(MIN_SIDE, Preprocess.WIDTH, Preprocess.HEIGHT)) sample *= 2
        return sample
    }

    private fun decodeWithImageDecoder(resolver: ContentResolver, uri: Uri): Bitmap {
        val source = ImageDecoder.createSource(resolver, uri)
        return ImageDecoder.decodeBitmap(source) { decoder, info, _ ->
            // Software memory: getPixels cannot read a hardware bitmap.
            decoder.setAllocator(ImageDecoder.ALLOCATOR_SOFTWARE)
            decoder.setTargetSampleSize(sampleSize(info.size.width, info.size.height))
        }
    }

    private fun decodeWithExif(resolver: ContentResolver, uri: Uri): Bitmap {
        val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
        resolver.openInputStream(uri)?.use { BitmapFactory.decodeStream(it, null, bounds) }
        val options = BitmapFactory.Options().apply {
            inPreferredConfig = Bitmap.Config.ARGB_8888
            inSampleSize = sampleSize(bounds.outWidth, bounds.outHeight)
        }
        val bitmap = resolver.openInputStream(uri)?.use { BitmapFactory.decodeStream(it, null, options) }
            ?: throw IllegalArgumentException("could not read the image")
        val exif = try {
            resolver.openInputStream(uri)?.use { ExifInterface(it) }
        } catch (e: java.io.IOException) {
            null  // no readable EXIF: keep the image as stored
        } ?: return bitmap
        val degrees = exif.rotationDegrees
        val flipped = exif.isFlipped
        if (degrees == 0 && !flipped) return bitmap
        // Rotate clockwise, then mirror horizontally: gives all 8 EXIF orientations.
        val matrix = Matrix()
        matrix.postRotate(degrees.toFloat())
        if (flipped) matrix.postScale(-1f, 1f)
        return Bitmap.createBitmap(bitmap, 0, 0, bitmap.width, bitmap.height, matrix, true)
    }
}
