// Mirrors ai.onnxruntime.ValueInfo (onnxruntime-android 1.30.0): the interface of TensorInfo,
// MapInfo and SequenceInfo.
package ai.onnxruntime;

public interface ValueInfo {}
