// Mirrors ai.onnxruntime.OrtEnvironment (com.microsoft.onnxruntime:onnxruntime-android 1.30.0):
// static getEnvironment(), createSession(String, OrtSession.SessionOptions) throws OrtException.
package ai.onnxruntime;

public final class OrtEnvironment implements AutoCloseable {
    public static OrtEnvironment getEnvironment() { throw new RuntimeException("Stub!"); }
    public OrtSession createSession(String modelPath, OrtSession.SessionOptions options) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    @Override public void close() { throw new RuntimeException("Stub!"); }
}
