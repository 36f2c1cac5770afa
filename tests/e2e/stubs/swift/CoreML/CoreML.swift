// Type-check stub of Apple's Core ML, module `CoreML`, as documented for the iOS 17 SDK
// (Xcode 16; https://developer.apple.com/documentation/coreml): the Swift signatures of
// MLModel, MLModelConfiguration, MLComputeUnits, MLModelDescription, MLFeatureDescription,
// MLMultiArray, MLMultiArrayDataType, MLFeatureValue, MLFeatureProvider,
// MLDictionaryFeatureProvider and MLPredictionOptions (Objective-C classes imported into
// Swift; CoreML.framework's MLModel.h, MLMultiArray.h, MLFeatureValue.h, MLFeatureProvider.h,
// MLDictionaryFeatureProvider.h, MLModelConfiguration.h). Only the members the templates use
// and their overloads are declared. Nothing here runs: bodies call fatalError.

@_exported import Foundation

public enum MLComputeUnits: Int {
  case cpuOnly = 0, cpuAndGPU = 1, all = 2, cpuAndNeuralEngine = 3
}

open class MLModelConfiguration: NSObject, NSCopying, NSSecureCoding {
  public override init() { super.init() }
  open var computeUnits: MLComputeUnits = .all
  open var allowLowPrecisionAccumulationOnGPU: Bool = false
  open var modelDisplayName: String?
  public func copy(with zone: NSZone? = nil) -> Any { fatalError("stub") }
  public static var supportsSecureCoding: Bool { true }
  public func encode(with coder: NSCoder) { fatalError("stub") }
  public required init?(coder: NSCoder) { fatalError("stub") }
}

public enum MLFeatureType: Int {
  case invalid = 0, int64 = 1, double = 2, string = 3, image = 4, multiArray = 5
  case dictionary = 6, sequence = 7, state = 8
}

open class MLFeatureDescription: NSObject {
  open var name: String { fatalError("stub") }
  open var type: MLFeatureType { fatalError("stub") }
  open var isOptional: Bool { fatalError("stub") }
}

open class MLModelDescription: NSObject {
  open var inputDescriptionsByName: [String: MLFeatureDescription] { fatalError("stub") }
  open var outputDescriptionsByName: [String: MLFeatureDescription] { fatalError("stub") }
  open var predictedFeatureName: String? { fatalError("stub") }
  open var metadata: [String: Any] { fatalError("stub") }
}

public enum MLMultiArrayDataType: Int {
  case double = 65600, float32 = 65568, float16 = 65552, int32 = 131104
  public static var float64: MLMultiArrayDataType { .double }
  public static var float: MLMultiArrayDataType { .float32 }
}

open class MLMultiArray: NSObject {
  public init(shape: [NSNumber], dataType: MLMultiArrayDataType) throws { super.init() }
  public init(
    dataPointer: UnsafeMutableRawPointer, shape: [NSNumber], dataType: MLMultiArrayDataType,
    strides: [NSNumber], deallocator: ((UnsafeMutableRawPointer) -> Void)? = nil
  ) throws { super.init() }
  open var dataType: MLMultiArrayDataType { fatalError("stub") }
  open var shape: [NSNumber] { fatalError("stub") }
  open var strides: [NSNumber] { fatalError("stub") }
  open var count: Int { fatalError("stub") }
  open subscript(index: Int) -> NSNumber {
    get { fatalError("stub") }
    set { fatalError("stub") }
  }
  open subscript(key: [NSNumber]) -> NSNumber {
    get { fatalError("stub") }
    set { fatalError("stub") }
  }
}

open class MLFeatureValue: NSObject {
  open var type: MLFeatureType { fatalError("stub") }
  open var isUndefined: Bool { fatalError("stub") }
  open var int64Value: Int64 { fatalError("stub") }
  open var doubleValue: Double { fatalError("stub") }
  open var stringValue: String { fatalError("stub") }
  open var multiArrayValue: MLMultiArray? { fatalError("stub") }
  open var dictionaryValue: [AnyHashable: NSNumber] { fatalError("stub") }
  public convenience init(int64 value: Int64) { fatalError("stub") }
  public convenience init(double value: Double) { fatalError("stub") }
  public convenience init(string value: String) { fatalError("stub") }
  public convenience init(multiArray value: MLMultiArray) { fatalError("stub") }
  @available(*, unavailable)
  public override init() { fatalError("stub") }
  init(stub: Void) { super.init() }
}

public protocol MLFeatureProvider {
  var featureNames: Set<String> { get }
  func featureValue(for featureName: String) -> MLFeatureValue?
}

open class MLDictionaryFeatureProvider: NSObject, MLFeatureProvider {
  public init(dictionary: [String: Any]) throws { super.init() }
  open var dictionary: [String: MLFeatureValue] { fatalError("stub") }
  open var featureNames: Set<String> { fatalError("stub") }
  open func featureValue(for featureName: String) -> MLFeatureValue? { fatalError("stub") }
  open subscript(featureName: String) -> MLFeatureValue? { fatalError("stub") }
}

open class MLPredictionOptions: NSObject {
  public override init() { super.init() }
}

open class MLModel: NSObject {
  open var modelDescription: MLModelDescription { fatalError("stub") }
  open var configuration: MLModelConfiguration { fatalError("stub") }
  public convenience init(contentsOf url: URL) throws { fatalError("stub") }
  public convenience init(contentsOf url: URL, configuration: MLModelConfiguration) throws {
    fatalError("stub")
  }
  open func prediction(from input: MLFeatureProvider) throws -> MLFeatureProvider {
    fatalError("stub")
  }
  open func prediction(
    from input: MLFeatureProvider, options: MLPredictionOptions
  ) throws -> MLFeatureProvider { fatalError("stub") }
  open class func compileModel(at modelURL: URL) throws -> URL { fatalError("stub") }
  @available(*, unavailable)
  public override init() { fatalError("stub") }
  init(stub: Void) { super.init() }
}
