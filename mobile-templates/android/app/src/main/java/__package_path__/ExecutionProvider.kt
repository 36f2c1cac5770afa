package {{ package_id }}

import java.util.Locale

/**
 * The ONNX Runtime execution provider chosen at export ({{ execution_provider_label if runtime == "onnxruntime" else "none: " + runtime_title }})
 * and the fallback to CPU. Pure Kotlin (no Android, no ONNX Runtime): runs on the JVM.
 */
object ExecutionProvider {
    /** "cpu", "nnapi" or "xnnpack" for ONNX Runtime apps (recipe: [export] onnxruntime_providers); "" for other runtimes. */
    const val CHOSEN: String = {{ (execution_provider if runtime == "onnxruntime" else "") | kotlin }}

    /** What runs the model, shown next to the latency; null until the model is loaded (and for runtimes without providers). */
    @Volatile
    var running: String? = null

    /** The name the screen shows. */
    fun label(provider: String): String = when (provider) {
        "nnapi" -> "NNAPI"
        "xnnpack" -> "XNNPACK"
        "cpu" -> "CPU"
        else -> provider
    }

    /**
     * [openSession] with [provider] added; when adding it or creating the session with it throws,
     * [log] gets the failure and `openSession(null)` (CPU only) is used. Returns the session and what
     * runs it: "NNAPI", "CPU", or "CPU (NNAPI unavailable: <reason>)".
     */
    fun <S> openWithFallback(provider: String, log: (String, Throwable) -> Unit, openSession: (String?) -> S): Pair<S, String> {
        if (provider == "cpu" || provider.isEmpty()) return openSession(null) to label("cpu")
        return try {
            openSession(provider) to label(provider)
        } catch (e: Exception) {
            log("${label(provider)} unavailable, running on CPU", e)
            val reason = e.message ?: e.javaClass.simpleName
            openSession(null) to "CPU (${label(provider)} unavailable: $reason)"
        }
    }

    /** "0.42 ms (median of 20 runs)", plus " · NNAPI" (what runs the model) when known. */
    fun latencyText(latencyMs: Double, runs: Int): String =
        String.format(Locale.US, "%.2f ms (median of %d runs)", latencyMs, runs) + (running?.let { " · $it" } ?: "")
}
