// Mirrors org.pytorch.IValue (pytorch_android_lite 2.1.0): static from(Tensor), toTensor().
package org.pytorch;

public class IValue {
    public static IValue from(Tensor tensor) { throw new RuntimeException("Stub!"); }
    public Tensor toTensor() { throw new RuntimeException("Stub!"); }
}
