// Mirrors android.app.Activity (API 35; really extends ContextThemeWrapper): onCreate(Bundle),
// onDestroy(), setContentView(int), <T extends View> findViewById(int), setTitle(CharSequence),
// getTitle(), runOnUiThread(Runnable), and the Context methods the app uses.
package android.app;

public class Activity extends android.content.Context {
    protected void onCreate(android.os.Bundle savedInstanceState) { throw new RuntimeException("Stub!"); }
    protected void onDestroy() { throw new RuntimeException("Stub!"); }
    public void setContentView(int layoutResID) { throw new RuntimeException("Stub!"); }
    public <T extends android.view.View> T findViewById(int id) { throw new RuntimeException("Stub!"); }
    public void setTitle(CharSequence title) { throw new RuntimeException("Stub!"); }
    public final CharSequence getTitle() { throw new RuntimeException("Stub!"); }
    public final void runOnUiThread(Runnable action) { throw new RuntimeException("Stub!"); }
    public android.content.res.AssetManager getAssets() { throw new RuntimeException("Stub!"); }
    public java.io.File getFilesDir() { throw new RuntimeException("Stub!"); }
    public java.io.File getCacheDir() { throw new RuntimeException("Stub!"); }
    public android.content.ContentResolver getContentResolver() { throw new RuntimeException("Stub!"); }
    public android.content.pm.PackageManager getPackageManager() { throw new RuntimeException("Stub!"); }
    public String getPackageName() { throw new RuntimeException("Stub!"); }
    public int checkSelfPermission(String permission) { throw new RuntimeException("Stub!"); }
}
