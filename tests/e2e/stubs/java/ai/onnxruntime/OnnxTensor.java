// Mirrors ai.onnxruntime.OnnxTensor (com.microsoft.onnxruntime:onnxruntime-android 1.30.0,
// java/src/main/java/ai/onnxruntime/OnnxTensor.java): static createTensor(OrtEnvironment,
// FloatBuffer | DoubleBuffer | LongBuffer | IntBuffer | ByteBuffer (int8), long[]) and
// createTensor(OrtEnvironment, ByteBuffer, long[], OnnxJavaType) (uint8, bool...), all throwing
// OrtException; getFloatBuffer(), getValue() (a multidimensional Java array of the element type,
// or a boxed scalar), getInfo() (a TensorInfo: its public final OnnxJavaType type), close().
package ai.onnxruntime;

public class OnnxTensor extends OnnxTensorLike {
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.FloatBuffer data, long[] shape) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.DoubleBuffer data, long[] shape) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.LongBuffer data, long[] shape) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.IntBuffer data, long[] shape) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.ByteBuffer data, long[] shape) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.ByteBuffer data, long[] shape, OnnxJavaType type) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public java.nio.FloatBuffer getFloatBuffer() { throw new RuntimeException("Stub!"); }
    public Object getValue() throws OrtException { throw new RuntimeException("Stub!"); }
    @Override public TensorInfo getInfo() { throw new RuntimeException("Stub!"); }
    @Override public void close() { throw new RuntimeException("Stub!"); }
}
