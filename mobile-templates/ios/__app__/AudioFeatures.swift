import Foundation

/// The audio spec's constants (generated into AudioSpec.swift from preprocess.json).
struct AudioSettings: Sendable {
    /// Hz the model expects; samples per clip (cut or zero-padded at the end to it).
    let sampleRate: Int
    let length: Int
    /// Mix the channels to one (the mean of the channels).
    let mono: Bool
    /// nil: the model takes the waveform itself.
    let logMel: LogMelSettings?
}

/// log-mel as torchaudio's MelSpectrogram computes it by default (fmax resolved: never nil).
struct LogMelSettings: Sendable {
    let nMels: Int
    let nFft: Int
    let hop: Int
    let fmin: Double
    let fmax: Double
}

/// A WAV file's samples: one array per channel, floats in -1..1, and its sample rate.
struct DecodedAudio: Sendable {
    let channels: [[Float]]
    let rate: Int

    var frames: Int { channels.first?.count ?? 0 }
}

enum AudioError: LocalizedError {
    case notWav(String)
    case unsupported(String)
    case microphone(String)

    var errorDescription: String? {
        switch self {
        case .notWav(let why): return "not a WAV file: \(why)"
        case .unsupported(let what): return "unsupported WAV file: \(what)"
        case .microphone(let why): return "recording failed: \(why)"
        }
    }
}

/// A recording becomes the model's input exactly as the desktop's core/data/audio.py and
/// core/data/audiofolder.py compute it (Foundation only, no Accelerate: the same maths as
/// the Web page's audio.js):
///
/// 1. PCM samples (8-bit unsigned, 16-, 24- or 32-bit signed; 32- or 64-bit float) as floats
///    in -1..1 (Float(sample) / 2^(bits - 1); 8-bit: (sample - 128) / 128);
/// 2. mixed to mono (the mean of the channels, in Float) when `mono`;
/// 3. resampled to `sampleRate` by linear interpolation (numpy.interp's maths, in Double);
/// 4. cut, or zero-padded at the end, to `length` samples;
/// 5. log-mel (when `logMel`): centred STFT (reflect padding of nFft / 2), periodic Hann
///    window, power spectrum, HTK mel filterbank (no area normalisation) from fmin to fmax,
///    log(x + 1e-6): [C, nMels, 1 + length / hop], row-major, in Double, returned as Float.
enum AudioFeatures {
    static let logEps = 1e-6

    // MARK: WAV

    /// Reads a RIFF/WAVE file (chunks in any order, unknown chunks skipped, the extensible
    /// format's sub-format honoured).
    static func readWav(_ data: Data) throws -> DecodedAudio {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func tag(_ at: Int) -> String { String(decoding: bytes[at..<at + 4], as: UTF8.self) }
        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else {
            throw AudioError.notWav("the RIFF/WAVE header is missing")
        }
        var format: (code: Int, channels: Int, rate: Int, bits: Int)?
        var body: Range<Int>?
        var at = 12
        while at + 8 <= bytes.count {
            let id = tag(at), size = u32(at + 4)
            if id == "fmt " {
                guard size >= 16, at + 24 <= bytes.count else { throw AudioError.notWav("the fmt chunk is truncated") }
                var code = u16(at + 8)
                if code == 0xFFFE, size >= 26, at + 34 <= bytes.count { code = u16(at + 32) }  // extensible
                format = (code, u16(at + 10), u32(at + 12), u16(at + 22))
            } else if id == "data" {
                body = (at + 8)..<min(at + 8 + size, bytes.count)
            }
            at += 8 + size + size % 2
        }
        guard let format, let body else { throw AudioError.notWav("no fmt or data chunk") }
        let (code, count, rate, bits) = format
        guard count > 0, rate > 0 else {
            throw AudioError.unsupported("\(count) channel(s) at \(rate) Hz")
        }
        let width = bits / 8
        let pcm = code == 1 && [1, 2, 3, 4].contains(width) && bits % 8 == 0
        let float = code == 3 && (width == 4 || width == 8) && bits % 8 == 0
        guard pcm || float else {
            throw AudioError.unsupported(
                "\(bits)-bit samples of format \(code): only 8-, 16-, 24-, 32-bit PCM and 32- or 64-bit float are read"
            )
        }
        let frames = body.count / (width * count)
        var channels = [[Float]](repeating: [Float](repeating: 0, count: frames), count: count)
        for i in 0..<frames {
            for c in 0..<count {
                let p = body.lowerBound + (i * count + c) * width
                channels[c][i] = sample(bytes, p, width: width, float: float)
            }
        }
        return DecodedAudio(channels: channels, rate: rate)
    }

    /// One little-endian sample as a Float in -1..1 (as read_wav: Float(int) / 2^(bits - 1)).
    private static func sample(_ b: [UInt8], _ p: Int, width: Int, float: Bool) -> Float {
        var raw: UInt64 = 0
        for k in 0..<width { raw |= UInt64(b[p + k]) << (8 * UInt64(k)) }
        if float {
            return width == 4 ? Float(bitPattern: UInt32(raw)) : Float(Double(bitPattern: raw))
        }
        switch width {
        case 1: return (Float(raw) - 128) / 128
        case 2: return Float(Int16(bitPattern: UInt16(raw))) / 32768
        case 3: return Float(Int32(bitPattern: UInt32(raw << 8)) >> 8) / 8_388_608
        default: return Float(Int32(bitPattern: UInt32(raw))) / 2_147_483_648
        }
    }

    // MARK: clip

    /// The mean of the channels, summed and divided in Float (numpy's mean of float32 rows).
    static func mixToMono(_ channels: [[Float]]) -> [[Float]] {
        guard channels.count > 1, let first = channels.first else { return channels }
        var out = first
        for c in channels.dropFirst() {
            for i in out.indices { out[i] += c[i] }
        }
        let n = Float(channels.count)
        return [out.map { $0 / n }]
    }

    /// One channel from `rate` to `target` Hz by linear interpolation (audio.resample).
    static func resample(_ x: [Float], rate: Int, target: Int) -> [Float] {
        if rate == target || x.isEmpty { return x }
        let n = max(1, Int((Double(x.count * target) / Double(rate)).rounded(.toNearestOrEven)))
        let step = Double(rate) / Double(target)
        let last = x.count - 1
        return (0..<n).map { i in
            let t = Double(i) * step
            if t >= Double(last) { return x[last] }
            let j = Int(t.rounded(.down))
            if t == Double(j) { return x[j] }
            let slope = Double(x[j + 1]) - Double(x[j])
            return Float(slope * (t - Double(j)) + Double(x[j]))
        }
    }

    /// Cut to, or zero-pad at the end to, `length` samples (audio.fit_length).
    static func fitLength(_ x: [Float], _ length: Int) -> [Float] {
        x.count >= length ? Array(x[0..<length]) : x + [Float](repeating: 0, count: length - x.count)
    }

    /// The decoded channels at the spec's channels, rate and length.
    static func clip(_ audio: DecodedAudio, _ spec: AudioSettings) -> [[Float]] {
        let channels = spec.mono ? mixToMono(audio.channels) : audio.channels
        return channels.map { fitLength(resample($0, rate: audio.rate, target: spec.sampleRate), spec.length) }
    }

    // MARK: log-mel

    /// numpy.linspace(start, stop, num), the endpoint included.
    static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        guard num > 1 else { return num == 1 ? [start] : [] }
        let step = (stop - start) / Double(num - 1)
        var out = (0..<num).map { Double($0) * step + start }
        out[num - 1] = stop
        return out
    }

    static func hzToMel(_ f: Double) -> Double { 2595.0 * log10(1.0 + f / 700.0) }
    static func melToHz(_ m: Double) -> Double { 700.0 * (pow(10.0, m / 2595.0) - 1.0) }

    /// HTK mel filterbank [nFft / 2 + 1][nMels], row-major (audio.mel_filterbank).
    static func melFilterbank(sampleRate: Int, nFft: Int, nMels: Int, fmin: Double, fmax: Double) -> [Double] {
        let bins = nFft / 2 + 1
        let freqs = linspace(0, Double(sampleRate / 2), bins)
        let points = linspace(hzToMel(fmin), hzToMel(fmax), nMels + 2).map(melToHz)
        var fb = [Double](repeating: 0, count: bins * nMels)
        for i in 0..<bins {
            for m in 0..<nMels {
                let down = -(points[m] - freqs[i]) / (points[m + 1] - points[m])
                let up = (points[m + 2] - freqs[i]) / (points[m + 2] - points[m + 1])
                fb[i * nMels + m] = max(0.0, min(down, up))
            }
        }
        return fb
    }

    /// numpy.pad(mode: "reflect"): the edge sample is not repeated.
    static func reflectPad(_ x: [Float], _ pad: Int) -> [Double] {
        let n = x.count
        return (0..<(n + 2 * pad)).map { i in
            var j = i - pad
            while j < 0 || j >= n { j = j < 0 ? -j : 2 * (n - 1) - j }
            return Double(x[j])
        }
    }

    /// Log-mel of one channel: [nMels * frames], mel-major (as [n_mels, frames]).
    static func logMel(_ x: [Float], _ mel: LogMelSettings, sampleRate: Int) -> [Float] {
        let nFft = mel.nFft, hop = mel.hop, nMels = mel.nMels
        let xp = reflectPad(x, nFft / 2)
        let frames = 1 + (xp.count - nFft) / hop
        let bins = nFft / 2 + 1
        let turn = (0..<nFft).map { 2 * Double.pi * Double($0) / Double(nFft) }
        let window = turn.map { 0.5 - 0.5 * cos($0) }  // periodic Hann
        let cosines = turn.map { cos($0) }, sines = turn.map { sin($0) }
        let fb = melFilterbank(sampleRate: sampleRate, nFft: nFft, nMels: nMels, fmin: mel.fmin, fmax: mel.fmax)
        var out = [Float](repeating: 0, count: nMels * frames)
        var frame = [Double](repeating: 0, count: nFft)
        var power = [Double](repeating: 0, count: bins)
        for t in 0..<frames {
            for n in 0..<nFft { frame[n] = xp[t * hop + n] * window[n] }
            for k in 0..<bins {  // the DFT of a real frame, bins 0...nFft / 2
                var re = 0.0, im = 0.0, idx = 0
                for n in 0..<nFft {
                    re += frame[n] * cosines[idx]
                    im -= frame[n] * sines[idx]
                    idx = (idx + k) % nFft
                }
                power[k] = re * re + im * im
            }
            for m in 0..<nMels {
                var s = 0.0
                for k in 0..<bins { s += power[k] * fb[k * nMels + m] }
                out[m * frames + t] = Float(log(s + logEps))
            }
        }
        return out
    }

    // MARK: features

    /// Decoded audio -> the model's features, [C, length] or [C, nMels, frames] row-major.
    static func features(_ audio: DecodedAudio, _ spec: AudioSettings) -> [Float] {
        let clipped = clip(audio, spec)
        guard let mel = spec.logMel else { return clipped.flatMap { $0 } }
        return clipped.flatMap { logMel($0, mel, sampleRate: spec.sampleRate) }
    }

    /// The features' natural shape: [C, length] or [C, nMels, 1 + length / hop].
    static func featureShape(_ spec: AudioSettings, channels: Int = 1) -> [Int] {
        guard let mel = spec.logMel else { return [channels, spec.length] }
        return [channels, mel.nMels, 1 + spec.length / mel.hop]
    }
}
