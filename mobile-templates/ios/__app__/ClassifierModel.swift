import SwiftUI
import UIKit

/// What the screen shows; every change happens on the main actor.
@MainActor
final class ClassifierModel: ObservableObject {
    @Published var status = "Loading the model…"
    @Published var image: UIImage?
    @Published var source = "bundled sample"
    @Published var top: [LabeledProbability] = []
    @Published var latencyMs: Double?
    @Published var selfTest: SelfTestResult?

    private let worker = ClassifierWorker()

    func runSample() async {
        guard let url = Bundle.main.url(forResource: "sample", withExtension: "png"),
              let image = UIImage(contentsOfFile: url.path)
        else {
            status = "Error: sample.png is missing from the app bundle"
            return
        }
        await classify(image, source: "bundled sample", isSample: true)
    }

    func classify(_ image: UIImage, source: String, isSample: Bool) async {
        self.image = image
        self.source = source
        status = "Running the model…"
        guard let cgImage = Self.upright(image) else {
            status = "Error: the image could not be read"
            return
        }
        do {
            let outcome = try await worker.classify(cgImage, isSample: isSample)
            top = outcome.top
            latencyMs = outcome.latencyMs
            if let test = outcome.selfTest { selfTest = test }
            status = "Prediction: " + (outcome.top.first?.label ?? "–")
        } catch {
            status = "Error: " + error.localizedDescription
        }
    }

    /// The pixels as the user sees them (camera photos carry a rotation flag).
    private static func upright(_ image: UIImage) -> CGImage? {
        if image.imageOrientation == .up { return image.cgImage }
        let format = UIGraphicsImageRendererFormat()
        format.scale = 1
        let renderer = UIGraphicsImageRenderer(size: image.size, format: format)
        return renderer.image { _ in image.draw(in: CGRect(origin: .zero, size: image.size)) }.cgImage
    }
}

/// Owns the model and runs it off the main thread.
actor ClassifierWorker {
    struct Outcome: Sendable {
        let top: [LabeledProbability]
        let latencyMs: Double
        let selfTest: SelfTestResult?
    }

    private var classifier: Classifier?
    private var labels: [String] = []
    private var expected: Expected?

    func classify(_ image: CGImage, isSample: Bool) throws -> Outcome {
        if classifier == nil {
            labels = try BundledData.labels()
            expected = try BundledData.expected()
            classifier = try Classifier()
        }
        guard let classifier else { throw ClassifierError.badOutput("no model") }
        guard let pixels = Preprocess.pixels(of: image) else { throw ClassifierError.badImage }
        let input = Preprocess.toInput(pixels)
        let logits = try classifier.run(input)
        for _ in 0..<AppInfo.warmupRuns { _ = try classifier.run(input) }
        var times: [Double] = []
        for _ in 0..<AppInfo.benchmarkRuns {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try classifier.run(input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let probs = SelfTest.softmax(logits)
        let top = SelfTest.topK(probs, 3).map {
            LabeledProbability(id: $0.index, label: labels[$0.index], probability: $0.probability)
        }
        var test: SelfTestResult?
        if isSample, let expected {
            test = SelfTest.compare(logits, expected, tolerance: SelfTest.tolerance(for: expected))
        }
        return Outcome(top: top, latencyMs: SelfTest.median(times), selfTest: test)
    }
}
