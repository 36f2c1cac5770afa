// Mirrors org.pytorch.DType (org.pytorch:pytorch_android_lite 2.1.0, Java enum,
// android/pytorch_android/src/main/java/org/pytorch/DType.java): UINT8, INT8, INT32, FLOAT32,
// INT64, FLOAT64 (each with its jniCode).
package org.pytorch;

public enum DType {
    UINT8(1),
    INT8(2),
    INT32(3),
    FLOAT32(4),
    INT64(5),
    FLOAT64(6);

    final int jniCode;

    DType(int jniCode) { this.jniCode = jniCode; }
}
