// Mirrors android.content.ActivityNotFoundException (API 35; really extends AndroidRuntimeException,
// a RuntimeException): thrown by startActivity (and ActivityResultLauncher.launch) when no
// activity handles the intent.
package android.content;

public class ActivityNotFoundException extends RuntimeException {
    public ActivityNotFoundException() { throw new RuntimeException("Stub!"); }
}
