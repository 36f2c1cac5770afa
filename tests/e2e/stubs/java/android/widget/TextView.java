// Mirrors android.widget.TextView (API 35): setText(CharSequence), getText(), setTextColor(int).
package android.widget;

public class TextView extends android.view.View {
    public final void setText(CharSequence text) { throw new RuntimeException("Stub!"); }
    public CharSequence getText() { throw new RuntimeException("Stub!"); }
    public void setTextColor(int color) { throw new RuntimeException("Stub!"); }
}
