// Mirrors com.google.ai.edge.litert.TensorBuffer of com.google.ai.edge.litert:litert 2.3.0,
// Kotlin (google-ai-edge/LiteRT litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/
// TensorBuffer.kt; the same at the v2.2.0 tag and at main of 2026-08-21): `class TensorBuffer
// internal constructor(handle: Long) : JniHandle(handle)` (private here: the app cannot call an
// internal constructor), `@Throws(LiteRtException::class)` writeInt(IntArray),
// writeFloat(FloatArray), writeInt8(ByteArray), writeBoolean(BooleanArray), writeLong(LongArray)
// and readInt(): IntArray, readFloat(): FloatArray, readInt8(): ByteArray,
// readBoolean(): BooleanArray, readLong(): LongArray. No double, float16 or uint8 access.
package com.google.ai.edge.litert

@Suppress("UNUSED_PARAMETER")
class TensorBuffer private constructor(handle: Long) : JniHandle(handle) {
    @Throws(LiteRtException::class)
    fun writeInt(data: IntArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun writeFloat(data: FloatArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun writeInt8(data: ByteArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun writeBoolean(data: BooleanArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun writeLong(data: LongArray): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readInt(): IntArray = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readFloat(): FloatArray = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readInt8(): ByteArray = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readBoolean(): BooleanArray = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun readLong(): LongArray = throw RuntimeException("Stub!")

    override fun destroy(): Unit = throw RuntimeException("Stub!")
}
