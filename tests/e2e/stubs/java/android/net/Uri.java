// Mirrors android.net.Uri (API 35), used only as a value type.
package android.net;

public abstract class Uri {
}
