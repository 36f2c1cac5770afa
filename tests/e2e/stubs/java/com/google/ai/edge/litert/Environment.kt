// Mirrors com.google.ai.edge.litert.Environment of com.google.ai.edge.litert:litert 2.3.0,
// Kotlin (google-ai-edge/LiteRT litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/
// Environment.kt; v2.2.0 tag and main of 2026-08-21, which adds the option
// SystemGpuAcceleratorHandle): `class Environment private constructor(handle: Long) :
// JniHandle(handle)`, `@Throws(LiteRtException::class) fun getAvailableAccelerators():
// Set<Accelerator>`, companion `@Throws(LiteRtException::class) @JvmOverloads fun
// create(context: Context, options: Map<Option, String> = mapOf(), enableCompilerCache: Boolean =
// true): Environment` and `fun create(options: Map<Option, String> = mapOf()): Environment`
// (the NpuAcceleratorProvider overloads are not stubbed: the app does not use the NPU).
package com.google.ai.edge.litert

import android.content.Context

@Suppress("UNUSED_PARAMETER")
class Environment private constructor(handle: Long) : JniHandle(handle) {
    enum class Option private constructor(val value: Int) {
        CompilerPluginLibraryDir(0),
        DispatchLibraryDir(1),
        SystemRuntimeHandle(23),
        SystemGpuAcceleratorHandle(30),
    }

    override fun destroy(): Unit = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun getAvailableAccelerators(): Set<Accelerator> = throw RuntimeException("Stub!")

    companion object {
        @Throws(LiteRtException::class)
        @JvmOverloads
        fun create(
            context: Context,
            options: Map<Option, String> = mapOf(),
            enableCompilerCache: Boolean = true,
        ): Environment = throw RuntimeException("Stub!")

        @Throws(LiteRtException::class)
        @JvmOverloads
        fun create(options: Map<Option, String> = mapOf()): Environment = throw RuntimeException("Stub!")
    }
}
