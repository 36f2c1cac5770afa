// Mirrors android.graphics.Rect (API 35), used only as a parameter type.
package android.graphics;

public final class Rect {
}
