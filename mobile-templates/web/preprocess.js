// Generated from preprocess.json by {{ generator }}. Re-export the project to change it.
// value = (pixel * scale - mean[c]) / std[c], {{ "channels-last (NHWC)" if pp.nhwc else "channels-first (NCHW)" }}, computed in float32 exactly as
// Python's core.data.preprocess.Preprocess.apply does.

const f = Math.fround;

export const PREPROCESS = Object.freeze({
  height: {{ pp.height }},
  width: {{ pp.width }},
  channels: {{ pp.channels }},
  resize: {{ pp.resize | js }},
  bgr: {{ pp.bgr | js }},
  nhwc: {{ pp.nhwc | js }},
  resizeSize: {{ pp.resize_size }},
  scale: f({{ pp.scale }}),
  mean: [{% for m in pp.mean %}f({{ m }}){{ ", " if not loop.last }}{% endfor %}],
  std: [{% for s in pp.std %}f({{ s }}){{ ", " if not loop.last }}{% endfor %}],
});

/**
 * Draw an image (HTMLImageElement, ImageBitmap or canvas) at model size and return its pixels.
 * The bundled sample is already at model size and is copied pixel for pixel; other images are
 * resized ({{ pp.resize }}) by the browser, so their pixels differ slightly from Pillow's.
 */
export function pixelsAtModelSize(source, sourceWidth, sourceHeight) {
  const { width: w, height: h } = PREPROCESS;
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingEnabled = {{ (pp.interpolation != "nearest") | js }};
  ctx.imageSmoothingQuality = "high";
  if (sourceWidth === w && sourceHeight === h) {
    ctx.drawImage(source, 0, 0);
  } else if (PREPROCESS.resize === "center-crop") {
    const s = PREPROCESS.resizeSize
      ? PREPROCESS.resizeSize / Math.min(sourceWidth, sourceHeight)
      : Math.max(w / sourceWidth, h / sourceHeight);
    const nw = Math.max(w, Math.round(sourceWidth * s));
    const nh = Math.max(h, Math.round(sourceHeight * s));
    const left = Math.floor((nw - w) / 2);
    const top = Math.floor((nh - h) / 2);
    ctx.drawImage(source, -left, -top, nw, nh);
  } else {
    ctx.drawImage(source, 0, 0, w, h);
  }
  return ctx.getImageData(0, 0, w, h);
}

function normalise(value, c) {
  return f(f(f(value * PREPROCESS.scale) - PREPROCESS.mean[c]) / PREPROCESS.std[c]);
}

/** RGBA ImageData at model size -> Float32Array in {{ pp.layout }} order (batch of one). */
export function toInputData(imageData) {
  const { width: w, height: h, channels } = PREPROCESS;
  const rgba = imageData.data;
  const out = new Float32Array(channels * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const r = rgba[i], g = rgba[i + 1], b = rgba[i + 2];
      if (channels === 1) {
        // Pillow's "L" conversion (ITU-R 601-2 luma, integer arithmetic).
        const l = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
        out[y * w + x] = normalise(l, 0);
      } else {
        const px = PREPROCESS.bgr ? [b, g, r] : [r, g, b];
        for (let c = 0; c < 3; c++) {
          const at = PREPROCESS.nhwc ? (y * w + x) * 3 + c : c * h * w + y * w + x;
          out[at] = normalise(px[c], c);
        }
      }
    }
  }
  return out;
}
