// Mirrors android.content.pm.PackageManager (API 35), used only as a parameter type.
package android.content.pm;

public abstract class PackageManager {
}
