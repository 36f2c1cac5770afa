// Mirrors android.graphics.Canvas (API 35): Canvas(Bitmap) (a mutable bitmap),
// drawRect(float, float, float, float, Paint), drawText(String, float, float, Paint).
package android.graphics;

public class Canvas {
    public Canvas(Bitmap bitmap) { throw new RuntimeException("Stub!"); }
    public void drawRect(float left, float top, float right, float bottom, Paint paint) {
        throw new RuntimeException("Stub!");
    }
    public void drawText(String text, float x, float y, Paint paint) { throw new RuntimeException("Stub!"); }
}
