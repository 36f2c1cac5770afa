// Mirrors ai.onnxruntime.OrtSession (onnxruntime-android 1.30.0): getInputNames(): Set<String>,
// run(Map<String, ? extends OnnxTensorLike>): Result, close(); nested SessionOptions
// (setIntraOpNumThreads(int), close()) and Result (get(int): OnnxValue, close()).
package ai.onnxruntime;

import java.util.Map;
import java.util.Set;

public class OrtSession implements AutoCloseable {
    public Set<String> getInputNames() { throw new RuntimeException("Stub!"); }
    public Result run(Map<String, ? extends OnnxTensorLike> inputs) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    @Override public void close() throws OrtException { throw new RuntimeException("Stub!"); }

    public static class SessionOptions implements AutoCloseable {
        public SessionOptions() { throw new RuntimeException("Stub!"); }
        public void setIntraOpNumThreads(int numThreads) throws OrtException { throw new RuntimeException("Stub!"); }
        @Override public void close() { throw new RuntimeException("Stub!"); }
    }

    public static class Result implements AutoCloseable, Iterable<Map.Entry<String, OnnxValue>> {
        public OnnxValue get(int index) { throw new RuntimeException("Stub!"); }
        @Override public java.util.Iterator<Map.Entry<String, OnnxValue>> iterator() { throw new RuntimeException("Stub!"); }
        @Override public void close() { throw new RuntimeException("Stub!"); }
    }
}
