import CoreGraphics

/// Generated from preprocess.json by {{ generator }}; re-export the project to change it.
///
/// value = (pixel * scale - mean[c]) / std[c], {{ "channels-last (NHWC)" if pp.nhwc else "channels-first (NCHW)" }}, in Float (float32)
/// exactly as Python's core.data.preprocess.Preprocess.apply computes it.
enum Preprocess {
    static let height: Int = {{ pp.height }}
    static let width: Int = {{ pp.width }}
    static let channels: Int = {{ pp.channels }}
    /// How other images are fitted to height x width: "stretch" or "center-crop".
    static let resize: String = {{ pp.resize | swift }}

    private static let scale: Float = {{ pp.scale }}
    private static let mean: [Float] = [{{ pp.mean | join(", ") }}]
    private static let std: [Float] = [{{ pp.std | join(", ") }}]

    /// Where to draw an image so that it fills width x height ({{ pp.resize }}).
    static func drawRect(for image: CGImage) -> CGRect {
        let w = CGFloat(width), h = CGFloat(height)
        if image.width == width && image.height == height {
            return CGRect(x: 0, y: 0, width: w, height: h)
        }
{% if pp.resize == "center-crop" %}        // Scale the short side to {{ pp.resize_size or "fit" }}, then keep the centre (as Preprocess.resize_image).
        let sw = CGFloat(image.width), sh = CGFloat(image.height)
{% if pp.resize_size %}        let s = CGFloat({{ pp.resize_size }}) / min(sw, sh)
{% else %}        let s = max(w / sw, h / sh)
{% endif %}
        let nw = max(w, (sw * s).rounded()), nh = max(h, (sh * s).rounded())
        let left = ((nw - w) / 2).rounded(.down), top = ((nh - h) / 2).rounded(.down)
        // Core Graphics' origin is bottom-left: the crop's bottom edge sits nh - h - top up.
        return CGRect(x: -left, y: -(nh - h - top), width: nw, height: nh)
{% else %}        return CGRect(x: 0, y: 0, width: w, height: h)
{% endif %}    }

    /// The image's 8-bit pixels at model size: {% if pp.grayscale %}one gray byte{% else %}RGBX, four bytes{% endif %} per pixel.
    static func pixels(of image: CGImage) -> [UInt8]? {
{% if pp.grayscale %}        let bytesPerPixel = 1
        let space = CGColorSpaceCreateDeviceGray()
        let info = CGImageAlphaInfo.none.rawValue
{% else %}        let bytesPerPixel = 4
        let space = CGColorSpaceCreateDeviceRGB()
        let info = CGImageAlphaInfo.noneSkipLast.rawValue
{% endif %}        var buffer = [UInt8](repeating: 0, count: width * height * bytesPerPixel)
        let drawn = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let context = CGContext(
                data: raw.baseAddress, width: width, height: height, bitsPerComponent: 8,
                bytesPerRow: width * bytesPerPixel, space: space, bitmapInfo: info
            ) else { return false }
            context.interpolationQuality = {{ ".none" if pp.interpolation == "nearest" else ".high" }}
            context.draw(image, in: drawRect(for: image))
            return true
        }
        return drawn ? buffer : nil
    }

    /// The image at model size as RGBA bytes (what a segmentation mask is drawn over).
    static func rgba(of image: CGImage) -> (rgba: [UInt8], width: Int, height: Int) {
        var buffer = [UInt8](repeating: 0, count: width * height * 4)
        let space = CGColorSpaceCreateDeviceRGB()
        buffer.withUnsafeMutableBytes { raw in
            guard let context = CGContext(
                data: raw.baseAddress, width: width, height: height, bitsPerComponent: 8,
                bytesPerRow: width * 4, space: space, bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue
            ) else { return }
            context.interpolationQuality = .none
            context.draw(image, in: drawRect(for: image))
        }
        return (rgba: buffer, width: width, height: height)
    }

    /// 8-bit pixels at model size -> the model input, {{ pp.layout }}.
    static func toInput(_ pixels: [UInt8]) -> [Float] {
        let plane = width * height
        var out = [Float](repeating: 0, count: channels * plane)
        for i in 0..<plane {
{% if pp.grayscale %}            out[i] = normalise(pixels[i], 0)
{% else %}            let r = pixels[4 * i], g = pixels[4 * i + 1], b = pixels[4 * i + 2]
{% macro at(c) %}{% if pp.nhwc %}{{ pp.channels }} * i + {{ c }}{% else %}{{ c }} * plane + i{% endif %}{% endmacro %}{% if pp.bgr %}            out[{{ at(0) }}] = normalise(b, 0)
            out[{{ at(1) }}] = normalise(g, 1)
            out[{{ at(2) }}] = normalise(r, 2)
{% else %}            out[{{ at(0) }}] = normalise(r, 0)
            out[{{ at(1) }}] = normalise(g, 1)
            out[{{ at(2) }}] = normalise(b, 2)
{% endif %}{% endif %}        }
        return out
    }

    private static func normalise(_ value: UInt8, _ channel: Int) -> Float {
        (Float(value) * scale - mean[channel]) / std[channel]
    }
}
