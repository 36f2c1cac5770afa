// Mirrors org.pytorch.IValue (org.pytorch:pytorch_android_lite 2.1.0, Java): private constructor,
// static from(Tensor), toTensor().
package org.pytorch;

public class IValue {
    private IValue() { throw new RuntimeException("Stub!"); }
    public static IValue from(Tensor tensor) { throw new RuntimeException("Stub!"); }
    public Tensor toTensor() { throw new RuntimeException("Stub!"); }
}
