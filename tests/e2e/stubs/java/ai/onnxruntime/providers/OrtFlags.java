// Mirrors ai.onnxruntime.providers.OrtFlags (com.microsoft.onnxruntime:onnxruntime-android 1.30.0,
// java/src/main/java/ai/onnxruntime/providers/OrtFlags.java): getValue() and the static
// aggregateToInt(EnumSet<? extends OrtFlags>).
package ai.onnxruntime.providers;

import java.util.EnumSet;

public interface OrtFlags {
    int getValue();

    static int aggregateToInt(EnumSet<? extends OrtFlags> set) { throw new RuntimeException("Stub!"); }
}
