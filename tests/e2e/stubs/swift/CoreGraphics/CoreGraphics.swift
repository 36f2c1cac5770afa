// Type-check stub of Apple's Core Graphics, module `CoreGraphics`, as documented for the iOS 17
// SDK (Xcode 16; https://developer.apple.com/documentation/coregraphics; CGImage.h,
// CGBitmapContext.h, CGColorSpace.h, CGContext.h as Swift imports them): the parts
// Preprocess.swift uses. CGFloat, CGPoint, CGSize and CGRect come from Linux's
// swift-corelibs-foundation (re-exported here), which declares them as Core Graphics does; so
// Foundation is visible to files that import only CoreGraphics, which is looser than on Apple
// platforms. Nothing here runs: bodies call fatalError.

@_exported import Foundation

public enum CGImageAlphaInfo: UInt32 {
  case none = 0, premultipliedLast, premultipliedFirst, last, first, noneSkipLast, noneSkipFirst
  case alphaOnly
}

public struct CGBitmapInfo: OptionSet {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  public static let alphaInfoMask = CGBitmapInfo(rawValue: 0x1F)
  public static let byteOrder32Little = CGBitmapInfo(rawValue: 2 << 12)
  public static let byteOrder32Big = CGBitmapInfo(rawValue: 4 << 12)
}

public enum CGInterpolationQuality: Int32 {
  case `default` = 0, none = 1, low = 2, high = 3, medium = 4
}

public final class CGColorSpace {
  private init() {}
  public var numberOfComponents: Int { fatalError("stub") }
}

public func CGColorSpaceCreateDeviceRGB() -> CGColorSpace { fatalError("stub") }
public func CGColorSpaceCreateDeviceGray() -> CGColorSpace { fatalError("stub") }

public final class CGImage {
  private init() {}
  public var width: Int { fatalError("stub") }
  public var height: Int { fatalError("stub") }
  public var bitsPerComponent: Int { fatalError("stub") }
  public var bitsPerPixel: Int { fatalError("stub") }
  public var bytesPerRow: Int { fatalError("stub") }
  public var colorSpace: CGColorSpace? { fatalError("stub") }
  public var alphaInfo: CGImageAlphaInfo { fatalError("stub") }
  public func cropping(to rect: CGRect) -> CGImage? { fatalError("stub") }
}

public final class CGContext {
  /// CGBitmapContextCreate: `bitmapInfo` is a UInt32 (a CGImageAlphaInfo raw value or'ed with
  /// CGBitmapInfo flags).
  public init?(
    data: UnsafeMutableRawPointer?, width: Int, height: Int, bitsPerComponent: Int,
    bytesPerRow: Int, space: CGColorSpace, bitmapInfo: UInt32
  ) { fatalError("stub") }
  public var interpolationQuality: CGInterpolationQuality {
    get { fatalError("stub") }
    set { fatalError("stub") }
  }
  public func draw(_ image: CGImage, in rect: CGRect, byTiling: Bool = false) { fatalError("stub") }
  public func makeImage() -> CGImage? { fatalError("stub") }
  public var data: UnsafeMutableRawPointer? { fatalError("stub") }
  public var width: Int { fatalError("stub") }
  public var height: Int { fatalError("stub") }
}
