// Task pages: models other than single-image classifiers (segmentation, detection, token,
// tabular, regression, embedding and generic models). The page feeds the bundled sample's
// input tensors (assets/sample_inputs.json, each in its dtype: int64 as BigInt64Array) to
// every named input, shows the task's view (mask, boxes, or every output summarised) and
// compares with the desktop's outputs (assets/expected.json) as the self-test.
import { detect, matchedBoxAgreement } from "./postprocess.js";
import { median, softmax, topK } from "./selftest.js";

const $ = (id) => document.getElementById(id);
const PALETTE = [
  [0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
  [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212],
  [0, 128, 128], [220, 190, 255], [170, 110, 40], [128, 0, 0], [170, 255, 195],
];
const colour = (c) => PALETTE[c % PALETTE.length];

const TYPED = {
  float32: (d) => Float32Array.from(d),
  float64: (d) => Float64Array.from(d),
  int64: (d) => BigInt64Array.from(d, (v) => BigInt(v)),
  int32: (d) => Int32Array.from(d),
  int8: (d) => Int8Array.from(d),
  uint8: (d) => Uint8Array.from(d),
  bool: (d) => Uint8Array.from(d, (v) => (v ? 1 : 0)),
};

/** The Tensor of one bundled input ({name, dtype, shape, data}); rt: window.ort or
 * litert_runtime.js (the same Tensor(type, data, dims)). */
export function toTensor(rt, input) {
  const make = TYPED[input.dtype];
  if (!make) throw new Error(`input ${input.name}: dtype ${input.dtype} is not supported here`);
  return new rt.Tensor(input.dtype, make(input.data), input.shape);
}

function feedsFor(session, tensors) {
  const feeds = {};
  tensors.forEach(({ name, tensor }, i) => {
    feeds[session.inputNames.includes(name) ? name : session.inputNames[i]] = tensor;
  });
  return feeds;
}

/** Every output in the desktop's order: {name, onnxName, shape, data (numbers)}. */
async function runAll(session, tensors, expected) {
  const out = await session.run(feedsFor(session, tensors));
  return session.outputNames.map((onnxName, i) => ({
    name: expected.outputs[i] ? expected.outputs[i].name : onnxName,
    onnxName,
    shape: Array.from(out[onnxName].dims),
    data: Float64Array.from(out[onnxName].data, Number),
  }));
}

export function compare(got, want) {
  let maxDiff = 0, dot = 0, na = 0, nb = 0, maxAbs = 0, lo = Infinity, hi = -Infinity;
  if (got.length !== want.length) return { maxDiff: Infinity, cosine: 0, maxAbs, span: 0 };
  for (let i = 0; i < got.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
    maxAbs = Math.max(maxAbs, Math.abs(want[i]));
    lo = Math.min(lo, want[i]); hi = Math.max(hi, want[i]);
    dot += got[i] * want[i]; na += got[i] * got[i]; nb += want[i] * want[i];
  }
  const cosine = na === 0 && nb === 0 ? 1 : dot / Math.sqrt(na * nb || 1e-300);
  return { maxDiff, cosine, maxAbs, span: got.length ? hi - lo : 0 };
}

function summary(data) {
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of data) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  return { min, max, mean: data.length ? sum / data.length : 0, first: Array.from(data.slice(0, 8)) };
}

/** Per-pixel argmax of [1, K, H, W] logits (the first best class on ties, as numpy). */
export function argmaxMask(data, shape) {
  const [, k, h, w] = shape;
  const mask = new Int32Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (data[c * h * w + p] > data[best * h * w + p]) best = c;
    mask[p] = best;
  }
  return mask;
}

function listItem(label, note, swatch, fraction = 1) {
  const item = document.createElement("li");
  const name = document.createElement("span");
  name.className = "label";
  name.textContent = label; // text, never HTML
  name.title = label;
  const bar = document.createElement("span");
  bar.className = "bar";
  if (swatch) {
    const fill = document.createElement("span");
    fill.style.width = `${Math.max(0, Math.min(1, fraction)) * 100}%`;
    fill.style.background = `rgb(${swatch.join(",")})`;
    bar.append(fill);
  }
  const pct = document.createElement("span");
  pct.className = "pct";
  pct.textContent = note;
  item.append(name, bar, pct);
  return item;
}

/** The image the sample's first input shows: sample.png when bundled, else the tensor. */
async function baseImage(config, input) {
  const shape = input.shape;
  const nhwc = shape.length === 4 && shape[3] <= 4 && shape[1] > 4;
  const [h, w, ch] = nhwc ? [shape[1], shape[2], shape[3]] : [shape[shape.length - 2], shape[shape.length - 1], shape.length === 4 ? shape[1] : 1];
  if (config.samplePng) {
    const response = await fetch(config.sample);
    if (response.ok) return { bitmap: await createImageBitmap(await response.blob()), w, h };
  }
  const image = new ImageData(w, h);
  const at = (c, p) => (nhwc ? p * ch + c : c * h * w + p);
  let lo = Infinity, hi = -Infinity;
  for (const v of input.data) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < 3; c++) image.data[p * 4 + c] = (input.data[at(Math.min(c, ch - 1), p)] - lo) * scale;
    image.data[p * 4 + 3] = 255;
  }
  return { bitmap: await createImageBitmap(image), w, h };
}

function canvasFor(w, h) {
  const canvas = $("preview");
  const s = Math.max(1, Math.floor(336 / Math.max(w, h)));
  canvas.width = w * s;
  canvas.height = h * s;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  return { canvas, ctx, s };
}

async function showSegmentation(config, labels, input, mask, mh, mw) {
  const { bitmap, w, h } = await baseImage(config, input);
  const { ctx, canvas } = canvasFor(w, h);
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const overlay = new ImageData(mw, mh);
  const counts = new Map();
  mask.forEach((c, p) => {
    counts.set(c, (counts.get(c) || 0) + 1);
    const [r, g, b] = colour(c);
    overlay.data.set([r, g, b, c === 0 ? 0 : 130], p * 4);
  });
  const layer = await createImageBitmap(overlay);
  ctx.drawImage(layer, 0, 0, canvas.width, canvas.height);
  $("top3").replaceChildren(...[...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([c, n]) => listItem(labels[c] ?? String(c), `${((100 * n) / mask.length).toFixed(1)}%`, colour(c), n / mask.length)));
  return [...counts.keys()].sort((a, b) => a - b);
}

async function showDetections(config, labels, input, dets) {
  const { bitmap, w, h } = await baseImage(config, input);
  const { ctx, canvas, s } = canvasFor(w, h);
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  ctx.lineWidth = 2;
  ctx.font = "12px sans-serif";
  for (const d of dets) {
    const [r, g, b] = colour(d.label + 1);
    ctx.strokeStyle = ctx.fillStyle = `rgb(${r},${g},${b})`;
    const [x0, y0, x1, y1] = d.box.map((v) => v * s);
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.fillText(`${labels[d.label] ?? d.label} ${(d.score * 100).toFixed(0)}%`, x0 + 2, Math.max(12, y0 - 2));
  }
  $("top3").replaceChildren(...dets.slice(0, 10).map((d) =>
    listItem(labels[d.label] ?? String(d.label), `${(d.score * 100).toFixed(1)}%`, colour(d.label + 1), d.score)));
}

/** Every output's range; a classifier's top-3 classes of its task output first. */
function showOutputs(outputs, config, labels, taskOutput) {
  $("preview").closest("figure").hidden = true;
  const rows = [];
  const logits = outputs[taskOutput];
  if (config.task === "classification" && logits) {
    const top = topK(softmax(Array.from(logits.data, Number)), 3);
    document.querySelector(".predictions h2").textContent = "Top classes, then every output";
    for (const { index, prob } of top) {
      rows.push(listItem(labels[index] ?? String(index), `${(prob * 100).toFixed(1)}%`, colour(index + 1), prob));
    }
  }
  rows.push(...outputs.map((o) => listItem(
    `${o.name} [${o.shape.join("×")}]`,
    `${o.summary.min.toPrecision(3)}…${o.summary.max.toPrecision(3)}`)));
  $("top3").replaceChildren(...rows);
  return rows.length;
}

/** The task page: run the sample, show the task's view, self-test, latency. */
export async function runTaskPage({ config, state, setStatus, createSession, fetchJson }) {
  for (const id of ["pick", "camera"]) $(id).closest("label").hidden = true; // tensors, not photos
  const heading = document.querySelector(".predictions h2");
  heading.textContent = { segmentation: "Classes in the mask", detection: "Detections" }[config.kind] || "Outputs";
  const [labels, expected, sample] = await Promise.all([
    fetchJson(config.labels), fetchJson(config.expected), fetchJson(config.sampleInputs)]);
  Object.assign(state, { labels, expected });
  state.session = await createSession();
  const run = async () => {
    setStatus("Running the bundled sample…");
    const tensors = sample.inputs.map((input) => ({ name: input.name, tensor: toTensor(state.rt, input) }));
    const outputs = await runAll(state.session, tensors, expected);
    const tolerance = typeof config.tolerance === "object" ? config.tolerance.abs : config.tolerance;
    // int8 / float16 variants: rel x each output's range (fp32: tolerance x max(1, |output|))
    const rel = config.tolerance?.kind === "top1+relative" ? config.tolerance.rel : 0;
    // the least agreement derived from the variant (expected.json), else the template's
    const minAgreement = expected.agreement?.min ?? config.minAgreement;
    const perOutput = outputs.map((o, i) => {
      const want = expected.outputs[i];
      o.summary = summary(o.data);
      if (want && want.omitted) {  // too large to ship: the mask or boxes are compared
        return { name: o.name, onnx_name: o.onnxName, shape: o.shape, ...o.summary,
          max_diff: null, cosine: null, within: true, omitted: want.omitted };
      }
      const c = want ? compare(o.data, want.data) : { maxDiff: Infinity, cosine: 0, maxAbs: 0, span: 0 };
      const bound = rel > 0 && c.span > 0 ? rel * c.span : tolerance * Math.max(1, c.maxAbs);
      return { name: o.name, onnx_name: o.onnxName, shape: o.shape, ...o.summary,
        max_diff: c.maxDiff, cosine: c.cosine, within: c.maxDiff <= bound };
    });
    const result = { task: expected.task, kind: config.kind, outputs: perOutput,
      max_diff: Math.max(0, ...perOutput.map((o) => o.max_diff ?? 0)) };
    let passed;
    if (config.kind === "segmentation") {
      const o = outputs[expected.task_output];
      const mask = argmaxMask(o.data, o.shape);
      const want = expected.mask.data;
      let same = 0;
      mask.forEach((c, p) => { if (c === want[p]) same += 1; });
      result.agreement = want.length === mask.length ? same / mask.length : 0;
      result.mask_classes = await showSegmentation(config, labels, sample.inputs[0], mask, o.shape[2], o.shape[3]);
      passed = result.agreement >= minAgreement;
    } else if (config.kind === "detection") {
      const dets = detect(outputs, expected.output_names);
      result.detections = dets;
      result.agreement = matchedBoxAgreement(dets, expected.detections);
      await showDetections(config, labels, sample.inputs[0], dets);
      passed = result.agreement >= minAgreement;
    } else {
      result.rows_shown = showOutputs(outputs, config, labels, expected.task_output ?? 0);
      passed = perOutput.length === expected.outputs.length &&
        perOutput.every((o) => o.within && o.cosine >= 0.999);
    }
    setStatus(`Measuring latency over ${config.benchmarkRuns} runs…`);
    const times = [];
    for (let i = 0; i < config.benchmarkRuns + 2; i++) {
      const t0 = performance.now();
      await state.session.run(feedsFor(state.session, tensors));
      if (i >= 2) times.push(performance.now() - t0);
    }
    result.latency_ms = median(times);
    if (state.session.accelerator) { // LiteRT.js: wasm or webgpu, and why
      Object.assign(result, { accelerator: state.session.accelerator, accelerator_note: state.session.note });
    }
    result.selftest = passed ? "passed" : "failed";
    $("latency").textContent = `${result.latency_ms.toFixed(2)} ms`;
    $("latency-note").textContent = `median of ${config.benchmarkRuns} runs, 1 thread`;
    const badge = $("selftest");
    badge.textContent = result.selftest;
    badge.className = `badge ${passed ? "pass" : "fail"}`;
    $("selftest-note").textContent = "agreement" in result
      ? `${config.kind === "segmentation" ? "pixel" : "matched-box"} agreement ${(result.agreement * 100).toFixed(2)}% (needs ${(minAgreement * 100).toFixed(0)}%)${expected.agreement?.reason ? ": " + expected.agreement.reason : ""}`
      : `max diff ${result.max_diff.toExponential(2)} (tolerance ${rel > 0 ? `${Number(rel).toPrecision(2)} × each output's range` : `${Number(tolerance).toPrecision(3)} × max(1, |output|)`})${config.tolerance?.reason ? ": " + config.tolerance.reason : ""}`;
    $("result").textContent = JSON.stringify(result);
    setStatus(`Ran the sample: self-test ${result.selftest}`, passed ? "ok" : "error");
  };
  $("run-sample").addEventListener("click", () => run().catch((e) => setStatus(`Error: ${e.message}`, "error")));
  await run();
}
