// Mirrors android.view.View (API 35): setOnClickListener(View.OnClickListener) with the
// single-method interface OnClickListener.onClick(View), setVisibility(int), setEnabled(boolean),
// isEnabled().
package android.view;

public class View {
    public interface OnClickListener {
        void onClick(View v);
    }

    public void setOnClickListener(OnClickListener l) { throw new RuntimeException("Stub!"); }
    public void setVisibility(int visibility) { throw new RuntimeException("Stub!"); }
    public void setEnabled(boolean enabled) { throw new RuntimeException("Stub!"); }
    public boolean isEnabled() { throw new RuntimeException("Stub!"); }
}
