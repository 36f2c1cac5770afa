// Mirrors org.pytorch.executorch.EValue of org.pytorch:executorch-android 1.5.1, a Kotlin class
// (.../org/pytorch/executorch/EValue.kt): `class EValue private constructor(mTypeCode: Int)`,
// `fun toTensor(): Tensor`, companion `@JvmStatic fun from(tensor: Tensor): EValue`.
package org.pytorch.executorch

@Suppress("UNUSED_PARAMETER")
class EValue private constructor(mTypeCode: Int) {
    fun toTensor(): Tensor = throw RuntimeException("Stub!")

    companion object {
        @JvmStatic fun from(tensor: Tensor): EValue = throw RuntimeException("Stub!")
    }
}
