import Foundation

/// One input tensor of the bundled sample (sample_inputs.json, written by core.apps from the
/// first held-out sample in its own dtype): its name, dtype ("float32", "int64", "bool"...),
/// shape and values (integers and booleans exactly; int64 values beyond 2^53 would round).
struct SampleTensor: Decodable, Sendable {
    let name: String
    let dtype: String
    let shape: [Int]
    let data: [Double]
}

/// Reading sample_inputs.json: what a model of another task (no image input) is fed.
enum SampleInputs {
    private struct File: Decodable {
        let inputs: [SampleTensor]
    }

    static func load() throws -> [SampleTensor] {
        let url = try BundledData.url("sample_inputs", "json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).inputs
    }

    /// "tokens int64 [1, 8]; mask bool [1, 8]".
    static func describe(_ inputs: [SampleTensor]) -> String {
        inputs.map { "\($0.name) \($0.dtype) \($0.shape)" }.joined(separator: "; ")
    }
}
