// Mirrors ai.onnxruntime.TensorInfo (onnxruntime-android 1.30.0,
// java/src/main/java/ai/onnxruntime/TensorInfo.java): the public final fields type (the Java
// element type) and onnxType, getShape(); constructed by the runtime only.
package ai.onnxruntime;

public class TensorInfo implements ValueInfo {
    public final OnnxJavaType type;

    TensorInfo(OnnxJavaType type) { this.type = type; }

    public long[] getShape() { throw new RuntimeException("Stub!"); }
}
