// Mirrors org.pytorch.Tensor (pytorch_android_lite 2.1.0): static fromBlob(float[], long[]),
// shape(), getDataAsFloatArray().
package org.pytorch;

public abstract class Tensor {
    public static Tensor fromBlob(float[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public long[] shape() { throw new RuntimeException("Stub!"); }
    public float[] getDataAsFloatArray() { throw new RuntimeException("Stub!"); }
}
