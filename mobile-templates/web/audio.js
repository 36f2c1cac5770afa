// Audio preprocessing: a recording becomes the model's input exactly as the desktop's
// core/data/audio.py and core/data/audiofolder.py compute it (the constants are in the
// generated audio_spec.js). Pure JavaScript, no DOM: node can run it too.
//
// 1. PCM samples (8-bit unsigned, 16- or 32-bit signed; also 32-bit float) as floats in -1..1;
// 2. mixed to mono (the mean of the channels) when spec.mono;
// 3. resampled to spec.sampleRate by linear interpolation (numpy.interp's index maths);
// 4. cut, or zero-padded at the end, to spec.length samples;
// 5. log-mel (when spec.logMel): centred STFT (reflect padding of nFft / 2), periodic Hann,
//    power spectrum, HTK mel filterbank (no area normalisation), log(x + 1e-6):
//    [C, nMels, 1 + length / hop], row-major.

const f32 = Math.fround;
export const LOG_EPS = 1e-6;

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A WAV file's samples: {channels: [Float32Array per channel], rate}, as read_wav reads it. */
export function readWav(buffer) {
  const view = new DataView(buffer);
  const tag = (at) => String.fromCharCode(...new Uint8Array(buffer, at, 4));
  if (buffer.byteLength < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    throw new Error("not a WAV file (RIFF/WAVE header missing)");
  }
  let format = null, data = null;
  for (let at = 12; at + 8 <= buffer.byteLength;) {
    const id = tag(at), size = view.getUint32(at + 4, true);
    if (id === "fmt ") {
      let code = view.getUint16(at + 8, true);
      if (code === 0xfffe && size >= 26) code = view.getUint16(at + 32, true); // extensible
      format = { code, channels: view.getUint16(at + 10, true), rate: view.getUint32(at + 12, true),
        bits: view.getUint16(at + 22, true) };
    } else if (id === "data") {
      data = { at: at + 8, size: Math.min(size, buffer.byteLength - at - 8) };
    }
    at += 8 + size + (size % 2);
  }
  if (!format || !data) throw new Error("WAV file without fmt/data chunks");
  const { code, channels, rate, bits } = format;
  const width = bits / 8;
  if (!(code === 1 && [1, 2, 4].includes(width)) && !(code === 3 && width === 4)) {
    throw new Error(`${bits}-bit WAV format ${code}: only 8-, 16-, 32-bit PCM and 32-bit float are read`);
  }
  const frames = Math.floor(data.size / (width * channels));
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const p = data.at + (i * channels + c) * width;
      let v;
      if (code === 3) v = view.getFloat32(p, true);
      else if (width === 1) v = (view.getUint8(p) - 128) / 128;
      else if (width === 2) v = view.getInt16(p, true) / 32768;
      else v = f32(view.getInt32(p, true)) / 2147483648; // numpy: int32 -> float32, then / 2^31
      out[c][i] = v;
    }
  }
  return { channels: out, rate };
}

/** The mean of the channels, in float32 as numpy's mean(axis=0) of float32 rows. */
export function mixToMono(channels) {
  if (channels.length === 1) return [channels[0]];
  const n = channels[0].length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = channels[0][i];
    for (let c = 1; c < channels.length; c++) s = f32(s + channels[c][i]);
    out[i] = f32(s / channels.length);
  }
  return [out];
}

/** One channel from `rate` to `target` Hz by linear interpolation (audio.resample). */
export function resample(x, rate, target) {
  if (rate === target || x.length === 0) return Float32Array.from(x);
  const n = Math.max(1, roundHalfEven((x.length * target) / rate));
  const step = rate / target;
  const last = x.length - 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i * step;
    if (t >= last) { out[i] = x[last]; continue; }
    const j = Math.floor(t);
    out[i] = t === j ? x[j] : (x[j + 1] - x[j]) * (t - j) + x[j];
  }
  return out;
}

/** Cut to, or zero-pad at the end to, `length` samples (audio.fit_length). */
export function fitLength(x, length) {
  const out = new Float32Array(length);
  out.set(x.length > length ? x.subarray(0, length) : x);
  return out;
}

/** numpy.linspace(start, stop, num) (endpoint included). */
function linspace(start, stop, num) {
  const step = (stop - start) / (num - 1);
  const out = new Float64Array(num);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

const hzToMel = (f) => 2595.0 * Math.log10(1.0 + f / 700.0);
const melToHz = (m) => 700.0 * (10.0 ** (m / 2595.0) - 1.0);

/** HTK mel filterbank [nFft / 2 + 1][nMels] (audio.mel_filterbank), row-major Float64Array. */
export function melFilterbank(sampleRate, nFft, nMels, fmin, fmax) {
  const bins = Math.floor(nFft / 2) + 1;
  const freqs = linspace(0, Math.floor(sampleRate / 2), bins);
  const pts = linspace(hzToMel(fmin), hzToMel(fmax ?? sampleRate / 2), nMels + 2).map(melToHz);
  const fb = new Float64Array(bins * nMels);
  for (let i = 0; i < bins; i++) {
    for (let m = 0; m < nMels; m++) {
      const down = -(pts[m] - freqs[i]) / (pts[m + 1] - pts[m]);
      const up = (pts[m + 2] - freqs[i]) / (pts[m + 2] - pts[m + 1]);
      fb[i * nMels + m] = Math.max(0.0, Math.min(down, up));
    }
  }
  return fb;
}

/** Reflect-pad (numpy mode="reflect": the edge sample is not repeated). */
function reflectPad(x, pad) {
  const n = x.length;
  const out = new Float64Array(n + 2 * pad);
  for (let i = 0; i < out.length; i++) {
    let j = i - pad;
    while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
    out[i] = x[j];
  }
  return out;
}

/** Log-mel of one channel: Float32Array [nMels * frames] (mel-major, as [n_mels, frames]). */
export function logMel(x, spec) {
  const { nMels, nFft, hop, fmin, fmax } = spec.logMel;
  const pad = Math.floor(nFft / 2);
  const xp = reflectPad(x, pad);
  const frames = 1 + Math.floor((xp.length - nFft) / hop);
  const bins = Math.floor(nFft / 2) + 1;
  const window = new Float64Array(nFft);
  const cos = new Float64Array(nFft), sin = new Float64Array(nFft);
  for (let n = 0; n < nFft; n++) {
    window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / nFft); // periodic Hann
    cos[n] = Math.cos((2 * Math.PI * n) / nFft);
    sin[n] = Math.sin((2 * Math.PI * n) / nFft);
  }
  const fb = melFilterbank(spec.sampleRate, nFft, nMels, fmin, fmax);
  const out = new Float32Array(nMels * frames);
  const frame = new Float64Array(nFft);
  const power = new Float64Array(bins);
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < nFft; n++) frame[n] = xp[t * hop + n] * window[n];
    for (let k = 0; k < bins; k++) { // the DFT of a real frame, bins 0..nFft/2
      let re = 0, im = 0;
      for (let n = 0, idx = 0; n < nFft; n++, idx = (idx + k) % nFft) {
        re += frame[n] * cos[idx];
        im -= frame[n] * sin[idx];
      }
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < nMels; m++) {
      let s = 0;
      for (let k = 0; k < bins; k++) s += power[k] * fb[k * nMels + m];
      out[m * frames + t] = Math.log(s + LOG_EPS);
    }
  }
  return out;
}

/**
 * Decoded channels ({channels, rate}) -> the model's features as one Float32Array in
 * [C, samples] or [C, nMels, frames] order, plus the clip (per channel) for display.
 */
export function audioFeatures(decoded, spec) {
  let channels = decoded.channels;
  if (spec.mono && channels.length > 1) channels = mixToMono(channels);
  const clip = channels.map((ch) => fitLength(resample(ch, decoded.rate, spec.sampleRate), spec.length));
  const parts = spec.logMel ? clip.map((ch) => logMel(ch, spec)) : clip;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => { out.set(p, at); return at + p.length; }, 0);
  return { features: out, clip };
}

/** The features' natural shape: [C, length] or [C, nMels, frames]. */
export function featureShape(spec, channels = 1) {
  return spec.logMel
    ? [channels, spec.logMel.nMels, 1 + Math.floor(spec.length / spec.logMel.hop)]
    : [channels, spec.length];
}
