// Mirrors androidx.activity.result.ActivityResultLauncher<I> (activity 1.10.1): launch(I input),
// unregister().
package androidx.activity.result;

public abstract class ActivityResultLauncher<I> {
    public void launch(I input) { throw new RuntimeException("Stub!"); }
    public abstract void unregister();
}
