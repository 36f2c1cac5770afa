// Mirrors org.pytorch.executorch.Tensor of org.pytorch:executorch-android 1.5.1, a Kotlin class
// (.../org/pytorch/executorch/Tensor.kt): `abstract class Tensor internal constructor(shape:
// LongArray)`, `fun shape(): LongArray`, `open val dataAsFloatArray: FloatArray` (a Kotlin
// property: Java sees getDataAsFloatArray(), Kotlin code must read `dataAsFloatArray`), companion
// `@JvmStatic fun fromBlob(data: FloatArray, shape: LongArray): Tensor`.
package org.pytorch.executorch

@Suppress("UNUSED_PARAMETER")
abstract class Tensor internal constructor(shape: LongArray) {
    fun shape(): LongArray = throw RuntimeException("Stub!")

    open val dataAsFloatArray: FloatArray
        get() = throw RuntimeException("Stub!")

    companion object {
        @JvmStatic
        fun fromBlob(data: FloatArray, shape: LongArray): Tensor = throw RuntimeException("Stub!")
    }
}
