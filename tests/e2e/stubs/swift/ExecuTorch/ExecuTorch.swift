// Type-check stub of ExecuTorch's Swift API, module `ExecuTorch` (the Swift package's
// `executorch` product), as published in pytorch/executorch 1.5.0 (the swiftpm-1.5.0.20260822
// nightly the iOS template pins; repository snapshot of 2026-08-22, version.txt 1.5.0).
//
// It mirrors, with the same names, labels, defaults, throws and generic constraints:
//   extension/apple/ExecuTorch/Exported/ExecuTorchModule.h   (ObjC `Module`, as Swift imports it)
//   extension/apple/ExecuTorch/Exported/ExecuTorchTensor.h   (ObjC `AnyTensor`, `DataType`, `ShapeDynamism`)
//   extension/apple/ExecuTorch/Exported/ExecuTorchValue.h    (ObjC `Value`, `ValueTag`)
//   extension/apple/ExecuTorch/Exported/ExecuTorchError.h    (`ErrorCode`, `Error(code:)`)
//   extension/apple/ExecuTorch/Exported/ExecuTorch+Module.swift
//   extension/apple/ExecuTorch/Exported/ExecuTorch+Tensor.swift
//   extension/apple/ExecuTorch/Exported/ExecuTorch+Value.swift
// Only what the templates call and the overloads that take part in resolving those calls
// (every `forward`/`execute`, every `Tensor` and `Value` initialiser) are declared; members
// marked NS_SWIFT_UNAVAILABLE or NS_REFINED_FOR_SWIFT (the `__` names) are left out, so using
// them fails here as it does with the real package. Simplification: `ErrorCode` is a plain
// enum (the real one is an NS_ERROR_ENUM); `Error(code:)` returns NSError as the real one.
// Nothing here runs: bodies call fatalError.

@_exported import Foundation

// MARK: ExecuTorchError.h

public enum ErrorCode: Int {
  case ok = 0, `internal` = 1, invalidState = 2, endOfMethod = 3
  case notSupported = 16, notImplemented = 17, invalidArgument = 18, invalidType = 19
  case operatorMissing = 20, registrationExceedingMaxKernels = 21, registrationAlreadyRegistered = 22
  case notFound = 32, memoryAllocationFailed = 33, accessFailed = 34, invalidProgram = 35
  case invalidExternalData = 36, outOfResources = 37
  case delegateInvalidCompatibility = 48, delegateMemoryAllocationFailed = 49, delegateInvalidHandle = 50
}

public let ErrorDomain: String = "org.pytorch.executorch.error"

public func ErrorDescription(_ code: ErrorCode) -> String { fatalError("stub") }
public func Error(code: ErrorCode) -> NSError { fatalError("stub") }
public func Error(code: ErrorCode, description: String?) -> NSError { fatalError("stub") }

// MARK: ExecuTorchTensor.h

public enum DataType: Int8 {
  case byte, char, short, int, long, half, float, double
  case complexHalf, complexFloat, complexDouble, bool
  case qInt8, quInt8, qInt32, bFloat16, quInt4x2, quInt2x4
  case bits1x8, bits2x4, bits4x2, bits8, bits16, float8_e5m2, float8_e4m3fn
  case float8_e5m2fnuz, float8_e4m3fnuz, uInt16, uInt32, uInt64
  case undefined, numOptions
}

public enum ShapeDynamism: UInt8 {
  case `static`, dynamicBound, dynamicUnbound
}

public func size(ofDataType dataType: DataType) -> Int { fatalError("stub") }

public func elementCount(ofShape shape: [Int]) -> Int { fatalError("stub") }

/// ObjC `ExecuTorchTensor`, NS_SWIFT_NAME(AnyTensor).
open class AnyTensor: NSObject, NSCopying {
  public var dataType: DataType { fatalError("stub") }
  public var shapeDynamism: ShapeDynamism { fatalError("stub") }
  public func copy(with zone: NSZone? = nil) -> Any { fatalError("stub") }
  public func copy(to dataType: DataType) -> Self { fatalError("stub") }
  public func bytes(_ handler: (UnsafeRawPointer, Int, DataType) -> Void) { fatalError("stub") }
  public func mutableBytes(_ handler: (UnsafeMutableRawPointer, Int, DataType) -> Void) {
    fatalError("stub")
  }
  init(stub: Void) { super.init() }
}

// ExecuTorch+Tensor.swift
public extension AnyTensor {
  var shape: [Int] { fatalError("stub") }
  var strides: [Int] { fatalError("stub") }
  var dimensionOrder: [Int] { fatalError("stub") }
  var count: Int { fatalError("stub") }

  convenience init(
    _ tensor: AnyTensor, shape: [Int] = [], dimensionOrder: [Int] = [], strides: [Int] = []
  ) { fatalError("stub") }

  convenience init(
    bytesNoCopy pointer: UnsafeMutableRawPointer, shape: [Int], strides: [Int] = [],
    dimensionOrder: [Int] = [], dataType: DataType, shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  convenience init(
    bytes pointer: UnsafeRawPointer, shape: [Int], strides: [Int] = [],
    dimensionOrder: [Int] = [], dataType: DataType, shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  convenience init(
    data: Data, shape: [Int], strides: [Int] = [], dimensionOrder: [Int] = [],
    dataType: DataType, shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  func resize(to shape: [Int]) throws { fatalError("stub") }

  static func == (lhs: AnyTensor, rhs: AnyTensor) -> Bool { fatalError("stub") }

  func asTensor<T: Scalar>() -> Tensor<T>? { fatalError("stub") }
}

public protocol Scalar {
  static var dataType: DataType { get }
  func asNSNumber() -> NSNumber
}

extension UInt8: Scalar {
  public static var dataType: DataType { .byte }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Int8: Scalar {
  public static var dataType: DataType { .char }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Int16: Scalar {
  public static var dataType: DataType { .short }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Int32: Scalar {
  public static var dataType: DataType { .int }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Int64: Scalar {
  public static var dataType: DataType { .long }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Int: Scalar {
  public static var dataType: DataType { .long }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Float: Scalar {
  public static var dataType: DataType { .float }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Double: Scalar {
  public static var dataType: DataType { .double }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension Bool: Scalar {
  public static var dataType: DataType { .bool }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension UInt16: Scalar {
  public static var dataType: DataType { .uInt16 }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension UInt32: Scalar {
  public static var dataType: DataType { .uInt32 }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension UInt64: Scalar {
  public static var dataType: DataType { .uInt64 }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}
extension UInt: Scalar {
  public static var dataType: DataType { .uInt64 }
  public func asNSNumber() -> NSNumber { NSNumber(value: self) }
}

public final class Tensor<T: Scalar>: Equatable {
  public var dataType: DataType { fatalError("stub") }
  public var shape: [Int] { fatalError("stub") }
  public var strides: [Int] { fatalError("stub") }
  public var dimensionOrder: [Int] { fatalError("stub") }
  public var shapeDynamism: ShapeDynamism { fatalError("stub") }
  public var count: Int { fatalError("stub") }

  public init(_ tensor: AnyTensor) { fatalError("stub") }

  public convenience init(
    _ tensor: Tensor<T>, shape: [Int] = [], dimensionOrder: [Int] = [], strides: [Int] = []
  ) { fatalError("stub") }

  /// Does not copy: the tensor keeps the pointer.
  public convenience init(
    bytesNoCopy pointer: UnsafeMutableRawPointer, shape: [Int], strides: [Int] = [],
    dimensionOrder: [Int] = [], shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  /// Copies the bytes.
  public convenience init(
    bytes pointer: UnsafeRawPointer, shape: [Int], strides: [Int] = [],
    dimensionOrder: [Int] = [], shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  public convenience init(
    data: Data, shape: [Int], strides: [Int] = [], dimensionOrder: [Int] = [],
    shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  /// Does not copy: shares the array's memory (`Tensor(&array, shape:)`).
  public convenience init(
    _ scalars: inout [T], shape: [Int] = [], strides: [Int] = [], dimensionOrder: [Int] = [],
    shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  /// Copies the scalars into memory the tensor owns.
  public convenience init(
    _ scalars: [T], shape: [Int] = [], strides: [Int] = [], dimensionOrder: [Int] = [],
    shapeDynamism: ShapeDynamism = .dynamicBound
  ) { fatalError("stub") }

  public convenience init(_ scalar: T) { fatalError("stub") }

  public func copy() -> Tensor<T> { fatalError("stub") }
  public func copy<U: Scalar>(to dataType: U.Type) -> Tensor<U> { fatalError("stub") }
  public func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
    fatalError("stub")
  }
  public func withUnsafeMutableBytes<R>(
    _ body: (UnsafeMutableBufferPointer<T>) throws -> R
  ) rethrows -> R { fatalError("stub") }
  public func resize(to shape: [Int]) throws { fatalError("stub") }
  public static func == (lhs: Tensor<T>, rhs: Tensor<T>) -> Bool { fatalError("stub") }

  public let anyTensor: AnyTensor
}

public extension Tensor {
  func scalars() -> [T] { fatalError("stub") }
}

public extension Tensor {
  static func empty(
    shape: [Int], strides: [Int] = [], shapeDynamism: ShapeDynamism = .dynamicBound
  ) -> Tensor<T> { fatalError("stub") }
  static func zeros(
    shape: [Int], strides: [Int] = [], shapeDynamism: ShapeDynamism = .dynamicBound
  ) -> Tensor<T> { fatalError("stub") }
  static func ones(
    shape: [Int], strides: [Int] = [], shapeDynamism: ShapeDynamism = .dynamicBound
  ) -> Tensor<T> { fatalError("stub") }
}

extension Tensor: CustomStringConvertible {
  public var description: String { fatalError("stub") }
}

// MARK: ExecuTorchValue.h

public enum ValueTag: UInt32 {
  case none, tensor, string, double, integer, boolean
}

public typealias ScalarValue = NSNumber
public typealias StringValue = String
public typealias BoolValue = Bool
public typealias IntegerValue = Int
public typealias DoubleValue = Double
public typealias FloatValue = Float

/// ObjC `ExecuTorchValue`, NS_SWIFT_NAME(Value); its `+valueWith...:` factories are imported
/// as `init(_:)`.
open class Value: NSObject, NSCopying {
  public var tag: ValueTag { fatalError("stub") }
  public var string: StringValue? { fatalError("stub") }
  public var scalar: ScalarValue? { fatalError("stub") }
  public var boolean: BoolValue { fatalError("stub") }
  public var integer: IntegerValue { fatalError("stub") }
  public var double: DoubleValue { fatalError("stub") }
  public var float: FloatValue { fatalError("stub") }
  public var isNone: Bool { fatalError("stub") }
  public var isTensor: Bool { fatalError("stub") }
  public var isString: Bool { fatalError("stub") }
  public var isScalar: Bool { fatalError("stub") }
  public var isBoolean: Bool { fatalError("stub") }
  public var isInteger: Bool { fatalError("stub") }
  public var isDouble: Bool { fatalError("stub") }
  public var isFloat: Bool { fatalError("stub") }

  public convenience init(_ value: AnyTensor) { fatalError("stub") }
  public convenience init(_ value: StringValue) { fatalError("stub") }
  public convenience init(_ value: BoolValue) { fatalError("stub") }
  public convenience init(_ value: IntegerValue) { fatalError("stub") }
  public convenience init(_ value: DoubleValue) { fatalError("stub") }
  public convenience init(_ value: FloatValue) { fatalError("stub") }
  public convenience init(_ value: ScalarValue) { fatalError("stub") }

  public func isEqual(to other: Value?) -> Bool { fatalError("stub") }
  public func copy(with zone: NSZone? = nil) -> Any { fatalError("stub") }
  init(stub: Void) { super.init() }
}

// ExecuTorch+Value.swift
public extension Value {
  convenience init<T: Scalar>(_ tensor: Tensor<T>) { fatalError("stub") }
  var anyTensor: AnyTensor? { fatalError("stub") }
  func tensor<T: Scalar>() -> Tensor<T>? { fatalError("stub") }
}

public protocol ValueConvertible {
  func asValue() -> Value
}

public protocol ValueConstructible {
  static func from(_ value: Value) throws -> Self
}

public extension ValueConstructible {
  init(_ value: Value) throws { fatalError("stub") }
}

public protocol ValueSequenceConstructible {
  static func from(_ values: [Value]) throws -> Self
}

extension ValueSequenceConstructible where Self: ValueConstructible {
  public static func from(_ values: [Value]) throws -> Self { fatalError("stub") }
}

public extension ValueSequenceConstructible {
  init(_ values: [Value]) throws { fatalError("stub") }
}

extension Value: ValueConvertible {
  public func asValue() -> Value { self }
}
extension AnyTensor: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Tensor: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension String: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension NSNumber: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension UInt8: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Int8: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Int16: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Int32: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Int64: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Int: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Float: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Double: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension Bool: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension UInt16: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension UInt32: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension UInt64: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}
extension UInt: ValueConvertible {
  public func asValue() -> Value { fatalError("stub") }
}

extension Value: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension AnyTensor: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Tensor: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension String: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension NSNumber: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension UInt8: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Int8: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Int16: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Int32: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Int64: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Int: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Float: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Double: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension Bool: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension UInt16: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension UInt32: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension UInt64: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}
extension UInt: ValueConstructible, ValueSequenceConstructible {
  public static func from(_ value: Value) throws -> Self { fatalError("stub") }
}

extension Array: ValueSequenceConstructible where Element: ValueConstructible {
  public static func from(_ values: [Value]) throws -> [Element] { fatalError("stub") }
}

// MARK: ExecuTorchModule.h

public enum ModuleLoadMode: Int {
  case file = 0, mmap, mmapUseMlock, mmapUseMlockIgnoreErrors
}

public enum ModuleVerification: UInt8 {
  case minimal, internalConsistency
}

/// ObjC `ExecuTorchModule`, NS_SWIFT_NAME(Module). `init` and `new` are NS_UNAVAILABLE.
open class Module: NSObject {
  public init(filePath: String, dataFilePaths: [String], loadMode: ModuleLoadMode) {
    super.init()
  }
  public convenience init(filePath: String, dataFilePaths: [String]) { fatalError("stub") }
  public convenience init(filePath: String, loadMode: ModuleLoadMode) { fatalError("stub") }
  public convenience init(filePath: String) { fatalError("stub") }

  @available(*, unavailable)
  public override init() { fatalError("stub") }

  /// `- (BOOL)load:(NSError **)error`
  public func load() throws { fatalError("stub") }
  public func isLoaded() -> Bool { fatalError("stub") }
  /// `- (BOOL)loadMethod:error:` NS_SWIFT_NAME(load(_:))
  public func load(_ methodName: String) throws { fatalError("stub") }
  public func isLoaded(_ methodName: String) -> Bool { fatalError("stub") }
  public func unload(_ methodName: String) -> Bool { fatalError("stub") }
  public func methodNames() throws -> Set<String> { fatalError("stub") }
  /// `- executeMethod:error:` NS_SWIFT_NAME(execute(_:))
  public func execute(_ methodName: String) throws -> [Value] { fatalError("stub") }
  /// `- forward:(NSError **)error`
  public func forward() throws -> [Value] { fatalError("stub") }
}

// ExecuTorch+Module.swift
public extension Module {
  func execute(_ method: String, _ inputs: [ValueConvertible]) throws -> [Value] { fatalError("stub") }
  func execute(_ method: String, _ inputs: ValueConvertible...) throws -> [Value] { fatalError("stub") }
  func forward(_ inputs: [ValueConvertible]) throws -> [Value] { fatalError("stub") }
  func forward(_ inputs: ValueConvertible...) throws -> [Value] { fatalError("stub") }
}

public extension Module {
  func execute<Output: ValueSequenceConstructible>(
    _ method: String, _ inputs: [ValueConvertible]
  ) throws -> Output { fatalError("stub") }
  func execute<Output: ValueSequenceConstructible>(
    _ method: String, _ inputs: ValueConvertible...
  ) throws -> Output { fatalError("stub") }
  func execute<Output: ValueSequenceConstructible>(
    _ method: String, _ input: ValueConvertible
  ) throws -> Output { fatalError("stub") }
  func execute<Output: ValueSequenceConstructible>(_ method: String) throws -> Output {
    fatalError("stub")
  }
  func forward<Output: ValueSequenceConstructible>(_ inputs: [ValueConvertible]) throws -> Output {
    fatalError("stub")
  }
  func forward<Output: ValueSequenceConstructible>(_ inputs: ValueConvertible...) throws -> Output {
    fatalError("stub")
  }
  func forward<Output: ValueSequenceConstructible>(_ input: ValueConvertible) throws -> Output {
    fatalError("stub")
  }
  func forward<Output: ValueSequenceConstructible>() throws -> Output { fatalError("stub") }
}

public extension Module {
  func setInput(_ value: ValueConvertible, for method: String, at index: Int) throws { fatalError("stub") }
  func setInput(_ value: ValueConvertible, for method: String) throws { fatalError("stub") }
  func setInput(_ value: ValueConvertible, at index: Int) throws { fatalError("stub") }
  func setInput(_ value: ValueConvertible) throws { fatalError("stub") }
  func setInputs(_ values: [ValueConvertible], for method: String) throws { fatalError("stub") }
  func setInputs(_ values: [ValueConvertible]) throws { fatalError("stub") }
  func setInputs(_ values: ValueConvertible..., for method: String) throws { fatalError("stub") }
  func setInputs(_ values: ValueConvertible...) throws { fatalError("stub") }
}
