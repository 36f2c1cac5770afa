// Mirrors org.pytorch.executorch.Module (org.pytorch:executorch-android 1.5.1; Kotlin source with
// @JvmStatic/@JvmOverloads): static load(String modelPath[, int loadMode[, int numThreads]]),
// forward(vararg EValue): Array<EValue>, destroy().
package org.pytorch.executorch;

public class Module {
    public static final int LOAD_MODE_FILE = 0;
    public static final int LOAD_MODE_MMAP = 1;

    public static Module load(String modelPath) { throw new RuntimeException("Stub!"); }
    public static Module load(String modelPath, int loadMode) { throw new RuntimeException("Stub!"); }
    public static Module load(String modelPath, int loadMode, int numThreads) { throw new RuntimeException("Stub!"); }
    public EValue[] forward(EValue... inputs) { throw new RuntimeException("Stub!"); }
    public void destroy() { throw new RuntimeException("Stub!"); }
}
