// Mirrors org.pytorch.executorch.Tensor (executorch-android 1.5.1): static fromBlob(float[], long[]),
// shape(), getDataAsFloatArray() (Kotlin property dataAsFloatArray).
package org.pytorch.executorch;

public abstract class Tensor {
    public static Tensor fromBlob(float[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public long[] shape() { throw new RuntimeException("Stub!"); }
    public float[] getDataAsFloatArray() { throw new RuntimeException("Stub!"); }
}
