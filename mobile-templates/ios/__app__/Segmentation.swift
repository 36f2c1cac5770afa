import Foundation

/// Segmentation: per-pixel logits [1, classes, H, W] to a class mask (argmax over the classes,
/// the first of equal maxima like numpy), the mask blended over the image with a fixed
/// palette, the legend and the self-test's pixel agreement. No UI framework: type-checked.
enum SegmentationMask {
    /// Opacity of the mask over the image (0...255).
    static let alpha: Int = 140

    /// A fixed palette (0xRRGGBB): class i gets palette[i % count]; class 0 is often background.
    static let palette: [UInt32] = [
        0x000000, 0xE6194B, 0x3CB44B, 0xFFE119, 0x4363D8, 0xF58231, 0x911EB4, 0x46F0F0,
        0xF032E6, 0xBCF60C, 0xFABEBE, 0x008080, 0xE6BEFF, 0x9A6324, 0xFFFAC8, 0x800000,
        0xAAFFC3, 0x808000, 0xFFD8B1, 0x000075,
    ]

    static func color(_ label: Int) -> UInt32 {
        let n = palette.count
        return palette[((label % n) + n) % n]
    }

    /// The class of every pixel (row-major H x W) from NCHW logits of `classes` channels.
    static func argmax(_ logits: [Float], classes: Int) -> [Int] {
        guard classes > 0 else { return [] }
        let pixels = logits.count / classes
        var mask = [Int](repeating: 0, count: pixels)
        for p in 0..<pixels {
            var best = 0
            var bestValue = logits[p]
            for c in 1..<classes {
                if bestValue.isNaN { break }  // numpy: the first NaN is the maximum
                let v = logits[c * pixels + p]
                if v > bestValue || v.isNaN {
                    best = c
                    bestValue = v
                }
            }
            mask[p] = best
        }
        return mask
    }

    /// The fraction of pixels where `mask` and `expected` name the same class (0 if sizes differ).
    static func agreement(_ mask: [Int], _ expected: [Int]) -> Float {
        guard mask.count == expected.count, !mask.isEmpty else { return 0 }
        var same = 0
        for i in mask.indices where mask[i] == expected[i] { same += 1 }
        return Float(same) / Float(mask.count)
    }

    /// Each class present in `mask` with its pixel count, most pixels first (then by class).
    static func legend(_ mask: [Int]) -> [(label: Int, pixels: Int)] {
        var counts: [Int: Int] = [:]
        for m in mask { counts[m, default: 0] += 1 }
        return counts.map { (label: $0.key, pixels: $0.value) }
            .sorted { $0.pixels > $1.pixels || ($0.pixels == $1.pixels && $0.label < $1.label) }
    }

    /// `image` (RGBA bytes, `width` x `height`) with the mask blended over it; the mask is
    /// sampled with nearest neighbours when its size differs from the image's.
    static func overlay(
        _ image: [UInt8], width: Int, height: Int, mask: [Int], maskWidth: Int, maskHeight: Int
    ) -> [UInt8] {
        var out = [UInt8](repeating: 255, count: width * height * 4)
        guard image.count >= width * height * 4, mask.count >= maskWidth * maskHeight else { return out }
        for y in 0..<height {
            for x in 0..<width {
                let m = mask[(y * maskHeight / height) * maskWidth + (x * maskWidth / width)]
                let c = color(m)
                let i = (y * width + x) * 4
                for (k, shift) in [16, 8, 0].enumerated() {
                    let over = Int((c >> UInt32(shift)) & 0xFF)
                    out[i + k] = UInt8((Int(image[i + k]) * (255 - alpha) + over * alpha) / 255)
                }
                out[i + 3] = 255
            }
        }
        return out
    }
}
