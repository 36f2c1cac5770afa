// Mirrors ai.onnxruntime.OrtSession (com.microsoft.onnxruntime:onnxruntime-android 1.30.0,
// java/src/main/java/ai/onnxruntime/OrtSession.java): package-private constructors (sessions come
// from OrtEnvironment.createSession), getInputNames(): Set<String>,
// run(Map<String, ? extends OnnxTensorLike>): Result throws OrtException, close() throws
// OrtException; nested SessionOptions (public constructor, setIntraOpNumThreads(int) throws
// OrtException, addNnapi() and addNnapi(EnumSet<NNAPIFlags>) throws OrtException,
// addXnnpack(Map<String, String>) throws OrtException, close(); its Javadoc: "must not be
// closed until all sessions which use it are closed") and Result (get(int): OnnxValue, get(String): Optional<OnnxValue>, size(), close()).
package ai.onnxruntime;

import ai.onnxruntime.providers.NNAPIFlags;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

public class OrtSession implements AutoCloseable {
    OrtSession() { throw new RuntimeException("Stub!"); }
    public Set<String> getInputNames() { throw new RuntimeException("Stub!"); }
    public Set<String> getOutputNames() { throw new RuntimeException("Stub!"); }
    public Result run(Map<String, ? extends OnnxTensorLike> inputs) throws OrtException {
        throw new RuntimeException("Stub!");
    }
    @Override public void close() throws OrtException { throw new RuntimeException("Stub!"); }

    public static class SessionOptions implements AutoCloseable {
        public SessionOptions() { throw new RuntimeException("Stub!"); }
        public void setIntraOpNumThreads(int numThreads) throws OrtException { throw new RuntimeException("Stub!"); }
        public void addNnapi() throws OrtException { throw new RuntimeException("Stub!"); }
        public void addNnapi(EnumSet<NNAPIFlags> flags) throws OrtException { throw new RuntimeException("Stub!"); }
        public void addXnnpack(Map<String, String> providerOptions) throws OrtException { throw new RuntimeException("Stub!"); }
        @Override public void close() { throw new RuntimeException("Stub!"); }
    }

    public static class Result implements AutoCloseable, Iterable<Map.Entry<String, OnnxValue>> {
        Result() { throw new RuntimeException("Stub!"); }
        public OnnxValue get(int index) { throw new RuntimeException("Stub!"); }
        public Optional<OnnxValue> get(String key) { throw new RuntimeException("Stub!"); }
        public int size() { throw new RuntimeException("Stub!"); }
        @Override public java.util.Iterator<Map.Entry<String, OnnxValue>> iterator() { throw new RuntimeException("Stub!"); }
        @Override public void close() { throw new RuntimeException("Stub!"); }
    }
}
