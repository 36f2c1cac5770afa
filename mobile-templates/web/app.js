// {{ app_name | js }} — runs the model in the browser with {{ "LiteRT.js (litert_runtime.js)" if runtime == "litert-web" else "onnxruntime-web (WebAssembly)" }}.
// On load it classifies the bundled sample, compares the logits with the desktop's
// expected.json (the self-test) and writes the result as JSON into #result.
import { pixelsAtModelSize, toInputData } from "./preprocess.js";
import { median, selfTest, selfTestNote, softmax, toleranceFor, topK } from "./selftest.js";

const config = window.APP_CONFIG;
const $ = (id) => document.getElementById(id);
// rt: the runtime's Tensor (onnxruntime-web's window.ort, or litert_runtime.js)
const state = { session: null, rt: null, labels: [], expected: null };
window.deployStudio = state; // for tests and the browser console

function setStatus(text, kind = "info") {
  const el = $("status");
  el.textContent = text;
  el.className = `status ${kind}`;
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

async function loadImage(blob) {
  // No colour-space conversion: the pixels are the file's pixels, as Pillow reads them.
  return createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
}

async function createSession() {
  if (config.runtime === "litert-web") { // the same session interface over LiteRT.js
    state.rt = await import("./litert_runtime.js");
    return state.rt.createSession(config);
  }
  if (typeof window.ort === "undefined") {
    throw new Error(
      `onnxruntime-web is missing: copy ${config.ortDir}ort.wasm.min.js and its .mjs/.wasm ` +
      `files from the npm package onnxruntime-web@${config.ortVersion} (see README.md)`);
  }
  const ort = window.ort;
  state.rt = ort;
  ort.env.wasm.wasmPaths = new URL(config.ortDir, window.location.href).href;
  ort.env.wasm.numThreads = 1; // no cross-origin isolation needed
  const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" };
  if (config.externalData.length) {
    options.externalData = config.externalData.map((name) => ({ path: name, data: `model/${name}` }));
  }
  return ort.InferenceSession.create(config.model, options);
}

async function infer(input) {
  const tensor = new state.rt.Tensor("float32", input, config.inputShape);
  const feeds = { [state.session.inputNames[0]]: tensor };
  const outputs = await state.session.run(feeds);
  return Float32Array.from(outputs[state.session.outputNames[0]].data);
}

async function benchmark(input, runs) {
  for (let i = 0; i < Math.min(3, runs); i++) await infer(input); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await infer(input);
    times.push(performance.now() - t0);
  }
  return median(times);
}

function showPreview(imageData) {
  const canvas = $("preview");
  canvas.getContext("2d").putImageData(imageData, 0, 0);
}

function showTop3(probs) {
  const list = $("top3");
  list.replaceChildren();
  for (const { index, prob } of topK(probs, 3)) {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = state.labels[index]; // text, never HTML
    name.title = state.labels[index];
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(prob * 100).toFixed(1)}%`;
    bar.append(fill);
    const pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = `${(prob * 100).toFixed(1)}%`;
    item.append(name, bar, pct);
    list.append(item);
  }
}

async function classify(blob, sourceName, isSample) {
  setStatus(`Classifying ${sourceName}…`);
  const bitmap = await loadImage(blob);
  const pixels = pixelsAtModelSize(bitmap, bitmap.width, bitmap.height);
  showPreview(pixels);
  $("source").textContent = sourceName;
  const input = toInputData(pixels);
  const logits = await infer(input);
  const probs = softmax(Array.from(logits));
  showTop3(probs);
  setStatus(`Measuring latency over ${config.benchmarkRuns} runs…`);
  const latency = await benchmark(input, config.benchmarkRuns);
  $("latency").textContent = `${latency.toFixed(2)} ms`;
  $("latency-note").textContent = `median of ${config.benchmarkRuns} runs, 1 thread`;
  const top1 = topK(probs, 1)[0];
  if (isSample) {
    const tolerance = toleranceFor(state.expected, config);
    const test = selfTest(logits, state.expected, tolerance);
    const badge = $("selftest");
    badge.textContent = test.passed ? "passed" : "failed";
    badge.className = `badge ${test.passed ? "pass" : "fail"}`;
    $("selftest-note").textContent = selfTestNote(test, tolerance);
    $("result").textContent = JSON.stringify({
      top1: state.labels[top1.index],
      top1_index: top1.index,
      probs,
      logits: Array.from(logits),
      selftest: test.passed ? "passed" : "failed",
      max_diff: test.maxDiff,
      tolerance: { kind: test.kind, bound: test.bound, reason: tolerance.reason },
      selftest_note: $("selftest-note").textContent,
      latency_ms: latency,
      ...(state.session.accelerator // LiteRT.js: wasm or webgpu, and why
        ? { accelerator: state.session.accelerator, accelerator_note: state.session.note } : {}),
    });
  }
  setStatus(`Prediction: ${state.labels[top1.index]} (${(top1.prob * 100).toFixed(1)}%)`, "ok");
}

async function showSamplePreview() {
  const response = await fetch(config.sample);
  if (!response.ok) return;
  const bitmap = await loadImage(await response.blob());
  showPreview(pixelsAtModelSize(bitmap, bitmap.width, bitmap.height));
}

async function runSample() {
  const response = await fetch(config.sample);
  if (!response.ok) throw new Error(`${config.sample}: HTTP ${response.status}`);
  await classify(await response.blob(), "bundled sample", true);
}

function guard(task) {
  return task().catch((error) => {
    console.error(error);
    setStatus(`Error: ${error.message}`, "error");
    const result = $("result");
    if (!result.textContent) result.textContent = JSON.stringify({ error: String(error.message) });
  });
}

function onFileChosen(event) {
  const file = event.target.files[0];
  event.target.value = "";
  if (file) guard(() => classify(file, file.name, false));
}

async function main() {
  document.title = config.appName;
  $("app-name").textContent = config.appName;
  if (config.audio) { // an audio model: WAV files, recordings (audio_page.js)
    const { runAudioPage } = await import("./audio_page.js");
    return runAudioPage({ config, state, setStatus, createSession, fetchJson, guard });
  }
  if (config.kind !== "classification") { // another task or input: the sample's tensors
    const { runTaskPage } = await import("./tasks.js");
    return runTaskPage({ config, state, setStatus, createSession, fetchJson });
  }
  $("pick").addEventListener("change", onFileChosen);
  $("camera").addEventListener("change", onFileChosen);
  $("run-sample").addEventListener("click", () => guard(runSample));
  [state.labels, state.expected] = await Promise.all([
    fetchJson(config.labels), fetchJson(config.expected)]);
  await showSamplePreview();
  state.session = await createSession();
  await runSample();
}

guard(main);
