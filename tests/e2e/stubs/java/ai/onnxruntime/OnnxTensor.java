// Mirrors ai.onnxruntime.OnnxTensor (onnxruntime-android 1.30.0): static
// createTensor(OrtEnvironment, FloatBuffer, long[]) throws OrtException, getFloatBuffer(), close().
package ai.onnxruntime;

public class OnnxTensor extends OnnxTensorLike {
    public static OnnxTensor createTensor(OrtEnvironment env, java.nio.FloatBuffer data, long[] shape) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    public java.nio.FloatBuffer getFloatBuffer() { throw new RuntimeException("Stub!"); }
    public Object getValue() throws OrtException { throw new RuntimeException("Stub!"); }
    @Override public void close() { throw new RuntimeException("Stub!"); }
}
