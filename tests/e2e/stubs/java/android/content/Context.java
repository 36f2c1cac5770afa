// Mirrors android.content.Context (Android SDK, API 35): getAssets(), getFilesDir(),
// getContentResolver(), getString(int), getColor(int) (API 23).
package android.content;

public abstract class Context {
    public abstract android.content.res.AssetManager getAssets();
    public abstract java.io.File getFilesDir();
    public abstract ContentResolver getContentResolver();
    public final String getString(int resId) { throw new RuntimeException("Stub!"); }
    public final int getColor(int id) { throw new RuntimeException("Stub!"); }
}
