import Foundation

/// The ONNX Runtime execution provider chosen at export ({{ execution_provider_label }}; recipe
/// `[export] onnxruntime_providers`) and the fallback to CPU. Pure Swift: no ONNX Runtime here.
enum ExecutionProvider {
    /// "cpu" or "coreml".
    static let chosen: String = {{ execution_provider | swift }}

    /// The name the screen shows.
    static func label(_ key: String) -> String {
        switch key {
        case "coreml": return "Core ML EP"
        case "cpu": return "CPU"
        default: return key
        }
    }

    /// `open(provider)` with `provider` added; when adding it or creating the session with it
    /// throws, the failure is logged and `open(nil)` (CPU only) is used instead. Returns the
    /// session and what runs it: "Core ML EP", "CPU", or "CPU (Core ML EP unavailable: …)".
    static func openWithFallback<Session>(
        _ provider: String, _ open: (String?) throws -> Session
    ) throws -> (session: Session, running: String) {
        if provider == "cpu" {
            return (try open(nil), label("cpu"))
        }
        do {
            return (try open(provider), label(provider))
        } catch {
            let reason = error.localizedDescription
            print("DeployStudio: \(label(provider)) unavailable, running on CPU: \(reason)")
            return (try open(nil), "CPU (\(label(provider)) unavailable: \(reason))")
        }
    }
}
