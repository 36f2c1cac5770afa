// Type-check stub of ONNX Runtime's Objective-C API as Swift imports it: module
// `OnnxRuntimeBindings`, the target behind the `onnxruntime` product of
// github.com/microsoft/onnxruntime-swift-package-manager 1.24.2 (tag 1.24.2, the version the
// iOS template pins). Mirrors objectivec/include/ort_env.h, ort_session.h, ort_value.h,
// ort_enums.h and ort_coreml_execution_provider.h at that tag: every `- (BOOL)...error:` and
// `- (nullable T)...error:` method is imported as `throws` (returning Void / T), the `init`s
// marked NS_UNAVAILABLE are unavailable, `initWithError:` is NS_SWIFT_NAME(init()),
// NS_ENUM cases lose their type-name prefix (ORTTensorElementDataTypeFloat -> .float; 1.24.2
// has no bool or double element type). Call shapes checked against the package's own
// swift/OnnxRuntimeBindingsTests/SwiftOnnxRuntimeBindingsTests.swift. Only the members the
// templates use and their overloads are declared. Nothing here runs: bodies call fatalError.

@_exported import Foundation

public enum ORTLoggingLevel: Int32 {
  case verbose = 0, info, warning, error, fatal
}

public enum ORTValueType: Int32 {
  case unknown = 0, tensor
}

public enum ORTTensorElementDataType: Int32 {
  case undefined = 0, float, int8, uint8, int32, uint32, int64, uint64, string
}

public enum ORTGraphOptimizationLevel: Int32 {
  case none = 0, basic, extended, all
}

/// ORTVersion(): "major.minor.patch".
public func ORTVersion() -> String? { fatalError("stub") }

open class ORTEnv: NSObject {
  @available(*, unavailable)
  public override init() { fatalError("stub") }
  // - (nullable instancetype)initWithLoggingLevel:error: NS_DESIGNATED_INITIALIZER
  public init(loggingLevel: ORTLoggingLevel) throws { fatalError("stub") }
}

// ORTRunOptions and ORTSessionOptions are NSObject subclasses whose `init` is NS_UNAVAILABLE
// and whose `initWithError:` is NS_SWIFT_NAME(init()): Swift sees only `init() throws`. A Swift
// subclass of NSObject cannot replace NSObject's non-throwing init() by a throwing one, so the
// stubs are root classes (the templates use no NSObject member of them).
open class ORTRunOptions {
  // - (nullable instancetype)initWithError: NS_SWIFT_NAME(init())
  public init() throws { fatalError("stub") }
}

open class ORTSessionOptions {
  // - (nullable instancetype)initWithError:(NSError**)error NS_SWIFT_NAME(init())
  public init() throws { fatalError("stub") }
  open func appendExecutionProvider(
    _ providerName: String, providerOptions: [String: String]
  ) throws { fatalError("stub") }
  open func setIntraOpNumThreads(_ intraOpNumThreads: Int32) throws { fatalError("stub") }
  open func setGraphOptimizationLevel(_ graphOptimizationLevel: ORTGraphOptimizationLevel) throws {
    fatalError("stub")
  }
  open func setLogSeverityLevel(_ loggingLevel: ORTLoggingLevel) throws { fatalError("stub") }
  open func addConfigEntry(withKey key: String, value: String) throws { fatalError("stub") }
}

open class ORTSession: NSObject {
  @available(*, unavailable)
  public override init() { fatalError("stub") }
  // - initWithEnv:modelPath:sessionOptions:error: NS_DESIGNATED_INITIALIZER
  public init(env: ORTEnv, modelPath path: String, sessionOptions: ORTSessionOptions?) throws {
    fatalError("stub")
  }
  // - (BOOL)runWithInputs:outputs:runOptions:error:
  open func run(
    withInputs inputs: [String: ORTValue], outputs: [String: ORTValue],
    runOptions: ORTRunOptions?
  ) throws { fatalError("stub") }
  // - (nullable NSDictionary<NSString*, ORTValue*>*)runWithInputs:outputNames:runOptions:error:
  open func run(
    withInputs inputs: [String: ORTValue], outputNames: Set<String>,
    runOptions: ORTRunOptions?
  ) throws -> [String: ORTValue] { fatalError("stub") }
  open func inputNames() throws -> [String] { fatalError("stub") }
  open func overridableInitializerNames() throws -> [String] { fatalError("stub") }
  open func outputNames() throws -> [String] { fatalError("stub") }
}

open class ORTTensorTypeAndShapeInfo: NSObject {
  open var elementType: ORTTensorElementDataType = .undefined
  open var shape: [NSNumber] = []
}

open class ORTValueTypeInfo: NSObject {
  open var type: ORTValueType = .unknown
  open var tensorTypeAndShapeInfo: ORTTensorTypeAndShapeInfo?
}

open class ORTValue: NSObject {
  @available(*, unavailable)
  public override init() { fatalError("stub") }
  // - initWithTensorData:(NSMutableData*)elementType:shape:(NSArray<NSNumber*>*)error:
  public init(
    tensorData: NSMutableData, elementType: ORTTensorElementDataType, shape: [NSNumber]
  ) throws { fatalError("stub") }
  public init(tensorStringData: [String], shape: [NSNumber]) throws { fatalError("stub") }
  open func typeInfo() throws -> ORTValueTypeInfo { fatalError("stub") }
  open func tensorTypeAndShapeInfo() throws -> ORTTensorTypeAndShapeInfo { fatalError("stub") }
  // returns the value's own buffer (NSMutableData), not a copy
  open func tensorData() throws -> NSMutableData { fatalError("stub") }
  open func tensorStringData() throws -> [String] { fatalError("stub") }
}

/// ort_coreml_execution_provider.h: BOOL ORTIsCoreMLExecutionProviderAvailable(void).
public func ORTIsCoreMLExecutionProviderAvailable() -> Bool { fatalError("stub") }

open class ORTCoreMLExecutionProviderOptions: NSObject {
  public override init() { super.init() }
  open var useCPUOnly: Bool = false
  open var useCPUAndGPU: Bool = false
  open var enableOnSubgraphs: Bool = false
  open var onlyEnableForDevicesWithANE: Bool = false
  open var onlyAllowStaticInputShapes: Bool = false
  open var createMLProgram: Bool = false
}

extension ORTSessionOptions {
  // - (BOOL)appendCoreMLExecutionProviderWithOptions:(ORTCoreMLExecutionProviderOptions*)error:
  public func appendCoreMLExecutionProvider(with options: ORTCoreMLExecutionProviderOptions) throws {
    fatalError("stub")
  }
  // - (BOOL)appendCoreMLExecutionProviderWithOptionsV2:(NSDictionary*)error:
  public func appendCoreMLExecutionProvider(withOptionsV2 providerOptions: [AnyHashable: Any]) throws {
    fatalError("stub")
  }
}
