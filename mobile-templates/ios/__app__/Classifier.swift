{% if runtime == "executorch" %}import ExecuTorch
{% else %}import CoreML
{% endif %}import Foundation

enum ClassifierError: LocalizedError {
    case missingResource(String)
    case badImage
    case badOutput(String)

    var errorDescription: String? {
        switch self {
        case .missingResource(let name): return "\(name) is missing from the app bundle"
        case .badImage: return "the image could not be read"
        case .badOutput(let what): return "unexpected model output: \(what)"
        }
    }
}

/// Runs {{ model_file }} with {{ runtime_title }}.
/// Not thread-safe: ClassifierWorker (an actor) owns it.
final class Classifier {
{% if runtime == "executorch" %}    private let module: Module

    init() throws {
        let path = try BundledData.url(AppInfo.modelResource, AppInfo.modelExtension).path
        module = Module(filePath: path)
        try module.load("forward")
    }

    /// One forward pass: NCHW floats in, logits out.
    func run(_ input: [Float]) throws -> [Float] {
        // Tensor(_ scalars: [T], shape:) copies the floats into memory the tensor owns
        // (Tensor(&array, shape:) would keep a pointer into an array that may move or die).
        let tensor = Tensor<Float>(input, shape: AppInfo.inputShape)
        let output = try Tensor<Float>(module.forward(tensor))
        return output.scalars()
    }

    /// One forward pass, every output as floats (segmentation / detection: the task's
    /// outputs are found by index, TaskSpec.swift). Integer outputs (labels) are converted.
    func runAll(_ input: [Float]) throws -> [[Float]] {
        let tensor = Tensor<Float>(input, shape: AppInfo.inputShape)
        let values: [Value] = try module.forward(tensor)
        return try values.map { value in
            if let t: Tensor<Float> = value.tensor() { return t.scalars() }
            if let t: Tensor<Int64> = value.tensor() { return t.scalars().map { Float($0) } }
            if let t: Tensor<Int32> = value.tensor() { return t.scalars().map { Float($0) } }
            throw ClassifierError.badOutput("an output is not a float or integer tensor")
        }
    }

    /// One forward pass on the bundled sample's tensors, each in its own dtype (int64 token
    /// ids as Tensor<Int64>, a mask as Tensor<Bool>...); every output as floats.
    func runTensors(_ inputs: [SampleTensor]) throws -> [[Float]] {
        let tensors: [ValueConvertible] = try inputs.map { try Self.tensor($0) }
        let values: [Value] = try module.forward(tensors)
        return try values.map { value in
            if let t: Tensor<Float> = value.tensor() { return t.scalars() }
            if let t: Tensor<Int64> = value.tensor() { return t.scalars().map { Float($0) } }
            if let t: Tensor<Int32> = value.tensor() { return t.scalars().map { Float($0) } }
            if let t: Tensor<Double> = value.tensor() { return t.scalars().map { Float($0) } }
            if let t: Tensor<Bool> = value.tensor() { return t.scalars().map { $0 ? 1 : 0 } }
            throw ClassifierError.badOutput("an output is not a float, integer or bool tensor")
        }
    }

    private static func tensor(_ s: SampleTensor) throws -> ValueConvertible {
        switch s.dtype {
        case "float32": return Tensor<Float>(s.data.map { Float($0) }, shape: s.shape)
        case "float64": return Tensor<Double>(s.data, shape: s.shape)
        case "int64": return Tensor<Int64>(s.data.map { Int64($0) }, shape: s.shape)
        case "int32": return Tensor<Int32>(s.data.map { Int32($0) }, shape: s.shape)
        case "int8": return Tensor<Int8>(s.data.map { Int8($0) }, shape: s.shape)
        case "uint8": return Tensor<UInt8>(s.data.map { UInt8($0) }, shape: s.shape)
        case "bool": return Tensor<Bool>(s.data.map { $0 != 0 }, shape: s.shape)
        default: throw ClassifierError.badOutput("input \(s.name) has dtype \(s.dtype), which the app cannot feed")
        }
    }
{% else %}    private let model: MLModel
    private let inputName: String
    private let outputName: String

    init() throws {
        // Xcode compiles model.mlpackage into model.mlmodelc inside the app.
        let url = try BundledData.url(AppInfo.modelResource, AppInfo.modelExtension)
        let configuration = MLModelConfiguration()
        configuration.computeUnits = .all
        model = try MLModel(contentsOf: url, configuration: configuration)
        let outputs = Self.orderedOutputs(model)
        guard let input = model.modelDescription.inputDescriptionsByName.keys.sorted().first,
              !outputs.isEmpty
        else { throw ClassifierError.badOutput("the model has no input or output") }
        inputName = input
        // the task output (the logits) by its Core ML name
        outputName = outputs[min(max(TaskSpec.taskOutput, 0), outputs.count - 1)]
    }

    /// The model's output names in the desktop's order: TaskSpec.coreMLOutputNames (the names
    /// the converter was given), else (a package converted elsewhere) sorted by name.
    static func orderedOutputs(_ model: MLModel) -> [String] {
        let available = model.modelDescription.outputDescriptionsByName.keys.sorted()
        let named = TaskSpec.coreMLOutputNames
        return !named.isEmpty && named.allSatisfy(available.contains) ? named : available
    }

    /// One forward pass: NCHW floats in, logits out (the same preprocessing as ExecuTorch:
    /// an ImageType input cannot express per-channel std).
    func run(_ input: [Float]) throws -> [Float] {
        let shape = AppInfo.inputShape.map { NSNumber(value: $0) }
        let array = try MLMultiArray(shape: shape, dataType: .float32)
        for (i, value) in input.enumerated() { array[i] = NSNumber(value: value) }
        let features = try MLDictionaryFeatureProvider(
            dictionary: [inputName: MLFeatureValue(multiArray: array)])
        let result = try model.prediction(from: features)
        guard let output = result.featureValue(for: outputName)?.multiArrayValue else {
            throw ClassifierError.badOutput("\(outputName) is not a multi-array")
        }
        return (0..<output.count).map { output[$0].floatValue }
    }

    /// One forward pass, every output as floats, in the desktop's output order
    /// (orderedOutputs).
    func runAll(_ input: [Float]) throws -> [[Float]] {
        let shape = AppInfo.inputShape.map { NSNumber(value: $0) }
        let array = try MLMultiArray(shape: shape, dataType: .float32)
        for (i, value) in input.enumerated() { array[i] = NSNumber(value: value) }
        let features = try MLDictionaryFeatureProvider(
            dictionary: [inputName: MLFeatureValue(multiArray: array)])
        let result = try model.prediction(from: features)
        let names = Self.orderedOutputs(model)
        return try names.map { name in
            guard let output = result.featureValue(for: name)?.multiArrayValue else {
                throw ClassifierError.badOutput("\(name) is not a multi-array")
            }
            return (0..<output.count).map { output[$0].floatValue }
        }
    }

    /// One forward pass on the bundled sample's tensors by input name (Core ML takes
    /// float32 / int32 multi-arrays: float32 inputs are fed as float32, int64 / int32 ones as
    /// int32, as coremltools converted them). A model with one input takes the sample's one
    /// tensor whatever the converter named it.
    func runTensors(_ inputs: [SampleTensor]) throws -> [[Float]] {
        var features: [String: Any] = [:]
        let inputNames = Array(model.modelDescription.inputDescriptionsByName.keys)
        for s in inputs {
            let float = s.dtype == "float32"
            guard float || s.dtype == "int64" || s.dtype == "int32" else {
                throw ClassifierError.badOutput("input \(s.name) has dtype \(s.dtype), which Core ML inputs cannot take")
            }
            let array = try MLMultiArray(shape: s.shape.map { NSNumber(value: $0) }, dataType: float ? .float32 : .int32)
            for (i, v) in s.data.enumerated() {
                if float {
                    array[i] = NSNumber(value: Float(v))
                } else if let n = Int32(exactly: v) {
                    array[i] = NSNumber(value: n)
                } else {
                    throw ClassifierError.badOutput("input \(s.name) holds \(v), beyond Core ML's int32")
                }
            }
            let name = inputs.count == 1 && inputNames.count == 1 ? inputNames[0] : s.name
            features[name] = MLFeatureValue(multiArray: array)
        }
        let result = try model.prediction(from: MLDictionaryFeatureProvider(dictionary: features))
        let names = Self.orderedOutputs(model)
        return try names.map { name in
            guard let output = result.featureValue(for: name)?.multiArrayValue else {
                throw ClassifierError.badOutput("\(name) is not a multi-array")
            }
            return (0..<output.count).map { output[$0].floatValue }
        }
    }
{% endif %}}
