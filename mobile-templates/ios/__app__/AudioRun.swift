import Foundation

/// One recording through the model: the top classes, the median latency and (the bundled
/// sample.wav) the self-test against expected.json's logits.
struct AudioOutcome: Sendable {
    let top: [LabeledProbability]
    let latencyMs: Double
    let selfTest: SelfTestResult?
    /// "8000 Hz, 2 channel(s), 0.40 s".
    let described: String
}

/// WAV bytes -> AudioFeatures (with AudioSpec's constants) -> Classifier.run -> top classes.
enum AudioRun {
    static func classify(
        _ classifier: Classifier, wav: Data, labels: [String], expected: Expected?
    ) throws -> AudioOutcome {
        let audio = try AudioFeatures.readWav(wav)
        let input = AudioFeatures.features(audio, AudioSpec.settings)
        let wanted = AppInfo.inputShape.reduce(1, *)
        guard input.count == wanted else {
            throw ClassifierError.badOutput(
                "\(input.count) audio features (\(AudioFeatures.featureShape(AudioSpec.settings, channels: audio.channels.count))) for an input of \(wanted) values \(AppInfo.inputShape)"
            )
        }
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
            LabeledProbability(
                id: $0.index, label: $0.index < labels.count ? labels[$0.index] : String($0.index),
                probability: $0.probability
            )
        }
        let test = expected.map { SelfTest.compare(logits, $0, tolerance: SelfTest.tolerance(for: $0)) }
        let seconds = Double(audio.frames) / Double(audio.rate)
        let described = String(format: "%d Hz, %d channel(s), %.2f s", audio.rate, audio.channels.count, seconds)
        return AudioOutcome(top: top, latencyMs: SelfTest.median(times), selfTest: test, described: described)
    }
}
