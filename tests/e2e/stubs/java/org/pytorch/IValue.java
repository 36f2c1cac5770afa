// Mirrors org.pytorch.IValue (org.pytorch:pytorch_android_lite 2.1.0, Java): private constructor,
// static from(Tensor), toTensor(), isTuple(), toTuple(), isList(), toList(), isDictStringKey(),
// toDictStringKey() (Map<String, IValue>).
package org.pytorch;

public class IValue {
    private IValue() { throw new RuntimeException("Stub!"); }
    public static IValue from(Tensor tensor) { throw new RuntimeException("Stub!"); }
    public Tensor toTensor() { throw new RuntimeException("Stub!"); }
    public boolean isTuple() { throw new RuntimeException("Stub!"); }
    public IValue[] toTuple() { throw new RuntimeException("Stub!"); }
    public boolean isList() { throw new RuntimeException("Stub!"); }
    public IValue[] toList() { throw new RuntimeException("Stub!"); }
    public boolean isDictStringKey() { throw new RuntimeException("Stub!"); }
    public java.util.Map<String, IValue> toDictStringKey() { throw new RuntimeException("Stub!"); }
}
