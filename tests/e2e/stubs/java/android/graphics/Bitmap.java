// Mirrors android.graphics.Bitmap (API 35): getWidth(), getHeight(), getConfig(),
// getPixels(int[], int, int, int, int, int, int), copy(Config, boolean),
// static createScaledBitmap(Bitmap, int, int, boolean), createBitmap(Bitmap, int, int, int, int),
// createBitmap(Bitmap, int, int, int, int, Matrix, boolean),
// createBitmap(int[] colors, int width, int height, Config config), and the enum Bitmap.Config.
package android.graphics;

public final class Bitmap {
    public enum Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888, RGBA_F16, HARDWARE, RGBA_1010102 }

    public int getWidth() { throw new RuntimeException("Stub!"); }
    public int getHeight() { throw new RuntimeException("Stub!"); }
    public Config getConfig() { throw new RuntimeException("Stub!"); }
    public void getPixels(int[] pixels, int offset, int stride, int x, int y, int width, int height) {
        throw new RuntimeException("Stub!");
    }
    public Bitmap copy(Config config, boolean isMutable) { throw new RuntimeException("Stub!"); }
    public static Bitmap createScaledBitmap(Bitmap src, int dstWidth, int dstHeight, boolean filter) {
        throw new RuntimeException("Stub!");
    }
    public static Bitmap createBitmap(int[] colors, int width, int height, Config config) {
        throw new RuntimeException("Stub!");
    }
    public static Bitmap createBitmap(Bitmap source, int x, int y, int width, int height) {
        throw new RuntimeException("Stub!");
    }
    public static Bitmap createBitmap(Bitmap source, int x, int y, int width, int height, Matrix m, boolean filter) {
        throw new RuntimeException("Stub!");
    }
}
