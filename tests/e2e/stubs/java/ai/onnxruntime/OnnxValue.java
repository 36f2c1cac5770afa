// Mirrors ai.onnxruntime.OnnxValue (onnxruntime-android 1.30.0): getValue(), close().
package ai.onnxruntime;

public interface OnnxValue extends AutoCloseable {
    Object getValue() throws OrtException;
    @Override void close();
}
