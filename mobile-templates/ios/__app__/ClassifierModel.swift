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
    /// Segmentation: the image with the mask over it, and the classes it shows.
    @Published var maskImage: UIImage?
    @Published var legend: [(label: String, color: UInt32, pixels: Int)] = []
    /// Detection: the boxes (input pixels), with labels and scores.
    @Published var detections: [Detection] = []
    @Published var labels: [String] = []
    /// Segmentation / detection: the self-test's agreement with the desktop.
    @Published var taskTest: TaskOutcome?

    private let worker = ClassifierWorker()
{%- if runtime == "onnxruntime" %}

    /// The ONNX Runtime execution provider that runs the model ("Core ML EP", "CPU", or
    /// "CPU (Core ML EP unavailable: …)"), shown next to the latency.
    @Published var provider: String?

    func showProvider() async {
        provider = await worker.provider()
    }
{%- endif %}

    func runSample() async {
{% if audio %}        if TaskSpec.kind == "audio" {
            guard let url = Bundle.main.url(forResource: "sample", withExtension: "wav") else {
                status = "Error: sample.wav is missing from the app bundle"
                return
            }
            await classifyAudio(url, source: "bundled sample.wav", isSample: true)
            return
        }
{% endif %}        if TaskSpec.feedsTensors {
            await runTensors()
            return
        }
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
        if TaskSpec.feedsTensors {
            status = "This model takes tensors, not images: the app runs the bundled sample's"
            return
        }
        if TaskSpec.task != "classification" {
            await runTask(cgImage, isSample: isSample)
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

{% if audio %}    /// Audio: is the microphone recording a clip.
    @Published var recording = false
    private let recorder = AudioRecorder()

    /// Audio: a WAV file (the bundled sample, a chosen file, a recording) through
    /// AudioFeatures.swift and the model; the self-test for the bundled sample.
    func classifyAudio(_ url: URL, source: String, isSample: Bool) async {
        self.source = source
        status = "Running the model…"
        do {
            let scoped = url.startAccessingSecurityScopedResource()  // a file from Files
            defer { if scoped { url.stopAccessingSecurityScopedResource() } }
            let wav = try Data(contentsOf: url)
            let outcome = try await worker.classifyAudio(wav, isSample: isSample)
            top = outcome.top
            latencyMs = outcome.latencyMs
            if let test = outcome.selfTest { selfTest = test }
            self.source = source + ": " + outcome.described
            status = "Prediction: " + (outcome.top.first?.label ?? "–")
        } catch {
            status = "Error: " + error.localizedDescription
        }
    }

    /// Audio: records one clip (AudioSpec's rate and length) and classifies it.
    func record() async {
        recording = true
        status = String(format: "Recording %.2f s…", AudioSpec.seconds)
        do {
            let url = try await recorder.record()
            recording = false
            await classifyAudio(url, source: "microphone", isSample: false)
        } catch {
            recording = false
            status = "Error: " + error.localizedDescription
        }
    }

{% endif %}    /// A model fed the bundled sample's tensors (sample_inputs.json): its mask, boxes or
    /// every output, and the self-test against the desktop's outputs.
    func runTensors() async {
        source = "bundled sample tensors"
        status = "Running the model…"
        do {
            let (outcome, latency, labels, described) = try await worker.runTensors()
            self.labels = labels
            source = described
            latencyMs = latency
            taskTest = outcome
            detections = outcome.detections
            show(outcome, labels: labels, pixels: nil)
        } catch {
            status = "Error: " + error.localizedDescription
        }
    }

    private func show(_ outcome: TaskOutcome, labels: [String], pixels: (rgba: [UInt8], width: Int, height: Int)?) {
        if TaskSpec.kind == "segmentation" {
            let name = { (i: Int) in i < labels.count ? labels[i] : String(i) }
            legend = SegmentationMask.legend(outcome.mask).map {
                (label: name($0.label), color: SegmentationMask.color($0.label), pixels: $0.pixels)
            }
            let canvas = pixels ?? (
                rgba: [UInt8](repeating: 0, count: TaskSpec.maskWidth * TaskSpec.maskHeight * 4),
                width: TaskSpec.maskWidth, height: TaskSpec.maskHeight
            )
            maskImage = Self.overlay(canvas, mask: outcome.mask)
            status = "Mask: " + legend.prefix(3).map(\.label).joined(separator: ", ")
        } else if TaskSpec.kind == "detection" {
            status = "\(outcome.detections.count) detection(s)"
        } else {
            status = "\(outcome.outputs.count) output(s)"
        }
    }

    /// Segmentation / detection: the mask over the image with its legend, or the boxes.
    private func runTask(_ cgImage: CGImage, isSample: Bool) async {
        do {
            let (outcome, latency, labels, pixels) = try await worker.runTask(cgImage, isSample: isSample)
            self.labels = labels
            latencyMs = latency
            if isSample, outcome.passed != nil { taskTest = outcome }
            detections = outcome.detections
            show(outcome, labels: labels, pixels: pixels)
        } catch {
            status = "Error: " + error.localizedDescription
        }
    }

    /// The model-size input image (RGBA) with the mask blended over it.
    private static func overlay(_ pixels: (rgba: [UInt8], width: Int, height: Int), mask: [Int]) -> UIImage? {
        var rgba = SegmentationMask.overlay(
            pixels.rgba, width: pixels.width, height: pixels.height, mask: mask,
            maskWidth: TaskSpec.maskWidth, maskHeight: TaskSpec.maskHeight
        )
        let space = CGColorSpaceCreateDeviceRGB()
        return rgba.withUnsafeMutableBytes { buffer -> UIImage? in
            guard let context = CGContext(
                data: buffer.baseAddress, width: pixels.width, height: pixels.height,
                bitsPerComponent: 8, bytesPerRow: pixels.width * 4, space: space,
                bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue
            ), let image = context.makeImage() else { return nil }
            return UIImage(cgImage: image)
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
    private var taskExpected: TaskExpected?
{%- if runtime == "onnxruntime" %}

    /// What runs the loaded model (nil before the first run loads it).
    func provider() -> String? {
        classifier?.provider
    }
{%- endif %}

    /// The bundled sample's tensors through the model: the task's result and self-test, the
    /// median latency, the class names and what was fed.
    func runTensors() throws -> (TaskOutcome, Double, [String], String) {
        if classifier == nil {
            labels = try BundledData.labels()
            taskExpected = try TaskResult.expected()
            classifier = try Classifier()
        }
        guard let classifier else { throw ClassifierError.badOutput("no model") }
        let inputs = try SampleInputs.load()
        let outputs = try classifier.runTensors(inputs)
        for _ in 0..<AppInfo.warmupRuns { _ = try classifier.runTensors(inputs) }
        var times: [Double] = []
        for _ in 0..<AppInfo.benchmarkRuns {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try classifier.runTensors(inputs)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let outcome = try TaskResult.evaluate(outputs, expected: taskExpected)
        return (outcome, SelfTest.median(times), labels, SampleInputs.describe(inputs))
    }

    /// Segmentation / detection: every output, the task's result and its self-test, the
    /// median latency, the class names and the model-size image (RGBA) the mask is drawn on.
    func runTask(_ image: CGImage, isSample: Bool) throws -> (TaskOutcome, Double, [String], (rgba: [UInt8], width: Int, height: Int)) {
        if classifier == nil {
            labels = try BundledData.labels()
            taskExpected = try TaskResult.expected()
            classifier = try Classifier()
        }
        guard let classifier else { throw ClassifierError.badOutput("no model") }
        guard let pixels = Preprocess.pixels(of: image) else { throw ClassifierError.badImage }
        let input = Preprocess.toInput(pixels)
        let outputs = try classifier.runAll(input)
        for _ in 0..<AppInfo.warmupRuns { _ = try classifier.runAll(input) }
        var times: [Double] = []
        for _ in 0..<AppInfo.benchmarkRuns {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try classifier.runAll(input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let outcome = try TaskResult.evaluate(outputs, expected: isSample ? taskExpected : nil)
        return (outcome, SelfTest.median(times), labels, Preprocess.rgba(of: image))
    }
    private var labels: [String] = []
    private var expected: Expected?
{% if audio %}
    /// Audio: WAV bytes through AudioRun (features, model, top-3, latency, self-test).
    func classifyAudio(_ wav: Data, isSample: Bool) throws -> AudioOutcome {
        if classifier == nil {
            labels = try BundledData.labels()
            expected = try BundledData.expected()
            classifier = try Classifier()
        }
        guard let classifier else { throw ClassifierError.badOutput("no model") }
        return try AudioRun.classify(classifier, wav: wav, labels: labels, expected: isSample ? expected : nil)
    }
{% endif %}
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
