// Mirrors androidx.activity.result.contract.ActivityResultContract<I, O> (activity 1.10.1).
package androidx.activity.result.contract;

public abstract class ActivityResultContract<I, O> {
}
