// Mirrors org.pytorch.Tensor (org.pytorch:pytorch_android_lite 2.1.0, Java): private constructor,
// static fromBlob(float[], long[]), shape(), getDataAsFloatArray().
package org.pytorch;

public abstract class Tensor {
    private Tensor() { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlob(float[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public long[] shape() { throw new RuntimeException("Stub!"); }
    public float[] getDataAsFloatArray() { throw new RuntimeException("Stub!"); }
}
