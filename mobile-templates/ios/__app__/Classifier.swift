{% if runtime == "executorch" %}import ExecuTorch
{% elif runtime == "onnxruntime" %}import OnnxRuntimeBindings
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
{% elif runtime == "onnxruntime" %}    private let env: ORTEnv
    private let session: ORTSession
    private let inputNames: [String]
    private let outputNames: [String]
    /// What runs the model, shown next to the latency: "Core ML EP", "CPU", or
    /// "CPU (Core ML EP unavailable: <reason>)" after a fallback (ExecutionProvider.swift).
    let provider: String

    init() throws {
        let path = try BundledData.url(AppInfo.modelResource, AppInfo.modelExtension).path
        let env = try ORTEnv(loggingLevel: .warning)
        let opened = try ExecutionProvider.openWithFallback(ExecutionProvider.chosen) { provider in
            try Self.open(env, path, provider)
        }
        self.env = env
        session = opened.session
        provider = opened.running
        inputNames = try session.inputNames()
        outputNames = try session.outputNames()
        guard !inputNames.isEmpty, !outputNames.isEmpty else {
            throw ClassifierError.badOutput("the model has no input or output")
        }
    }

    /// A session with `provider` ("coreml") appended to the session options, or CPU only (nil).
    private static func open(_ env: ORTEnv, _ path: String, _ provider: String?) throws -> ORTSession {
        let options = try ORTSessionOptions()
        try options.setIntraOpNumThreads(1)
        if provider == "coreml" {
            try options.appendCoreMLExecutionProvider(with: ORTCoreMLExecutionProviderOptions())
        }
        return try ORTSession(env: env, modelPath: path, sessionOptions: options)
    }

    /// One forward pass: NCHW floats in, logits (the task output) out.
    func run(_ input: [Float]) throws -> [Float] {
        let outputs = try runAll(input)
        return outputs[min(max(TaskSpec.taskOutput, 0), outputs.count - 1)]
    }

    /// One forward pass, every output as floats, in the session's output order.
    func runAll(_ input: [Float]) throws -> [[Float]] {
        let value = try ORTValue(
            tensorData: Self.bytes(input), elementType: .float,
            shape: AppInfo.inputShape.map { NSNumber(value: $0) })
        return try outputs(session.run(
            withInputs: [inputNames[0]: value], outputNames: Set(outputNames), runOptions: nil))
    }

    /// One forward pass on the bundled sample's tensors, each in its own dtype, fed by name
    /// (an input the session does not name goes to its position); every output as floats.
    func runTensors(_ inputs: [SampleTensor]) throws -> [[Float]] {
        var feed: [String: ORTValue] = [:]
        for (i, s) in inputs.enumerated() {
            let name = inputNames.contains(s.name) || i >= inputNames.count ? s.name : inputNames[i]
            feed[name] = try Self.value(s)
        }
        return try outputs(session.run(
            withInputs: feed, outputNames: Set(outputNames), runOptions: nil))
    }

    private func outputs(_ values: [String: ORTValue]) throws -> [[Float]] {
        try outputNames.map { name in
            guard let value = values[name] else { throw ClassifierError.badOutput("no output \(name)") }
            let type = try value.tensorTypeAndShapeInfo().elementType
            let data = Data(referencing: try value.tensorData())
            switch type {
            case .float: return Self.scalars(data, Float.self)
            case .int64: return Self.scalars(data, Int64.self).map { Float($0) }
            case .int32: return Self.scalars(data, Int32.self).map { Float($0) }
            case .int8: return Self.scalars(data, Int8.self).map { Float($0) }
            case .uint8: return Self.scalars(data, UInt8.self).map { Float($0) }
            default: throw ClassifierError.badOutput("output \(name) is not a float or integer tensor")
            }
        }
    }

    /// ONNX Runtime's Objective-C API has float, int8, uint8, int32, int64 tensors (no bool or
    /// double: core.app_routes refuses such models for this runtime).
    private static func value(_ s: SampleTensor) throws -> ORTValue {
        let shape = s.shape.map { NSNumber(value: $0) }
        switch s.dtype {
        case "float32": return try ORTValue(tensorData: bytes(s.data.map { Float($0) }), elementType: .float, shape: shape)
        case "int64": return try ORTValue(tensorData: bytes(s.data.map { Int64($0) }), elementType: .int64, shape: shape)
        case "int32": return try ORTValue(tensorData: bytes(s.data.map { Int32($0) }), elementType: .int32, shape: shape)
        case "int8": return try ORTValue(tensorData: bytes(s.data.map { Int8($0) }), elementType: .int8, shape: shape)
        case "uint8": return try ORTValue(tensorData: bytes(s.data.map { UInt8($0) }), elementType: .uint8, shape: shape)
        default: throw ClassifierError.badOutput("input \(s.name) has dtype \(s.dtype), which the app cannot feed")
        }
    }

    /// The values' bytes in memory the tensor owns (ORTValue keeps a reference to it).
    private static func bytes<T>(_ values: [T]) -> NSMutableData {
        values.withUnsafeBytes { NSMutableData(bytes: $0.baseAddress, length: $0.count) }
    }

    private static func scalars<T>(_ data: Data, _: T.Type) -> [T] {
        data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
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
