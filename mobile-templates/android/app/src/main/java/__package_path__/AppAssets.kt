package {{ package_id }}

import android.content.Context
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import org.json.JSONArray
import org.json.JSONObject
import java.io.File

/** Reading what the app ships in assets/: labels, the sample, its expected output, the model. */
object AppAssets {
    fun text(context: Context, name: String): String =
        context.assets.open(name).bufferedReader(Charsets.UTF_8).use { it.readText() }

    /** The class labels, exactly as given (labels.json; labels.txt is for people). */
    fun labels(context: Context): List<String> {
        val array = JSONArray(text(context, "labels.json"))
        return List(array.length()) { array.getString(it) }
    }

    fun expected(context: Context): Expected {
        val json = JSONObject(text(context, "expected.json"))
        val logits = json.getJSONArray("logits")
        // "tolerance": {kind, abs, rel, reason}, derived from the desktop's measurements
        val tolerance = json.optJSONObject("tolerance")?.let {
            Tolerance(
                it.optString("kind", "absolute"),
                it.optDouble("abs", AppInfo.TOLERANCE.abs.toDouble()).toFloat(),
                it.optDouble("rel", 0.0).toFloat(),
                it.optString("reason", ""),
            )
        }
        return Expected(
            json.getInt("top1_index"),
            FloatArray(logits.length()) { logits.getDouble(it).toFloat() },
            tolerance,
        )
    }

    /** The golden sample, decoded without scaling or colour conversion. */
    fun sample(context: Context): Bitmap = context.assets.open("sample.png").use { stream ->
        val options = BitmapFactory.Options().apply {
            inPreferredConfig = Bitmap.Config.ARGB_8888
            inScaled = false
        }
        BitmapFactory.decodeStream(stream, null, options)
            ?: throw IllegalStateException("assets/sample.png could not be decoded")
    }

    /**
     * Copy an asset to a file: the runtimes load models from a path, not from the APK.
     * Written to a temporary file and renamed, so a killed app never leaves half a model.
     */
    fun file(context: Context, name: String): File {
        val target = File(context.filesDir, name)
        val tmp = File(context.filesDir, "$name.tmp")
        context.assets.open(name).use { input -> tmp.outputStream().use { input.copyTo(it) } }
        if (!tmp.renameTo(target)) throw IllegalStateException("could not write $target")
        return target
    }
}
