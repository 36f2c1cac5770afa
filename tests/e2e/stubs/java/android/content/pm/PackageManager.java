// Mirrors android.content.pm.PackageManager (API 35): a parameter type, and the int results of
// Context.checkSelfPermission: PERMISSION_GRANTED = 0, PERMISSION_DENIED = -1.
package android.content.pm;

public abstract class PackageManager {
    public static final int PERMISSION_GRANTED = 0;
    public static final int PERMISSION_DENIED = -1;
}
