// Mirrors android.graphics.Matrix (API 35): Matrix(), postRotate(float): boolean,
// postScale(float, float): boolean.
package android.graphics;

public class Matrix {
    public Matrix() { throw new RuntimeException("Stub!"); }
    public boolean postRotate(float degrees) { throw new RuntimeException("Stub!"); }
    public boolean postScale(float sx, float sy) { throw new RuntimeException("Stub!"); }
}
