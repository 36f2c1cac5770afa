// Mirrors android.view.View (API 35): setOnClickListener(View.OnClickListener) with the
// single-method interface OnClickListener.onClick(View), setVisibility(int) with the constants
// VISIBLE (0), INVISIBLE (4), GONE (8), setEnabled(boolean), isEnabled().
package android.view;

public class View {
    public static final int VISIBLE = 0;
    public static final int INVISIBLE = 4;
    public static final int GONE = 8;

    public interface OnClickListener {
        void onClick(View v);
    }

    public void setOnClickListener(OnClickListener l) { throw new RuntimeException("Stub!"); }
    public void setVisibility(int visibility) { throw new RuntimeException("Stub!"); }
    public void setEnabled(boolean enabled) { throw new RuntimeException("Stub!"); }
    public boolean isEnabled() { throw new RuntimeException("Stub!"); }
}
