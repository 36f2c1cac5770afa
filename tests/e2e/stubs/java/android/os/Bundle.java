// Mirrors android.os.Bundle (API 35), used only as a parameter type.
package android.os;

public final class Bundle {
}
