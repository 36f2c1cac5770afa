// Mirrors com.google.ai.edge.litert.CompiledModel of com.google.ai.edge.litert:litert 2.3.0,
// Kotlin (google-ai-edge/LiteRT litert/kotlin/src/main/kotlin/com/google/ai/edge/litert/
// Model.kt; the same at the v2.2.0 tag and at main of 2026-08-21): `class CompiledModel private
// constructor(handle: Long, env: Environment, envManaged: Boolean = false) : JniHandle(handle)`;
// `data class CpuOptions constructor(val numThreads: Int? = null, val xnnPackFlags: Int? = null,
// val xnnPackWeightCachePath: String? = null)`; `class Options constructor(internal val
// accelerators: Set<Accelerator>)` with `constructor(vararg accelerators: Accelerator)`,
// `var cpuOptions: CpuOptions?` and companion `@JvmStatic val CPU`; the buffer factories
// createInputBuffer(inputName: String, signature: String = "") / createOutputBuffer(...),
// createInputBuffers(signatureIndex: Int = 0) / createOutputBuffers(...) and their
// `(signature: String)` overloads; the run overloads (a List of inputs returning the outputs,
// List inputs + List outputs returning Unit, Map inputs + Map outputs + signature); companion
// `@JvmOverloads @JvmStatic fun create(assetManager: AssetManager, assetName: String, options:
// Options = Options.CPU, optionalEnv: Environment? = null)` and `create(filePath: String,
// options: Options = Options.CPU, optionalEnv: Environment? = null)`. Every public member throws
// LiteRtException (`@Throws`). Not stubbed (the app does not use them): GpuOptions,
// QualcommOptions, Options.gpuOptions / qualcommOptions, the buffer requirements and tensor
// types. `internal` members are private here (the app, another module, cannot see them).
package com.google.ai.edge.litert

import android.content.res.AssetManager

@Suppress("UNUSED_PARAMETER")
class CompiledModel private constructor(
    handle: Long,
    private val env: Environment,
    private val envManaged: Boolean = false,
) : JniHandle(handle) {
    data class CpuOptions constructor(
        val numThreads: Int? = null,
        val xnnPackFlags: Int? = null,
        val xnnPackWeightCachePath: String? = null,
    )

    class Options constructor(private val accelerators: Set<Accelerator>) {
        constructor(vararg accelerators: Accelerator) : this(setOf(*accelerators))

        var cpuOptions: CpuOptions? = null

        companion object {
            @JvmStatic val CPU: Options = Options(Accelerator.CPU)
        }
    }

    @Throws(LiteRtException::class)
    fun createInputBuffer(inputName: String, signature: String = ""): TensorBuffer =
        throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun createOutputBuffer(outputName: String, signature: String = ""): TensorBuffer =
        throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun createInputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun createInputBuffers(signature: String): List<TensorBuffer> = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun createOutputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun createOutputBuffers(signature: String): List<TensorBuffer> = throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun run(inputs: List<TensorBuffer>, signatureIndex: Int = 0): List<TensorBuffer> =
        throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun run(inputs: List<TensorBuffer>, signature: String): List<TensorBuffer> =
        throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    @JvmOverloads
    fun run(inputs: List<TensorBuffer>, outputs: List<TensorBuffer>, signatureIndex: Int = 0): Unit =
        throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun run(inputs: List<TensorBuffer>, outputs: List<TensorBuffer>, signature: String): Unit =
        throw RuntimeException("Stub!")

    @Throws(LiteRtException::class)
    fun run(
        inputs: Map<String, TensorBuffer>,
        outputs: Map<String, TensorBuffer>,
        signature: String = "",
    ): Unit = throw RuntimeException("Stub!")

    override fun destroy(): Unit = throw RuntimeException("Stub!")

    companion object {
        @Throws(LiteRtException::class)
        @JvmOverloads
        @JvmStatic
        fun create(
            assetManager: AssetManager,
            assetName: String,
            options: Options = Options.CPU,
            optionalEnv: Environment? = null,
        ): CompiledModel = throw RuntimeException("Stub!")

        @Throws(LiteRtException::class)
        @JvmOverloads
        @JvmStatic
        fun create(
            filePath: String,
            options: Options = Options.CPU,
            optionalEnv: Environment? = null,
        ): CompiledModel = throw RuntimeException("Stub!")
    }
}
