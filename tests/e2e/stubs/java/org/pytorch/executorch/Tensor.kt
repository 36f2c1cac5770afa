// Mirrors org.pytorch.executorch.Tensor of org.pytorch:executorch-android 1.5.1, a Kotlin class
// (extension/android/executorch_android/src/main/java/org/pytorch/executorch/Tensor.kt):
// `abstract class Tensor internal constructor(shape: LongArray)`, `fun shape(): LongArray`,
// `abstract fun dtype(): DType`, the `open val dataAs*Array` properties (Kotlin properties: Java
// sees getDataAsFloatArray(), Kotlin code must read `dataAsFloatArray`; a tensor of another dtype
// throws IllegalStateException), companion `@JvmStatic fun fromBlob(data: XArray, shape:
// LongArray): Tensor` for ByteArray (int8), IntArray, FloatArray, LongArray, DoubleArray, and
// `fromBlobUnsigned(data: ByteArray, shape: LongArray)` (uint8). There is no bool overload.
package org.pytorch.executorch

@Suppress("UNUSED_PARAMETER")
abstract class Tensor internal constructor(shape: LongArray) {
    fun shape(): LongArray = throw RuntimeException("Stub!")

    abstract fun dtype(): DType

    open val dataAsByteArray: ByteArray
        get() = throw RuntimeException("Stub!")

    open val dataAsUnsignedByteArray: ByteArray
        get() = throw RuntimeException("Stub!")

    open val dataAsIntArray: IntArray
        get() = throw RuntimeException("Stub!")

    open val dataAsFloatArray: FloatArray
        get() = throw RuntimeException("Stub!")

    open val dataAsLongArray: LongArray
        get() = throw RuntimeException("Stub!")

    open val dataAsDoubleArray: DoubleArray
        get() = throw RuntimeException("Stub!")

    companion object {
        @JvmStatic
        fun fromBlobUnsigned(data: ByteArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")

        @JvmStatic
        fun fromBlob(data: ByteArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")

        @JvmStatic
        fun fromBlob(data: IntArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")

        @JvmStatic
        fun fromBlob(data: FloatArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")

        @JvmStatic
        fun fromBlob(data: LongArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")

        @JvmStatic
        fun fromBlob(data: DoubleArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")
    }
}
