// Mirrors android.widget.ProgressBar (API 35): getProgress()/setProgress(int), setMax(int).
package android.widget;

public class ProgressBar extends android.view.View {
    public synchronized int getProgress() { throw new RuntimeException("Stub!"); }
    public synchronized void setProgress(int progress) { throw new RuntimeException("Stub!"); }
    public synchronized void setMax(int max) { throw new RuntimeException("Stub!"); }
}
