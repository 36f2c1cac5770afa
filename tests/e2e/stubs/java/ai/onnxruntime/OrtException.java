// Mirrors ai.onnxruntime.OrtException (onnxruntime-android 1.30.0).
package ai.onnxruntime;

public class OrtException extends Exception {
    public OrtException(String message) { super(message); }
}
