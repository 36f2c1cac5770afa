// Mirrors org.pytorch.Module (pytorch_android_lite 2.1.0): forward(IValue...): IValue, destroy().
package org.pytorch;

public class Module {
    public IValue forward(IValue... inputs) { throw new RuntimeException("Stub!"); }
    public void destroy() { throw new RuntimeException("Stub!"); }
}
