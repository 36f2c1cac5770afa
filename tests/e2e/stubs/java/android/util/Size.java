// Mirrors android.util.Size (API 21): getWidth(), getHeight().
package android.util;

public final class Size {
    public Size(int width, int height) { throw new RuntimeException("Stub!"); }
    public int getWidth() { throw new RuntimeException("Stub!"); }
    public int getHeight() { throw new RuntimeException("Stub!"); }
}
