package {{ package_id }}

import java.nio.ByteBuffer
import java.nio.ByteOrder
import kotlin.math.PI
import kotlin.math.cos
import kotlin.math.floor
import kotlin.math.ln
import kotlin.math.log10
import kotlin.math.max
import kotlin.math.min
import kotlin.math.pow
import kotlin.math.sin

/**
 * An audio spec's constants (AudioSpec.PARAMS): [length] samples at [sampleRate] Hz, mixed to
 * mono when [mono]; log-mel features when [logMel] ([nMels] x (1 + length / hop) per channel).
 */
data class AudioParams(
    val sampleRate: Int,
    val length: Int,
    val mono: Boolean,
    val logMel: Boolean,
    val nMels: Int,
    val nFft: Int,
    val hop: Int,
    val fmin: Double,
    val fmax: Double,
)

/** A decoded recording: one FloatArray per channel (-1..1) at [rate] Hz. */
class Recording(val channels: List<FloatArray>, val rate: Int) {
    val frames: Int get() = channels.firstOrNull()?.size ?: 0
}

/** A file that is not a WAV file this app reads; [message] says what it is and what to do. */
class WavFormatException(message: String) : IllegalArgumentException(message)

/**
 * Audio preprocessing: a recording becomes the model's input exactly as the desktop's
 * core/data/audio.py and core/data/audiofolder.py compute it. Pure Kotlin (no Android
 * classes), so the JVM runs it too.
 *
 * 1. PCM samples (8-bit unsigned; 16-, 24-, 32-bit signed; 32- or 64-bit float) as floats in
 *    -1..1 (x / 2^(bits - 1), in float32 as numpy divides them);
 * 2. mixed to mono (the mean of the channels) when the spec says mono;
 * 3. resampled to the spec's rate by linear interpolation (numpy.interp's maths);
 * 4. cut, or zero-padded at the end, to the spec's length;
 * 5. log-mel (when the spec has it): centred STFT (reflect padding of nFft / 2), periodic
 *    Hann window, power spectrum, HTK mel filterbank (no area normalisation), ln(x + 1e-6):
 *    [C, nMels, 1 + length / hop], row-major.
 */
object AudioFeatures {
    const val LOG_EPS: Double = 1e-6

    /** A WAV file's samples, as the desktop's read_wav reads them. */
    fun readWav(bytes: ByteArray): Recording {
        val buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN)
        fun tag(at: Int) = String(bytes, at, 4, Charsets.US_ASCII)
        if (bytes.size < 12 || tag(0) != "RIFF" || tag(8) != "WAVE") {
            throw WavFormatException("not a WAV file (no RIFF/WAVE header): pick a .wav recording")
        }
        var code = -1
        var channels = 0
        var rate = 0
        var bits = 0
        var dataAt = -1
        var dataSize = 0
        var at = 12
        while (at + 8 <= bytes.size) {
            val id = tag(at)
            val size = buf.getInt(at + 4).toLong() and 0xFFFFFFFFL
            if (id == "fmt " && at + 24 <= bytes.size) {
                code = buf.getShort(at + 8).toInt() and 0xFFFF
                channels = buf.getShort(at + 10).toInt() and 0xFFFF
                rate = buf.getInt(at + 12)
                bits = buf.getShort(at + 22).toInt() and 0xFFFF
                // WAVE_FORMAT_EXTENSIBLE: the real format code starts the sub-format GUID
                if (code == 0xFFFE && size >= 26 && at + 34 <= bytes.size) {
                    code = buf.getShort(at + 32).toInt() and 0xFFFF
                }
            } else if (id == "data") {
                dataAt = at + 8
                dataSize = min(size, (bytes.size - dataAt).toLong()).toInt()
            }
            val next = at + 8L + size + (size % 2)
            if (next > bytes.size) break  // the last chunk (or a corrupt size)
            at = next.toInt()
        }
        if (code < 0 || dataAt < 0) throw WavFormatException("a WAV file without fmt/data chunks")
        val width = bits / 8
        val pcm = code == 1 && bits in listOf(8, 16, 24, 32)
        val float = code == 3 && bits in listOf(32, 64)
        if (!pcm && !float) {
            throw WavFormatException(
                "a $bits-bit WAV file of format $code (${if (code == 1) "PCM" else if (code == 3) "float" else "compressed"}): " +
                    "only 8-, 16-, 24-, 32-bit PCM and 32-, 64-bit float are read; convert it " +
                    "(e.g. ffmpeg -i IN -acodec pcm_s16le OUT.wav)",
            )
        }
        if (channels < 1 || rate <= 0) throw WavFormatException("a WAV file with $channels channels at $rate Hz")
        val frames = dataSize / (width * channels)
        val out = List(channels) { FloatArray(frames) }
        for (i in 0 until frames) {
            for (c in 0 until channels) {
                val p = dataAt + (i * channels + c) * width
                out[c][i] = when {
                    float && width == 4 -> buf.getFloat(p)
                    float -> buf.getDouble(p).toFloat()
                    width == 1 -> ((bytes[p].toInt() and 0xFF).toFloat() - 128f) / 128f
                    width == 2 -> buf.getShort(p).toFloat() / 32768f
                    width == 3 -> {
                        val v = (bytes[p].toInt() and 0xFF) or ((bytes[p + 1].toInt() and 0xFF) shl 8) or (bytes[p + 2].toInt() shl 16)
                        v.toFloat() / 8388608f
                    }
                    else -> buf.getInt(p).toFloat() / 2147483648f  // numpy: int32 -> float32, then / 2^31
                }
            }
        }
        return Recording(out, rate)
    }

    /** The mean of the channels, in float32 as numpy's mean(axis=0) of float32 rows. */
    fun mixToMono(channels: List<FloatArray>): FloatArray {
        if (channels.size == 1) return channels[0]
        return FloatArray(channels[0].size) { i ->
            var s = channels[0][i]
            for (c in 1 until channels.size) s += channels[c][i]
            s / channels.size
        }
    }

    /** Python's round(): halves go to the even neighbour. */
    fun roundHalfEven(x: Double): Long = Math.rint(x).toLong()

    /** One channel from [rate] to [target] Hz by linear interpolation (audio.resample). */
    fun resample(x: FloatArray, rate: Int, target: Int): FloatArray {
        if (rate == target || x.isEmpty()) return x.copyOf()
        val n = max(1L, roundHalfEven(x.size.toDouble() * target / rate)).toInt()
        val step = rate.toDouble() / target
        val last = x.size - 1
        return FloatArray(n) { i ->
            val t = i * step
            if (t >= last) {
                x[last]
            } else {
                val j = floor(t).toInt()
                if (t == j.toDouble()) x[j] else ((x[j + 1].toDouble() - x[j]) * (t - j) + x[j]).toFloat()
            }
        }
    }

    /** Cut to, or zero-pad at the end to, [length] samples (audio.fit_length). */
    fun fitLength(x: FloatArray, length: Int): FloatArray = x.copyOf(length)

    /** numpy.linspace(start, stop, num), endpoint included. */
    private fun linspace(start: Double, stop: Double, num: Int): DoubleArray {
        val step = (stop - start) / (num - 1)
        val out = DoubleArray(num) { it * step + start }
        if (num > 1) out[num - 1] = stop
        return out
    }

    private fun hzToMel(f: Double) = 2595.0 * log10(1.0 + f / 700.0)

    private fun melToHz(m: Double) = 700.0 * (10.0.pow(m / 2595.0) - 1.0)

    /** HTK mel filterbank [nFft / 2 + 1][nMels] (audio.mel_filterbank), row-major. */
    fun melFilterbank(sampleRate: Int, nFft: Int, nMels: Int, fmin: Double, fmax: Double): DoubleArray {
        val bins = nFft / 2 + 1
        val freqs = linspace(0.0, (sampleRate / 2).toDouble(), bins)
        val pts = linspace(hzToMel(fmin), hzToMel(fmax), nMels + 2).map { melToHz(it) }
        val fb = DoubleArray(bins * nMels)
        for (i in 0 until bins) {
            for (m in 0 until nMels) {
                val down = -(pts[m] - freqs[i]) / (pts[m + 1] - pts[m])
                val up = (pts[m + 2] - freqs[i]) / (pts[m + 2] - pts[m + 1])
                fb[i * nMels + m] = max(0.0, min(down, up))
            }
        }
        return fb
    }

    /** Reflect padding (numpy mode="reflect": the edge sample is not repeated). */
    private fun reflectPad(x: FloatArray, pad: Int): DoubleArray {
        val n = x.size
        return DoubleArray(n + 2 * pad) { i ->
            var j = i - pad
            while (j < 0 || j >= n) j = if (j < 0) -j else 2 * (n - 1) - j
            x[j].toDouble()
        }
    }

    /** Log-mel of one channel: [nMels * frames], mel-major (as [n_mels, frames]). */
    fun logMel(x: FloatArray, p: AudioParams): FloatArray {
        val nFft = p.nFft
        val xp = reflectPad(x, nFft / 2)
        val frames = 1 + (xp.size - nFft) / p.hop
        val bins = nFft / 2 + 1
        val window = DoubleArray(nFft) { 0.5 - 0.5 * cos(2 * PI * it / nFft) }  // periodic Hann
        val cosT = DoubleArray(nFft) { cos(2 * PI * it / nFft) }
        val sinT = DoubleArray(nFft) { sin(2 * PI * it / nFft) }
        val fb = melFilterbank(p.sampleRate, nFft, p.nMels, p.fmin, p.fmax)
        val out = FloatArray(p.nMels * frames)
        val frame = DoubleArray(nFft)
        val power = DoubleArray(bins)
        for (t in 0 until frames) {
            for (n in 0 until nFft) frame[n] = xp[t * p.hop + n] * window[n]
            for (k in 0 until bins) {  // the DFT of a real frame, bins 0..nFft / 2
                var re = 0.0
                var im = 0.0
                var idx = 0
                for (n in 0 until nFft) {
                    re += frame[n] * cosT[idx]
                    im -= frame[n] * sinT[idx]
                    idx = (idx + k) % nFft
                }
                power[k] = re * re + im * im
            }
            for (m in 0 until p.nMels) {
                var s = 0.0
                for (k in 0 until bins) s += power[k] * fb[k * p.nMels + m]
                out[m * frames + t] = ln(s + LOG_EPS).toFloat()
            }
        }
        return out
    }

    /** A recording's clip: mono (when the spec says so), at the spec's rate and length. */
    fun clip(recording: Recording, p: AudioParams): List<FloatArray> {
        val channels = if (p.mono && recording.channels.size > 1) listOf(mixToMono(recording.channels)) else recording.channels
        return channels.map { fitLength(resample(it, recording.rate, p.sampleRate), p.length) }
    }

    /** The model's features of a recording: [C, length] or [C, nMels, frames], row-major. */
    fun features(recording: Recording, p: AudioParams): FloatArray {
        val clip = clip(recording, p)
        val parts = if (p.logMel) clip.map { logMel(it, p) } else clip
        val out = FloatArray(parts.sumOf { it.size })
        var at = 0
        for (part in parts) {
            part.copyInto(out, at)
            at += part.size
        }
        return out
    }
}
