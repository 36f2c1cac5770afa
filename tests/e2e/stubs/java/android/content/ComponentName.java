// Mirrors android.content.ComponentName (API 35), used only as a value type.
package android.content;

public final class ComponentName {
    public ComponentName(String pkg, String cls) { throw new RuntimeException("Stub!"); }
}
