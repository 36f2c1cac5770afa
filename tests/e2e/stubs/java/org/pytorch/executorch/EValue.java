// Mirrors org.pytorch.executorch.EValue (executorch-android 1.5.1): static from(Tensor), toTensor().
package org.pytorch.executorch;

public class EValue {
    public static EValue from(Tensor tensor) { throw new RuntimeException("Stub!"); }
    public Tensor toTensor() { throw new RuntimeException("Stub!"); }
}
