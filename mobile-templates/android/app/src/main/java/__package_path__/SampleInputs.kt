package {{ package_id }}

import android.content.Context
import org.json.JSONObject

/**
 * One input tensor of the bundled sample (assets/sample_inputs.json, written by core.apps from
 * the first held-out sample in its own dtype): its name, dtype ("float32", "int64", "bool"...),
 * shape and values. Integers and booleans are exact; int64 values beyond 2^53 would round.
 */
class SampleTensor(val name: String, val dtype: String, val shape: LongArray, val data: DoubleArray) {
    /** "tokens int64 [1, 8]". */
    fun describe(): String = "$name $dtype " + shape.joinToString(", ", "[", "]")

    fun floats(): FloatArray = FloatArray(data.size) { data[it].toFloat() }
    fun doubles(): DoubleArray = data.copyOf()
    fun longs(): LongArray = LongArray(data.size) { data[it].toLong() }
    fun ints(): IntArray = IntArray(data.size) { data[it].toInt() }

    /** int8 / uint8 / bool values as bytes (uint8 200 is the byte 0xC8; true is 1). */
    fun bytes(): ByteArray = ByteArray(data.size) { data[it].toInt().toByte() }
}

/** Reading sample_inputs.json: what a model fed tensors (no image input) gets. */
object SampleInputs {
    fun load(context: Context): List<SampleTensor> = parse(AppAssets.text(context, "sample_inputs.json"))

    fun parse(text: String): List<SampleTensor> {
        val inputs = JSONObject(text).getJSONArray("inputs")
        return List(inputs.length()) { i ->
            val item = inputs.getJSONObject(i)
            val shape = item.getJSONArray("shape")
            val data = item.getJSONArray("data")
            SampleTensor(
                item.getString("name"),
                item.getString("dtype"),
                LongArray(shape.length()) { shape.getLong(it) },
                DoubleArray(data.length()) { data.getDouble(it) },
            )
        }
    }

    /** "tokens int64 [1, 8]; mask bool [1, 8]". */
    fun describe(inputs: List<SampleTensor>): String = inputs.joinToString("; ") { it.describe() }
}
