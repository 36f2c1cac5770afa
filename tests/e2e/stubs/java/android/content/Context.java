// Mirrors android.content.Context (Android SDK, API 35): getAssets(), getFilesDir(), getCacheDir(),
// getContentResolver(), getPackageManager(), getPackageName(), getString(int), getColor(int) (API 23),
// checkSelfPermission(String) (API 23: PackageManager.PERMISSION_GRANTED or PERMISSION_DENIED, an int).
package android.content;

public abstract class Context {
    public abstract android.content.res.AssetManager getAssets();
    public abstract java.io.File getFilesDir();
    public abstract java.io.File getCacheDir();
    public abstract ContentResolver getContentResolver();
    public abstract android.content.pm.PackageManager getPackageManager();
    public abstract String getPackageName();
    public final String getString(int resId) { throw new RuntimeException("Stub!"); }
    public final int getColor(int id) { throw new RuntimeException("Stub!"); }
    public abstract int checkSelfPermission(String permission);
}
