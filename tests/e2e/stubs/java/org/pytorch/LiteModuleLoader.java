// Mirrors org.pytorch.LiteModuleLoader (org.pytorch:pytorch_android_lite 2.1.0, Java): static
// load(String modelPath) (load(String, Map, Device) omitted).
package org.pytorch;

public class LiteModuleLoader {
    public static Module load(String modelPath) { throw new RuntimeException("Stub!"); }
}
