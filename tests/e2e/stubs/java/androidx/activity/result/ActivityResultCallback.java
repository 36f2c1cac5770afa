// Mirrors androidx.activity.result.ActivityResultCallback<O> (activity 1.10.1): a fun interface
// with onActivityResult(O result).
package androidx.activity.result;

public interface ActivityResultCallback<O> {
    void onActivityResult(O result);
}
