// Mirrors org.pytorch.Module (org.pytorch:pytorch_android_lite 2.1.0, Java): no public
// constructor (package-private Module(INativePeer); LiteModuleLoader.load creates it),
// forward(IValue...): IValue, destroy().
package org.pytorch;

public class Module {
    Module() { throw new RuntimeException("Stub!"); }
    public IValue forward(IValue... inputs) { throw new RuntimeException("Stub!"); }
    public void destroy() { throw new RuntimeException("Stub!"); }
}
