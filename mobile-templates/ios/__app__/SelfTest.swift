import Foundation

/// One class and its probability, with the label the app shows.
struct LabeledProbability: Identifiable, Sendable {
    let id: Int
    let label: String
    let probability: Float
}

/// How far the app's logits may be from the desktop's (expected.json "tolerance", derived
/// from what the desktop measured for this variant). `kind` "absolute" (fp32): max |diff| <=
/// `abs`; "top1+relative" (int8, float16, Core ML): max |diff| <= `rel` x the expected
/// logits' range. Both need the desktop's top-1. `reason` says why, shown under the verdict.
struct Tolerance: Decodable, Sendable {
    let kind: String
    let abs: Float
    let rel: Float?
    let reason: String?

    var relative: Bool { kind == "top1+relative" }

    /// The largest |logit - expected| accepted for these expected logits.
    func bound(_ expected: [Float]) -> Float {
        guard relative, let rel, let hi = expected.max(), let lo = expected.min() else { return abs }
        return rel * (hi - lo)
    }
}

/// The desktop's output for the bundled sample (expected.json).
struct Expected: Decodable, Sendable {
    let top1Index: Int
    let logits: [Float]
    let tolerance: Tolerance?

    enum CodingKeys: String, CodingKey {
        case top1Index = "top1_index"
        case logits
        case tolerance
    }
}

/// How the app's output compares with the desktop's (`bound`: the largest |diff| accepted).
struct SelfTestResult: Sendable {
    let passed: Bool
    let maxDiff: Float
    let sameTop1: Bool
    let bound: Float
    let tolerance: Tolerance

    /// "max diff 1.20e-06, tolerance 1.00e-03" (int8 / float16: "... = 0.25 x logit range").
    var detail: String {
        guard maxDiff.isFinite else { return "max diff: not finite" }
        let rel = tolerance.relative ? String(format: " = %.2g x logit range", tolerance.rel ?? 0) : ""
        let top1 = sameTop1 ? "" : "; top-1 differs"
        return String(format: "max diff %.2e, tolerance %.2e", maxDiff, bound) + rel + top1
    }
}

/// Output maths: softmax, top-k, median latency and the self-test.
enum SelfTest {
    static func softmax(_ logits: [Float]) -> [Float] {
        guard let maxLogit = logits.max() else { return [] }
        let exps = logits.map { exp(Double($0 - maxLogit)) }
        let sum = exps.reduce(0, +)
        return exps.map { Float($0 / sum) }
    }

    static func topK(_ probs: [Float], _ k: Int) -> [(index: Int, probability: Float)] {
        let order = probs.indices.sorted { probs[$0] > probs[$1] || (probs[$0] == probs[$1] && $0 < $1) }
        return order.prefix(k).map { (index: $0, probability: probs[$0]) }
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        let mid = s.count / 2
        return s.count % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
    }

    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for i in values.indices where values[i] > values[best] { best = i }
        return best
    }

    /// The tolerance to apply: the template's fixed one, else expected.json's, else the default.
    static func tolerance(for expected: Expected) -> Tolerance {
        AppInfo.toleranceFixed ? AppInfo.tolerance : (expected.tolerance ?? AppInfo.tolerance)
    }

    /// Same top-1 as the desktop and no logit further than `tolerance`'s bound from it.
    static func compare(_ logits: [Float], _ expected: Expected, tolerance: Tolerance) -> SelfTestResult {
        let bound = tolerance.bound(expected.logits)
        guard logits.count == expected.logits.count else {
            return SelfTestResult(passed: false, maxDiff: .infinity, sameTop1: false, bound: bound, tolerance: tolerance)
        }
        let maxDiff = zip(logits, expected.logits).map { Swift.abs($0 - $1) }.max() ?? 0
        let sameTop1 = argmax(logits) == expected.top1Index
        return SelfTestResult(
            passed: sameTop1 && maxDiff <= bound, maxDiff: maxDiff, sameTop1: sameTop1,
            bound: bound, tolerance: tolerance
        )
    }
}

/// Reading what the app bundles: labels (exactly as given) and the expected output.
enum BundledData {
    static func url(_ name: String, _ ext: String) throws -> URL {
        guard let url = Bundle.main.url(forResource: name, withExtension: ext) else {
            throw ClassifierError.missingResource("\(name).\(ext)")
        }
        return url
    }

    static func labels() throws -> [String] {
        try JSONDecoder().decode([String].self, from: Data(contentsOf: url("labels", "json")))
    }

    static func expected() throws -> Expected {
        try JSONDecoder().decode(Expected.self, from: Data(contentsOf: url("expected", "json")))
    }
}
