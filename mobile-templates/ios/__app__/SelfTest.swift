import Foundation

/// One class and its probability, with the label the app shows.
struct LabeledProbability: Identifiable, Sendable {
    let id: Int
    let label: String
    let probability: Float
}

/// The desktop's output for the bundled sample (expected.json).
struct Expected: Decodable, Sendable {
    let top1Index: Int
    let logits: [Float]

    enum CodingKeys: String, CodingKey {
        case top1Index = "top1_index"
        case logits
    }
}

/// How the app's output compares with the desktop's.
struct SelfTestResult: Sendable {
    let passed: Bool
    let maxDiff: Float
    let sameTop1: Bool
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

    /// Same top-1 as the desktop and no logit further than `tolerance` from it.
    static func compare(_ logits: [Float], _ expected: Expected, tolerance: Float) -> SelfTestResult {
        guard logits.count == expected.logits.count else {
            return SelfTestResult(passed: false, maxDiff: .infinity, sameTop1: false)
        }
        let maxDiff = zip(logits, expected.logits).map { abs($0 - $1) }.max() ?? 0
        let sameTop1 = argmax(logits) == expected.top1Index
        return SelfTestResult(passed: sameTop1 && maxDiff <= tolerance, maxDiff: maxDiff, sameTop1: sameTop1)
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
