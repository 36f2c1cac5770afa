// Mirrors android.content.Intent (API 35): Intent(String action),
// resolveActivity(PackageManager): ComponentName (null when no activity handles the intent;
// on API 30+ only apps named in the manifest's <queries> are visible).
package android.content;

public class Intent {
    public Intent(String action) { throw new RuntimeException("Stub!"); }
    public ComponentName resolveActivity(android.content.pm.PackageManager pm) { throw new RuntimeException("Stub!"); }
}
