// Mirrors androidx.activity.ComponentActivity of androidx.activity:activity 1.10.1 (a Kotlin
// class since 1.9): `final override fun <I, O> registerForActivityResult(contract:
// ActivityResultContract<I, O>, callback: ActivityResultCallback<O>): ActivityResultLauncher<I>`.
// (Really extends androidx.core.app.ComponentActivity; only the members the app uses.)
package androidx.activity

import androidx.activity.result.ActivityResultCallback
import androidx.activity.result.ActivityResultLauncher
import androidx.activity.result.contract.ActivityResultContract

open class ComponentActivity : android.app.Activity() {
    fun <I, O> registerForActivityResult(
        contract: ActivityResultContract<I, O>,
        callback: ActivityResultCallback<O>,
    ): ActivityResultLauncher<I> = throw RuntimeException("Stub!")
}
