// Mirrors ai.onnxruntime.providers.NNAPIFlags (com.microsoft.onnxruntime:onnxruntime-android 1.30.0,
// java/src/main/java/ai/onnxruntime/providers/NNAPIFlags.java): USE_FP16(1), USE_NCHW(2),
// CPU_DISABLED(4), CPU_ONLY(8), the public final int value and getValue().
package ai.onnxruntime.providers;

public enum NNAPIFlags implements OrtFlags {
    USE_FP16(1),
    USE_NCHW(2),
    CPU_DISABLED(4),
    CPU_ONLY(8);

    public final int value;

    NNAPIFlags(int value) { this.value = value; }

    @Override public int getValue() { return value; }
}
