// Mirrors androidx.activity.ComponentActivity (androidx.activity:activity 1.10.1):
// registerForActivityResult(ActivityResultContract<I, O>, ActivityResultCallback<O>)
// returning ActivityResultLauncher<I> (declared final in the published class).
package androidx.activity;

import androidx.activity.result.ActivityResultCallback;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContract;

public class ComponentActivity extends android.app.Activity {
    public final <I, O> ActivityResultLauncher<I> registerForActivityResult(
            ActivityResultContract<I, O> contract, ActivityResultCallback<O> callback) {
        throw new RuntimeException("Stub!");
    }
}
