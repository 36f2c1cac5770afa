// Mirrors org.pytorch.Tensor (org.pytorch:pytorch_android_lite 2.1.0, Java,
// android/pytorch_android/src/main/java/org/pytorch/Tensor.java): private constructor, static
// fromBlob(byte[] (int8) | int[] | float[] | long[] | double[], long[]) and
// fromBlobUnsigned(byte[], long[]) (uint8); no bool overload. shape(), dtype(): DType and
// getDataAs{Byte,UnsignedByte,Int,Float,Long,Double}Array() (another dtype throws
// IllegalStateException).
package org.pytorch;

public abstract class Tensor {
    private Tensor() { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlobUnsigned(byte[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlob(byte[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlob(int[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlob(float[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlob(long[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public static Tensor fromBlob(double[] data, long[] shape) { throw new RuntimeException("Stub!"); }
    public long[] shape() { throw new RuntimeException("Stub!"); }
    public abstract DType dtype();
    public byte[] getDataAsByteArray() { throw new RuntimeException("Stub!"); }
    public byte[] getDataAsUnsignedByteArray() { throw new RuntimeException("Stub!"); }
    public int[] getDataAsIntArray() { throw new RuntimeException("Stub!"); }
    public float[] getDataAsFloatArray() { throw new RuntimeException("Stub!"); }
    public long[] getDataAsLongArray() { throw new RuntimeException("Stub!"); }
    public double[] getDataAsDoubleArray() { throw new RuntimeException("Stub!"); }
}
