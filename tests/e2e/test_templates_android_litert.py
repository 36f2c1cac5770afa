"""Android apps on LiteRT (``runtime = "litert"``, ``.tflite`` variants).

Real recipes run through ``core.engine.run_recipe`` (``core.apps.export_apps``) with the hostile
app name: the digits demo recipe's ``fp32-tflite`` variant on the GPU accelerator
(``[export] litert_accelerator = "gpu"``) and an ``int8-static`` tflite variant on the CPU, and
TokenConv (int64 ids, which the converter makes int32, and a bool mask) as an app fed its
sample's tensors. aapt compiles each project's resources; one kotlinc run type-checks the
generated Kotlin against the stubs of LiteRT 2.3.0's Kotlin API (``stubs/java/com/google/ai/
edge/litert``); then ``LiteRtTensors.kt``'s int8 quantization and dequantization run on the JVM
with the int8 model's real scales and give the desktop runner's values
(``core/runtimes/litert_rt.py`` quantize / dequantize) bit for bit on the bundled sample, and the
generated self-test decides on those outputs as Python does. No APK is built and LiteRT itself
does not run here (its Android library needs a device).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from tests.e2e import templates_support as ts
from tests.e2e.test_templates_android import (
    KOTLIN_STDLIB,
    KOTLINC,
    STUBS,
    _aapt,
    _package,
    assert_stubs_reject,
)

SMALL = {"source": "builtin:digits", "calibration_samples": 32, "eval_samples": 16}
FAST = {"warmup": 1, "runs": 2}
TOKENS = {"name": "tokens", "shape": [1, 6], "dtype": "int64"}
MASK = {"name": "mask", "shape": [1, 6], "dtype": "bool"}
INT8 = {"name": "int8-tflite", "format": "tflite", "convert": "export"}
INT8["steps"] = [{"kind": "quantize", "mode": "int8-static"}]

HARNESS = """\
package {harness}

import {package}.*
import java.io.File

fun floats(line: String): FloatArray {{
    val parts = line.trim().split(' ').filter {{ it.isNotEmpty() }}
    return FloatArray(parts.size) {{ java.lang.Float.intBitsToFloat(parts[it].toLong().toInt()) }}
}}

fun bytes(line: String): ByteArray {{
    val parts = line.trim().split(' ').filter {{ it.isNotEmpty() }}
    return ByteArray(parts.size) {{ parts[it].toInt().toByte() }}
}}

// args: input file (line 1: the sample's float input bits; line 2: the raw int8 output the
// desktop's interpreter gave), output file. Writes: the quantized input, the dequantized
// output's bits, the self-test verdict on it and on a perturbed copy.
fun main(args: Array<String>) {{
    val lines = File(args[0]).readLines(Charsets.UTF_8)
    val input = LiteRtIo.INPUTS[0]
    val output = LiteRtIo.OUTPUTS[0]
    val q = LiteRtQuant.quantize(floats(lines[0]), input.scale, input.zeroPoint)
    val logits = LiteRtQuant.int8Output(bytes(lines[1]), output)
    val expected = Expected(lines[2].trim().toInt(), floats(lines[3]), null)
    val tolerance = SelfTest.toleranceFor(expected)
    val same = SelfTest.compare(logits, expected, tolerance)
    val worse = logits.copyOf().also {{ it[expected.top1Index] -= 1000f }}
    val off = SelfTest.compare(worse, expected, tolerance)
    val out = StringBuilder()
    out.append(q.joinToString(" ")).append('\\n')
    out.append(logits.joinToString(" ") {{ java.lang.Float.floatToRawIntBits(it).toString() }}).append('\\n')
    out.append(same.passed).append(' ').append(off.passed).append(' ').append(tolerance.kind).append('\\n')
    // quantize: ties to even, clamped to int8 (scale 0.5, zero point 3)
    out.append(LiteRtQuant.quantize(floatArrayOf(0.25f, 0.75f, -0.25f, 1000f, -1000f), 0.5f, 3).joinToString(" "))
    out.append('\\n')
    File(args[1]).writeText(out.toString(), Charsets.UTF_8)
}}
"""


def _demo_recipe(accelerator: str, ship: str):
    """resources/recipes/demo.toml with its fp32-tflite variant and an int8-static one, small
    data, the hostile app name, an Android LiteRT app shipping ``ship``."""
    from deploy_studio.core.fsutil import resources_dir
    from deploy_studio.core.recipe import load_recipe
    from tests.support.recipes import recipe

    demo = load_recipe(resources_dir() / "recipes" / "demo.toml").to_dict()
    tflite = [v for v in demo["variant"] if v["name"] == "fp32-tflite"]
    assert tflite, "the demo recipe lost its fp32-tflite variant"
    return recipe(
        demo["model"],
        [*tflite, INT8],
        name=f"demo-{accelerator}",
        data=SMALL,
        benchmark=FAST,
        export={
            "templates": [{"platform": "android", "runtime": "litert", "variant": ship}],
            "app_name": f"{ts.HOSTILE_APP_NAME} {accelerator}",  # one package per app
            "litert_accelerator": accelerator,
        },
    )


def _cases(root: Path) -> dict:
    from tests.support.audio import AUDIO, TINY_AUDIO, tone_folder
    from tests.support.models import MODELS_PY
    from tests.support.recipes import recipe, variant

    tone_folder(root, 8, ("high", "low"))
    audio = recipe(
        TINY_AUDIO,
        [variant("a", "tflite")],
        name="audio",
        data={
            "source": f"audiofolder:{root / 'wavs'}",
            "calibration_samples": 8,
            "eval_samples": 8,
        },
        benchmark=FAST,
        preprocess={"audio": AUDIO},
        export={
            "templates": [{"platform": "android", "runtime": "litert"}],
            "app_name": f"{ts.HOSTILE_APP_NAME} audio",
        },
    )

    tokens = recipe(
        {"source": f"{MODELS_PY}:TokenConv", "inputs": [TOKENS, MASK]},
        [variant("t", "tflite")],
        name="tokens",
        data={"source": "random", "calibration_samples": 8, "eval_samples": 8},
        benchmark=FAST,
        export={
            "templates": [{"platform": "android", "runtime": "litert"}],
            "app_name": f"{ts.HOSTILE_APP_NAME} tokens",
        },
    )
    return {
        "int8-cpu": _demo_recipe("cpu", "int8-tflite"),
        "fp32-gpu": _demo_recipe("gpu", "fp32-tflite"),
        "tokens": tokens,
        "audio": audio,  # the audio screen runs Classifier.run as the image app does
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    from deploy_studio.core.engine import run_recipe

    root = tmp_path_factory.mktemp("android-litert")
    cases = _cases(root)
    return {key: (root / key, run_recipe(r, root / key, isolate=False)) for key, r in cases.items()}


def _project(runs, key: str) -> Path:
    root, report = runs[key]
    app = report["templates"][0]
    assert not app.get("error") and app["path"], app
    return root / app["path"]


def _assets(project: Path) -> Path:
    return project / "app/src/main/assets"


def _kotlin(project: Path, name: str) -> str:
    return next((project / "app/src/main/java").rglob(name)).read_text("utf-8")


@pytest.fixture(scope="module")
def compiled(runs, tmp_path_factory):
    """aapt for every project, then ONE kotlinc run over their Kotlin + R + harness + stubs."""
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    ts.require_tool("java", "java (Debian package default-jre-headless)")
    work = tmp_path_factory.mktemp("android-litert-build")
    sources, aapt = [], {}
    for key in runs:
        project = _project(runs, key)
        name = key.replace("-", "_")
        proc, gen, apk = _aapt(project, work / name)
        aapt[key] = (proc, apk)
        sources += sorted(project.rglob("*.kt")) + sorted(gen.rglob("R.java"))
        if key == "int8-cpu":
            harness = work / name / "Harness.kt"
            harness.write_text(
                HARNESS.format(package=_package(project), harness=f"harness.{name}"), "utf-8"
            )
            sources.append(harness)
    classes = work / "classes"
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    proc = ts.run(
        [KOTLINC, "-d", classes, "-jvm-target", "11", "-no-reflect", *sources, *stubs],
        timeout=900,
        env=env,
    )
    return {"kotlinc": proc, "classes": classes, "aapt": aapt, "work": work}


@pytest.mark.slow
@pytest.mark.parametrize("key", ["int8-cpu", "fp32-gpu", "tokens", "audio"])
def test_litert_projects_pin_litert_and_say_which_accelerator(runs, key):
    import tomllib

    project = _project(runs, key)
    gpu = key == "fp32-gpu"
    versions = tomllib.loads((project / "gradle/libs.versions.toml").read_text("utf-8"))
    assert versions["versions"]["litert"] == "2.3.0"
    libraries = {(v["group"], v["name"]) for v in versions["libraries"].values()}
    assert ("com.google.ai.edge.litert", "litert") in libraries
    assert (("com.google.ai.edge.litert", "litert-gpu") in libraries) == gpu
    gradle = (project / "app/build.gradle.kts").read_text("utf-8")
    assert ("implementation(libs.litert.gpu)" in gradle) == gpu
    assert '"tflite"' in gradle  # kept uncompressed like the other models
    assert (_assets(project) / "model.tflite").is_file()
    tensors = _kotlin(project, "LiteRtTensors.kt")
    assert f'const val ACCELERATOR: String = "{"gpu" if gpu else "cpu"}"' in tensors
    assert 'const val SIGNATURE: String = "serving_default"' in tensors
    readme = (project / "README.md").read_text("utf-8")
    assert f"**Accelerator: {'gpu' if gpu else 'cpu'}**" in readme
    assert "CompiledModel" in readme and "Not run either: LiteRT itself" in readme
    assert "No APK was built" in readme.replace("no APK was built", "No APK was built")
    # the runtime line shows the accelerator (MainActivity sets it from the classifier)
    screen = "AudioScreen.kt" if key == "audio" else "MainActivity.kt"
    assert "classifier?.runtimeText()" in _kotlin(project, screen)
    # other runtimes' projects do not get LiteRtTensors.kt (manifest exclude)
    assert len(list(project.rglob("LiteRtTensors.kt"))) == 1


@pytest.mark.slow
def test_litert_int8_app_ships_the_models_scales_and_tensor_app_the_int32_ids(runs):
    from deploy_studio.core.templates.litert_app import litert_io

    project = _project(runs, "int8-cpu")
    io = litert_io(_assets(project) / "model.tflite")
    assert io["inputs"][0]["dtype"] == "int8" and io["inputs"][0]["quantized"]
    assert io["outputs"][0]["dtype"] == "int8" and io["outputs"][0]["quantized"]
    tensors = _kotlin(project, "LiteRtTensors.kt")
    for t in io["inputs"] + io["outputs"]:
        assert f'TensorIo("{t["name"]}", "int8", ' in tensors
        assert f"{t['scale_literal']}f, {t['zero_point']})" in tensors
    tokens = _kotlin(_project(runs, "tokens"), "LiteRtTensors.kt")
    assert 'TensorIo("args_0", "int32", intArrayOf(1, 6), 0.0f, 0)' in tokens
    assert 'TensorIo("args_1", "bool", intArrayOf(1, 6), 0.0f, 0)' in tokens
    sample = json.loads((_assets(_project(runs, "tokens")) / "sample_inputs.json").read_text())
    assert [i["dtype"] for i in sample["inputs"]] == ["int64", "bool"]


@pytest.mark.slow
def test_litert_gpu_app_selftest_is_relative_with_the_reason(runs):
    gpu = json.loads((_assets(_project(runs, "fp32-gpu")) / "expected.json").read_text())
    cpu_fp32 = gpu["tolerance"]
    assert cpu_fp32["kind"] == "top1+relative" and cpu_fp32["rel"] == 0.25
    assert "GPU accelerator may compute in float16" in cpu_fp32["reason"]
    span = max(gpu["logits"]) - min(gpu["logits"])
    assert cpu_fp32["abs"] == pytest.approx(0.25 * span)
    int8 = json.loads((_assets(_project(runs, "int8-cpu")) / "expected.json").read_text())
    assert int8["tolerance"]["kind"] == "top1+relative"
    assert "int8-static tflite program" in int8["tolerance"]["reason"]
    assert "GPU" not in int8["tolerance"]["reason"]


@pytest.mark.slow
@pytest.mark.parametrize("key", ["int8-cpu", "fp32-gpu", "tokens", "audio"])
def test_litert_app_resources_compile_with_aapt(runs, compiled, key):
    proc, apk = compiled["aapt"][key]
    assert proc.returncode == 0, proc.stderr
    strings = ts.run(["aapt", "dump", "strings", apk]).stdout
    assert ts.HOSTILE_APP_NAME in strings


@pytest.mark.slow
def test_litert_kotlin_compiles_against_litert_api_stubs(compiled):
    proc = compiled["kotlinc"]
    assert proc.returncode == 0, f"kotlinc failed:\n{proc.stderr[-6000:]}"
    assert len(list(compiled["classes"].rglob("MainActivity.class"))) == 4


def _bits(a) -> str:
    return " ".join(str(v) for v in np.asarray(a, np.float32).view(np.int32).reshape(-1))


@pytest.mark.slow
def test_litert_int8_quantization_on_jvm_equals_the_desktop_runner(runs, compiled):
    """The sample's input quantized and the model's raw int8 output dequantized in Kotlin are
    Python's (litert_rt.quantize / dequantize with the same scales) bit for bit, and the
    generated self-test passes on them and fails on a perturbed copy, as Python decides."""
    from deploy_studio.core.data.preprocess import Preprocess
    from deploy_studio.core.runtimes.litert_rt import LiteRtRunner, dequantize, quantize

    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    project = _project(runs, "int8-cpu")
    assets = _assets(project)
    pp = Preprocess.from_dict(json.loads((assets / "preprocess.json").read_text()))
    from PIL import Image

    with Image.open(assets / "sample.png") as img:
        x = pp.apply(np.asarray(img.convert("L"))[:, :, None])[None].astype(np.float32)
    runner = LiteRtRunner(assets / "model.tflite", 1)
    try:
        q = quantize(x, runner.inputs[0])
        raw = np.asarray(runner.runner(**{runner.input_names[0]: q})[runner.output_names[0]])
        assert raw.dtype == np.int8
        want = dequantize(raw, runner.outputs[0])
    finally:
        runner.close()
    expected = json.loads((assets / "expected.json").read_text())
    # the desktop's expected.json came from the same runner: the same logits
    assert np.array_equal(want.reshape(-1), np.asarray(expected["logits"], np.float32))
    work = compiled["work"] / "int8_cpu"
    text = "\n".join(
        [
            _bits(x),
            " ".join(str(int(v)) for v in raw.reshape(-1)),
            str(expected["top1_index"]),
            _bits(expected["logits"]),
        ]
    )
    (work / "jvm-in.txt").write_text(text + "\n", "utf-8")
    out = work / "jvm-out.txt"
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    proc = ts.run(["java", "-cp", cp, "harness.int8_cpu.HarnessKt", work / "jvm-in.txt", out])
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text("utf-8").splitlines()
    assert [int(v) for v in lines[0].split()] == [int(v) for v in q.reshape(-1)]
    assert lines[1] == _bits(want)
    # Python's decision on these outputs: same top-1, max |diff| within the relative bound
    tol = expected["tolerance"]
    passed = int(np.argmax(want)) == expected["top1_index"] and float(
        np.max(np.abs(want.reshape(-1) - np.asarray(expected["logits"], np.float32)))
    ) <= float(tol["abs"])
    assert passed
    assert lines[2] == "true false top1+relative"
    # NumPy's round (ties to even) and the int8 clamp
    py = quantize(
        np.array([0.25, 0.75, -0.25, 1000, -1000], np.float32),
        {"dtype": np.int8, "quantization": (0.5, 3)},
    )
    assert lines[3] == " ".join(str(int(v)) for v in py)


NEGATIVE_SNIPPETS = {
    "compiled_model_has_no_public_constructor": (
        "import com.google.ai.edge.litert.CompiledModel\n"
        "import com.google.ai.edge.litert.Environment\n"
        "fun f(e: Environment): CompiledModel = CompiledModel(0L, e)\n",
        "private",
    ),
    "environment_has_no_public_constructor": (
        "import com.google.ai.edge.litert.Environment\nfun f(): Environment = Environment(0L)\n",
        "private",
    ),
    "tensor_buffer_has_no_double_writes": (
        "import com.google.ai.edge.litert.TensorBuffer\n"
        "fun f(b: TensorBuffer) = b.writeDouble(doubleArrayOf(1.0))\n",
        "unresolved reference",
    ),
    "write_int8_takes_bytes": (
        "import com.google.ai.edge.litert.TensorBuffer\n"
        "fun f(b: TensorBuffer) = b.writeInt8(intArrayOf(1))\n",
        "mismatch",
    ),
    "read_float_is_an_array": (
        "import com.google.ai.edge.litert.TensorBuffer\n"
        "fun f(b: TensorBuffer): List<Float> = b.readFloat()\n",
        "mismatch",
    ),
    "run_with_outputs_returns_unit": (
        "import com.google.ai.edge.litert.CompiledModel\n"
        "import com.google.ai.edge.litert.TensorBuffer\n"
        "fun f(m: CompiledModel, i: List<TensorBuffer>, o: List<TensorBuffer>): List<TensorBuffer> = m.run(i, o)\n",
        "mismatch",
    ),
    "no_xnnpack_accelerator": (
        "import com.google.ai.edge.litert.Accelerator\nval a = Accelerator.XNNPACK\n",
        "unresolved reference",
    ),
    "cpu_options_threads_is_num_threads": (
        "import com.google.ai.edge.litert.CompiledModel\n"
        "val o = CompiledModel.CpuOptions(threads = 1)\n",
        "no parameter with name",
    ),
    "options_takes_accelerators_not_strings": (
        'import com.google.ai.edge.litert.CompiledModel\nval o = CompiledModel.Options("gpu")\n',
        "none of the following candidates is applicable",
    ),
}
OK_SNIPPET = """\
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.Environment
import com.google.ai.edge.litert.LiteRtException
import com.google.ai.edge.litert.TensorBuffer

fun ok(path: String): FloatArray {
    val env = Environment.create()
    val gpu = Accelerator.GPU in env.getAvailableAccelerators()
    val options = if (gpu) CompiledModel.Options(Accelerator.GPU, Accelerator.CPU) else CompiledModel.Options(Accelerator.CPU)
    options.cpuOptions = CompiledModel.CpuOptions(numThreads = 1)
    val model = try {
        CompiledModel.create(path, options, env)
    } catch (e: LiteRtException) {
        CompiledModel.create(path, CompiledModel.Options.CPU, env)
    }
    val input: TensorBuffer = model.createInputBuffer("args_0", "serving_default")
    val output = model.createOutputBuffer("output_0", "serving_default")
    input.writeInt8(byteArrayOf(1))
    model.run(mapOf("args_0" to input), mapOf("output_0" to output), "serving_default")
    val listed = model.run(model.createInputBuffers())
    listed.forEach { it.close() }
    return output.readFloat().also { model.close(); env.close() }
}
"""


@pytest.mark.slow
def test_litert_stubs_reject_code_that_the_published_api_rejects(compiled, tmp_path):
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    assert_stubs_reject(NEGATIVE_SNIPPETS, OK_SNIPPET, tmp_path)


def test_litert_accelerator_is_validated_with_the_choices(tmp_path):
    from deploy_studio.core.errors import RecipeError
    from deploy_studio.core.recipe import parse_recipe
    from tests.support.recipes import recipe_dict, variant

    d = recipe_dict("builtin:digits-cnn", [variant("t", "tflite")])
    d["export"] = {"litert_accelerator": "tpu"}
    with pytest.raises(RecipeError) as e:
        parse_recipe(d)
    assert "litert_accelerator" in e.value.message and "'tpu'" in e.value.message
    assert "cpu, gpu" in e.value.hint
    d["export"] = {"litert_accelerator": "gpu"}
    assert parse_recipe(d).export.litert_accelerator == "gpu"
    del d["export"]
    assert parse_recipe(d).export.litert_accelerator == "cpu"


def test_cli_exits_2_on_a_bad_litert_accelerator(tmp_path, capsys):
    from deploy_studio.core.cli import main
    from tests.support.recipes import write_recipe

    path = write_recipe(
        tmp_path / "r.toml",
        "builtin:digits-cnn",
        [{"name": "t", "format": "tflite"}],
        export={"litert_accelerator": "npu"},
    )
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "litert_accelerator" in err and "cpu, gpu" in err and "Traceback" not in err


def test_gpu_tolerance_is_relative_with_the_reason():
    from deploy_studio.core.templates.litert_app import gpu_tolerance

    fp32 = {
        "logits": [0.0, 4.0, 2.0],
        "tolerance": {"kind": "absolute", "abs": 1e-3, "rel": None, "reason": "fp32 tflite"},
    }
    out = gpu_tolerance(fp32)
    assert out["tolerance"]["kind"] == "top1+relative" and out["tolerance"]["rel"] == 0.25
    assert out["tolerance"]["abs"] == pytest.approx(1.0)
    assert "float16" in out["tolerance"]["reason"] and "fp32 tflite" in out["tolerance"]["reason"]
    assert fp32["tolerance"]["kind"] == "absolute"  # the input is not changed
    tensors = {
        "task_output": 0,
        "outputs": [{"name": "o", "data": [1.0, 3.0, float("nan")]}],
        "tolerance": {"kind": "absolute", "abs": 1e-3, "rel": None, "reason": "r"},
    }
    assert gpu_tolerance(tensors)["tolerance"]["abs"] == pytest.approx(0.5)
    seg = {"agreement": {"kind": "pixel agreement", "min": 0.99, "reason": "fp32"}}
    assert gpu_tolerance(seg)["agreement"]["min"] == 0.95
    int8 = {"tolerance": {"kind": "top1+relative", "abs": 2.0, "rel": 0.25, "reason": "int8"}}
    assert gpu_tolerance(int8)["tolerance"]["abs"] == 2.0


def test_litert_tensor_apps_refuse_float64_inputs_naming_the_alternative():
    from types import SimpleNamespace

    from deploy_studio.core.app_routes import tensor_app_refusal

    spec = SimpleNamespace(dtype="float64", describe=lambda: "x float64 [1, 3]")
    session = SimpleNamespace(
        model=SimpleNamespace(signature=SimpleNamespace(inputs=[spec], task_output=None)),
        task=SimpleNamespace(name="regression"),
    )
    why = tensor_app_refusal(session, "android", "litert")
    assert "float64" in why and "onnxruntime runtime" in why and "TensorBuffer" in why
    spec.dtype = "int64"
    assert tensor_app_refusal(session, "android", "litert") is None


@pytest.mark.parametrize("mode", ["int8-static", "int8-dynamic", "int8-weight-only", "fp16"])
def test_quantized_tflite_variants_get_the_relative_selftest_bound(mode):
    from deploy_studio.core.templates.tolerance import selftest_tolerance

    row = {
        "format": "tflite",
        "steps": [{"kind": "quantize", "mode": mode}],
        "parity": {"max_abs_diff": 0.1},
    }
    tol = selftest_tolerance(row, [0.0, 8.0, 2.0])
    assert tol["kind"] == "top1+relative" and tol["rel"] == 0.25 and tol["abs"] == 2.0
    assert f"{mode} tflite program" in tol["reason"]
    if mode != "fp16":
        assert "LiteRT's XNNPACK" in tol["reason"]
    fp32 = selftest_tolerance({"format": "tflite", "parity": {"max_abs_diff": 1e-6}}, [0.0, 1.0])
    assert fp32["kind"] == "absolute"
