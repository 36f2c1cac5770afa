// Mirrors ai.onnxruntime.OnnxTensorLike (onnxruntime-android 1.30.0): the base of OnnxTensor.
package ai.onnxruntime;

public abstract class OnnxTensorLike implements OnnxValue {
}
