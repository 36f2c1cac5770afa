// Mirrors androidx.activity.result.ActivityResultCallback and ActivityResultLauncher of
// androidx.activity:activity 1.10.1 (Kotlin sources):
// `fun interface ActivityResultCallback<O : Any?> { fun onActivityResult(result: O) }` and
// `abstract class ActivityResultLauncher<I : Any?>` with `open fun launch(input: I)` and
// `abstract fun unregister()` (launch(input, ActivityOptionsCompat?) and `contract` omitted).
package androidx.activity.result

fun interface ActivityResultCallback<O : Any?> {
    fun onActivityResult(result: O)
}

abstract class ActivityResultLauncher<I : Any?> {
    open fun launch(input: I): Unit = throw RuntimeException("Stub!")

    abstract fun unregister()
}
