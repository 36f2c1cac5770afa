// LiteRT.js (npm @litertjs/core, copied into litert/) behind the small part of
// onnxruntime-web's API the page uses, so app.js, tasks.js and audio_page.js run a .tflite
// unchanged:
//   new Tensor(type, data, dims)            a plain {type, data, dims} (made a LiteRT tensor per run)
//   await createSession(config)             {inputNames, outputNames, run(feeds), accelerator}
//   await session.run({name: Tensor, ...})  {outputName: {type, data, dims}, ...}
// The model's serving_default signature names its inputs args_0, args_1... and its outputs
// output_0, output_1... in the PyTorch model's order (litert-torch): the names are listed in
// that order (args_10 after args_9). LiteRT.js 2.5.3 tensors are float32, int32 or uint8: int64
// token ids (a BigInt64Array) are fed to the model's int32 input as int32. It has no int8
// tensors and does not expose a tensor's scale / zero point, so full-integer (int8-static)
// models are refused before the page is generated (core/app_routes.py).
//
// Accelerator: WebAssembly (XNNPACK, one thread: no cross-origin isolation needed) by default;
// open the page with ?accelerator=webgpu to compile for WebGPU, which falls back to WebAssembly
// when the browser has no WebGPU device or the compilation fails. The page shows which one ran.

export class Tensor {
  constructor(type, data, dims) {
    this.type = type;
    this.data = data;
    this.dims = Array.from(dims, Number);
  }
}

const TYPED = { float32: Float32Array, int32: Int32Array, uint8: Uint8Array };

/** ``data`` as the typed array of the model input's dtype (int64 ids -> int32). */
function asDtype(data, dtype, name) {
  const Typed = TYPED[dtype];
  if (!Typed) throw new Error(`input ${name}: LiteRT.js has no ${dtype} tensors`);
  if (data instanceof Typed) return data;
  return Typed.from(data, Number);
}

/** Signature names in the model's order: the number at the end, then the name. */
function modelOrder(names) {
  const key = (n) => { const m = /(\d+)$/.exec(n); return m ? Number(m[1]) : -1; };
  return [...names].sort((a, b) => key(a) - key(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The page's Accelerator box: "wasm" / "webgpu" and, under it, the threads or why not WebGPU. */
function showAccelerator(accelerator, note) {
  const value = document.getElementById("accelerator");
  const detail = document.getElementById("accelerator-note");
  if (value) value.textContent = accelerator;
  if (detail && note !== accelerator) detail.textContent = note.slice(accelerator.length + 2);
}

async function loadLibrary(config) {
  try {
    return await import(`./${config.litertDir}core/dist/index.js`);
  } catch (error) {
    throw new Error(
      `LiteRT.js is missing: copy ${config.litertDir}core/dist/index.js, ` +
      `wasm-utils/dist/index.js and core/wasm/ from the npm package @litertjs/core@${config.litertVersion} ` +
      `(see README.md) (${error.message})`);
  }
}

/** Compile the model on the wanted accelerator; WebGPU falls back to WebAssembly. */
async function compile(litert, config) {
  const wanted = new URLSearchParams(window.location.search).get("accelerator");
  const cpu = { accelerator: "wasm", cpuOptions: { numThreads: 1 } };
  if (wanted === "webgpu") {
    let why = "this browser has no WebGPU device";
    if (litert.isWebGPUSupported() && litert.getWebGpuDevice()) {
      try {
        const model = await litert.loadAndCompile(config.model, { accelerator: "webgpu" });
        return { model, accelerator: "webgpu", note: "webgpu" };
      } catch (error) {
        why = `WebGPU compilation failed: ${error.message}`;
      }
    }
    const model = await litert.loadAndCompile(config.model, cpu);
    return { model, accelerator: "wasm", note: `wasm, 1 thread (asked for webgpu: ${why})` };
  }
  const model = await litert.loadAndCompile(config.model, cpu);
  return { model, accelerator: "wasm", note: "wasm, 1 thread" };
}

/** LiteRT's native log lines ("INFO: [environment.cc:36] ...") reach Emscripten's printErr,
 * which would make every one a console error: keep the level the line says. The Emscripten
 * Module object on window is what @litertjs/wasm-utils hands to the WebAssembly loader. */
function routeNativeLog() {
  window.Module = {
    printErr(line) {
      const level = /^(INFO|VERBOSE|DEBUG)\b/.test(line) ? "info" : /^WARN/.test(line) ? "warn" : "error";
      console[level](line);
    },
  };
}

export async function createSession(config) {
  const litert = await loadLibrary(config);
  routeNativeLog();
  await litert.loadLiteRt(new URL(`${config.litertDir}core/wasm/`, window.location.href).href);
  const { model, accelerator, note } = await compile(litert, config);
  showAccelerator(accelerator, note);
  const inputs = model.getInputDetails();
  const byName = new Map(inputs.map((d) => [d.name, d]));
  const inputNames = modelOrder(inputs.map((d) => d.name));
  const outputNames = modelOrder(model.getOutputDetails().map((d) => d.name));

  async function run(feeds) {
    const made = {};
    let out = null;
    try {
      for (const name of inputNames) {
        const fed = feeds[name];
        if (!fed) throw new Error(`input ${name} was not fed`);
        const data = asDtype(fed.data, byName.get(name).dtype, name);
        made[name] = new litert.Tensor(data, fed.dims);
      }
      out = await model.run(made);
      const result = {};
      for (const name of outputNames) {
        const tensor = out[name];
        const data = await tensor.data();
        result[name] = { type: tensor.type.dtype, data: data.slice(), dims: Array.from(tensor.type.layout.dimensions) };
      }
      return result;
    } finally { // LiteRT.js tensors live in WebAssembly memory until deleted
      for (const tensor of Object.values(made)) tensor.delete();
      for (const tensor of Object.values(out || {})) tensor.delete();
    }
  }

  return { inputNames, outputNames, run, accelerator, note };
}
