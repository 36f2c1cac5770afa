// Mirrors org.pytorch.executorch.Module of org.pytorch:executorch-android 1.5.1, a Kotlin class
// (extension/android/executorch_android/src/main/java/org/pytorch/executorch/Module.kt):
// `open class Module private constructor(...) : Closeable`, companion
// `@JvmStatic @JvmOverloads fun load(modelPath: String?, loadMode: Int = LOAD_MODE_FILE,
// numThreads: Int = 0): Module`, `open fun forward(vararg inputs: EValue): Array<EValue>`,
// `open fun destroy()`, `override fun close()` (calls destroy()). Checked against the source at
// the v1.4.1 tag and at main (version.txt 1.5.0): these members are the same in both.
package org.pytorch.executorch

import java.io.Closeable

@Suppress("UNUSED_PARAMETER")
open class Module private constructor(moduleAbsolutePath: String, loadMode: Int, numThreads: Int) :
    Closeable {
    open fun forward(vararg inputs: EValue): Array<EValue> = throw RuntimeException("Stub!")

    open fun execute(methodName: String, vararg inputs: EValue): Array<EValue> =
        throw RuntimeException("Stub!")

    open fun destroy(): Unit = throw RuntimeException("Stub!")

    override fun close(): Unit = throw RuntimeException("Stub!")

    companion object {
        const val LOAD_MODE_FILE = 0
        const val LOAD_MODE_MMAP = 1

        @JvmStatic
        @JvmOverloads
        fun load(modelPath: String?, loadMode: Int = LOAD_MODE_FILE, numThreads: Int = 0): Module =
            throw RuntimeException("Stub!")
    }
}
