// Mirrors android.graphics.BitmapFactory (API 35): static decodeStream(InputStream),
// decodeStream(InputStream, Rect, Options) (both may return null), and Options with the public
// fields inPreferredConfig, inScaled, inSampleSize, inJustDecodeBounds, outWidth, outHeight.
package android.graphics;

public class BitmapFactory {
    public static class Options {
        public Bitmap.Config inPreferredConfig;
        public boolean inScaled;
        public int inSampleSize;
        public boolean inJustDecodeBounds;
        public int outWidth;
        public int outHeight;
    }

    public static Bitmap decodeStream(java.io.InputStream is) { throw new RuntimeException("Stub!"); }
    public static Bitmap decodeStream(java.io.InputStream is, Rect outPadding, Options opts) {
        throw new RuntimeException("Stub!");
    }
}
