// Mirrors ai.onnxruntime.OnnxValue (onnxruntime-android 1.30.0): getValue(), getInfo(), close().
package ai.onnxruntime;

public interface OnnxValue extends AutoCloseable {
    Object getValue() throws OrtException;
    ValueInfo getInfo();
    @Override void close();
}
