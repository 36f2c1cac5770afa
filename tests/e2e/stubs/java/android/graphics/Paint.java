// Mirrors android.graphics.Paint (API 35): Paint(), Paint(int flags), ANTI_ALIAS_FLAG,
// get/setColor(int), get/setStyle(Style), get/setStrokeWidth(float), get/setTextSize(float),
// and the enum Paint.Style.
package android.graphics;

public class Paint {
    public static final int ANTI_ALIAS_FLAG = 1;
    public enum Style { FILL, STROKE, FILL_AND_STROKE }

    public Paint() { throw new RuntimeException("Stub!"); }
    public Paint(int flags) { throw new RuntimeException("Stub!"); }
    public int getColor() { throw new RuntimeException("Stub!"); }
    public void setColor(int color) { throw new RuntimeException("Stub!"); }
    public Style getStyle() { throw new RuntimeException("Stub!"); }
    public void setStyle(Style style) { throw new RuntimeException("Stub!"); }
    public float getStrokeWidth() { throw new RuntimeException("Stub!"); }
    public void setStrokeWidth(float width) { throw new RuntimeException("Stub!"); }
    public float getTextSize() { throw new RuntimeException("Stub!"); }
    public void setTextSize(float textSize) { throw new RuntimeException("Stub!"); }
}
