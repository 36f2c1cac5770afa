// Mirrors ai.onnxruntime.OnnxJavaType (com.microsoft.onnxruntime:onnxruntime-android 1.30.0,
// java/src/main/java/ai/onnxruntime/OnnxJavaType.java): the public enum of element types.
package ai.onnxruntime;

public enum OnnxJavaType {
    FLOAT, DOUBLE, INT8, INT16, INT32, INT64, BOOL, STRING, UINT8, FLOAT16, BFLOAT16, UNKNOWN;
}
