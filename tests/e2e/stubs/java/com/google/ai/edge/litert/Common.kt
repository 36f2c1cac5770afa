// Mirrors com.google.ai.edge.litert.Accelerator and JniHandle of
// com.google.ai.edge.litert:litert 2.3.0, Kotlin (google-ai-edge/LiteRT
// litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/Common.kt; the same at the v2.2.0
// tag and at main of 2026-08-21): `enum class Accelerator private constructor(val value: Int)
// { NONE(0), CPU(1), GPU(2), NPU(3) }`, `abstract class JniHandle internal constructor(internal
// val handle: Long) : AutoCloseable` with `protected abstract fun destroy()` and `override final
// fun close()`. The app is another module and sees no `internal` member: JniHandle is sealed
// here (no subclass outside this package, as its internal constructor allows none outside
// LiteRT) and the handle is private.
package com.google.ai.edge.litert

enum class Accelerator private constructor(val value: Int) {
    NONE(0),
    CPU(1),
    GPU(2),
    NPU(3),
}

@Suppress("UNUSED_PARAMETER")
sealed class JniHandle(private val handle: Long) : AutoCloseable {
    protected fun assertNotDestroyed(): Unit = throw RuntimeException("Stub!")

    protected abstract fun destroy()

    final override fun close(): Unit = throw RuntimeException("Stub!")
}
