// The audio classifier page: a WAV file (Choose audio), a recording (Record: getUserMedia +
// MediaRecorder, decoded with decodeAudioData) or, on load, the bundled sample
// (assets/sample.wav, the desktop's first held-out recording at the model's rate and length)
// becomes the model's input through audio.js (core/data/audio.py's steps, constants in the
// generated audio_spec.js), then runs with the page's runtime: top-3 and, for the sample, the
// self-test against the desktop's logits (assets/expected.json).
import { AUDIO } from "./audio_spec.js";
import { audioFeatures, readWav } from "./audio.js";
import { median, selfTest, selfTestNote, softmax, toleranceFor, topK } from "./selftest.js";

const $ = (id) => document.getElementById(id);

/** {channels, rate}: WAV files parsed as the desktop reads them; other formats (a recording)
 * decoded by the browser at the model's rate (its resampler, not linear interpolation). */
export async function decodeAudio(blob) {
  const bytes = await blob.arrayBuffer();
  try {
    return readWav(bytes);
  } catch (wavError) {
    const context = new OfflineAudioContext(1, 1, AUDIO.sampleRate);
    let buffer;
    try {
      buffer = await context.decodeAudioData(bytes.slice(0));
    } catch {
      throw new Error(`cannot decode this audio (${wavError.message})`);
    }
    const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => Float32Array.from(buffer.getChannelData(c)));
    return { channels, rate: buffer.sampleRate };
  }
}

function drawFeatures(features, clip) {
  const canvas = $("preview");
  const ctx = canvas.getContext("2d");
  if (AUDIO.logMel) { // the log-mel image: low mels at the bottom
    const rows = AUDIO.logMel.nMels, cols = features.length / rows / (AUDIO.mono ? 1 : clip.length);
    const image = new ImageData(cols, rows);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < rows * cols; i++) { lo = Math.min(lo, features[i]); hi = Math.max(hi, features[i]); }
    const scale = hi > lo ? 255 / (hi - lo) : 0;
    for (let m = 0; m < rows; m++) {
      for (let t = 0; t < cols; t++) {
        const v = (features[m * cols + t] - lo) * scale;
        image.data.set([v, v * 0.6, 255 - v, 255], ((rows - 1 - m) * cols + t) * 4);
      }
    }
    canvas.width = cols;
    canvas.height = rows;
    ctx.putImageData(image, 0, 0);
    canvas.style.imageRendering = "pixelated";
  } else { // the waveform
    canvas.width = 336;
    canvas.height = 168;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#2563eb";
    ctx.beginPath();
    const x = clip[0];
    for (let px = 0; px < canvas.width; px++) {
      const v = x[Math.floor((px * x.length) / canvas.width)] || 0;
      ctx.lineTo(px, canvas.height / 2 - v * (canvas.height / 2));
    }
    ctx.stroke();
  }
}

function showTop3(labels, probs) {
  $("top3").replaceChildren(...topK(probs, 3).map(({ index, prob }) => {
    const item = document.createElement("li");
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = labels[index] ?? String(index); // text, never HTML
    name.title = name.textContent;
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(prob * 100).toFixed(1)}%`;
    bar.append(fill);
    const pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = `${(prob * 100).toFixed(1)}%`;
    item.append(name, bar, pct);
    return item;
  }));
}

function maxAbsDiff(a, b) {
  if (!b || a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The audio page: the bundled sample on load (self-test), then files and recordings. */
export async function runAudioPage({ config, state, setStatus, createSession, fetchJson, guard }) {
  document.querySelector(".predictions h2").textContent = "Top 3";
  const pick = $("pick");
  pick.accept = "audio/*,.wav";
  pick.previousSibling.textContent = "Choose audio";
  const cameraLabel = $("camera").closest("label");
  const record = document.createElement("button");
  record.type = "button";
  record.className = "button";
  record.id = "record";
  record.textContent = "Record";
  cameraLabel.replaceWith(record);
  $("source").textContent = "bundled sample (sample.wav)";

  const [labels, expected, sample] = await Promise.all([
    fetchJson(config.labels), fetchJson(config.expected), fetchJson(config.sampleInputs)]);
  Object.assign(state, { labels, expected });
  state.session = await createSession();
  const rt = state.rt; // window.ort or litert_runtime.js
  const at = expected.task_output || 0;

  async function infer(features) {
    const tensor = new rt.Tensor("float32", features, config.inputShape);
    const out = await state.session.run({ [state.session.inputNames[0]]: tensor });
    return Float32Array.from(out[state.session.outputNames[at]].data, Number);
  }

  async function classify(blob, sourceName, isSample) {
    setStatus(`Listening to ${sourceName}…`);
    const decoded = await decodeAudio(blob);
    const { features, clip } = audioFeatures(decoded, AUDIO);
    const size = config.inputShape.reduce((a, b) => a * b, 1);
    if (features.length !== size) {
      throw new Error(`the features hold ${features.length} values, the model takes [${config.inputShape}]` +
        " (a recording with another channel count than the model's?)");
    }
    $("source").textContent = sourceName;
    drawFeatures(features, clip);
    const logits = await infer(features);
    const probs = softmax(Array.from(logits));
    showTop3(labels, probs);
    setStatus(`Measuring latency over ${config.benchmarkRuns} runs…`);
    const times = [];
    for (let i = 0; i < config.benchmarkRuns + 2; i++) {
      const t0 = performance.now();
      await infer(features);
      if (i >= 2) times.push(performance.now() - t0);
    }
    const latency = median(times);
    $("latency").textContent = `${latency.toFixed(2)} ms`;
    $("latency-note").textContent = `median of ${config.benchmarkRuns} runs, 1 thread`;
    const top1 = topK(probs, 1)[0];
    const result = { kind: "audio", source: sourceName, rate: decoded.rate,
      channels: decoded.channels.length, top1: labels[top1.index], top1_index: top1.index,
      probs, logits: Array.from(logits), latency_ms: latency };
    if (isSample) {
      const tolerance = toleranceFor(expected, config);
      const test = selfTest(logits, expected, tolerance);
      const badge = $("selftest");
      badge.textContent = test.passed ? "passed" : "failed";
      badge.className = `badge ${test.passed ? "pass" : "fail"}`;
      $("selftest-note").textContent = selfTestNote(test, tolerance);
      // the desktop's features of the same recording (the model input it ran)
      const want = sample.inputs[0].data;
      const featuresDiff = maxAbsDiff(features, want);
      let scale = 0;
      for (const v of want) scale = Math.max(scale, Math.abs(v));
      Object.assign(result, { selftest: test.passed ? "passed" : "failed", max_diff: test.maxDiff,
        tolerance: { kind: test.kind, bound: test.bound, reason: tolerance.reason },
        selftest_note: $("selftest-note").textContent,
        features_max_diff: featuresDiff, features_max_abs: scale });
    }
    $("result").textContent = JSON.stringify(result);
    setStatus(`Prediction: ${labels[top1.index] ?? top1.index} (${(top1.prob * 100).toFixed(1)}%)`, "ok");
  }

  const runSample = async () => {
    const response = await fetch(config.audioSample);
    if (!response.ok) throw new Error(`${config.audioSample}: HTTP ${response.status}`);
    await classify(await response.blob(), "bundled sample (sample.wav)", true);
  };

  pick.addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) guard(() => classify(file, file.name, false));
  });
  $("run-sample").addEventListener("click", () => guard(runSample));

  let recorder = null;
  record.addEventListener("click", () => guard(async () => {
    if (recorder) { recorder.stop(); return; }
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      throw new Error("this browser cannot record audio (needs getUserMedia and MediaRecorder over https or localhost)");
    }
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    const chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (e) => chunks.push(e.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      recorder = null;
      record.textContent = "Record";
      guard(() => classify(new Blob(chunks, { type: chunks[0]?.type }), "recording", false));
    };
    recorder.start();
    record.textContent = "Stop";
    const seconds = AUDIO.length / AUDIO.sampleRate;
    setStatus(`Recording ${seconds.toFixed(2)} s…`);
    setTimeout(() => recorder?.stop(), seconds * 1000 + 250);
  }));

  await runSample();
}
