"""Android apps of models fed their bundled sample's tensors (the "tensors" route).

Real recipes run through ``core.engine.run_recipe`` (``core.apps.export_apps``) with a hostile
app name, one per runtime: TokenGRU's int64 token ids on ExecuTorch (``.pte``) and on PyTorch
lite (``.ptl``), TokenConv's int64 ids + bool mask on ONNX Runtime (ExecuTorch's Android
Tensor has no bool tensors: that app is refused with a reason), and the built-in tabular demo
builtin:breast-cancer-mlp end to end (slow). aapt compiles each project's resources; one
kotlinc run type-checks all the generated Kotlin against the stubs; then the generated
self-test (TensorCheck.kt) runs on the JVM on expected.json's outputs and the outputs Python
computes for sample_inputs.json, and decides as Python does: passed on the desktop's outputs,
failed on a perturbed or NaN output (without an exception: the log line is hand-written
JSON). No APK is built (that needs Google's Maven) and the runtimes' Android libraries do
not run here.
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
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

# real recipes for five models and three runtimes, then aapt and one kotlinc run (~2 min on
# two cores): `make test-all` (CI)
pytestmark = pytest.mark.slow

SMALL = {"calibration_samples": 8, "eval_samples": 8}
FAST = {"warmup": 1, "runs": 2}
TOKENS = {"name": "tokens", "shape": [1, 6], "dtype": "int64"}
MASK = {"name": "mask", "shape": [1, 6], "dtype": "bool"}

HARNESS = """\
package {harness}

import {package}.*
import java.io.File

fun floats(line: String): FloatArray {{
    val parts = line.trim().split(' ').filter {{ it.isNotEmpty() }}
    return FloatArray(parts.size) {{ java.lang.Float.intBitsToFloat(parts[it].toLong().toInt()) }}
}}

fun main(args: Array<String>) {{
    val lines = File(args[0]).readLines(Charsets.UTF_8)
    val tolerance = java.lang.Float.intBitsToFloat(lines[0].trim().toLong().toInt())
    val out = StringBuilder()
    var i = 1
    while (i < lines.size && lines[i].isNotBlank()) {{
        val n = lines[i].trim().toInt()
        i += 1
        val expected = ArrayList<ExpectedOutput>()
        val got = ArrayList<FloatArray>()
        repeat(n) {{
            val shape = lines[i + 1].trim().split(' ').filter {{ it.isNotEmpty() }}.map {{ it.toLong() }}
            expected.add(ExpectedOutput(lines[i], shape.toLongArray(), floats(lines[i + 2])))
            got.add(floats(lines[i + 3]))
            i += 4
        }}
        val outcome = TensorCheck.summarise(got, expected, tolerance)
        out.append(if (outcome.passed) "passed" else "failed")
        for (r in outcome.rows) {{
            out.append(' ').append(java.lang.Float.floatToRawIntBits(r.maxDiff)).append(':').append(if (r.within) 1 else 0)
        }}
        out.append('\\n').append(TensorCheck.logLine(outcome, 1.5)).append('\\n')
        out.append(outcome.rows.joinToString(" | ") {{ TensorCheck.rowText(it) }}).append('\\n')
    }}
    // ONNX Runtime returns uint8 outputs as signed Java bytes: read back unsigned
    out.append(OutputValues.flatten(arrayOf(byteArrayOf(-1, 127)), unsigned = true).joinToString(","))
    out.append(' ').append(OutputValues.flatten(byteArrayOf(-1, 127)).joinToString(",")).append('\\n')
    // an int8 variant's bound: rel x the expected output's range, not tolerance x max(1, |output|)
    val want = ExpectedOutput("o", longArrayOf(5), floatArrayOf(0f, 1f, 4f, 10f, 20f))
    val got = floatArrayOf(0f, 1.5f, 4f, 10f, 20f)
    out.append(TensorCheck.compare(got, want, 1e-3f, 0.25f).within).append(' ')
    out.append(TensorCheck.compare(got, want, 1e-3f).within).append(' ')
    out.append(TensorCheck.compare(floatArrayOf(0f, 6.1f, 4f, 10f, 20f), want, 1e-3f, 0.25f).within).append('\\n')
    File(args[1]).writeText(out.toString(), Charsets.UTF_8)
}}
"""


TASK_HARNESS = """\
package {harness}

import {package}.*
import java.io.File

fun floats(line: String): FloatArray {{
    val parts = line.trim().split(' ').filter {{ it.isNotEmpty() }}
    return FloatArray(parts.size) {{ java.lang.Float.intBitsToFloat(parts[it].toLong().toInt()) }}
}}

fun main(args: Array<String>) {{
    val lines = File(args[0]).readLines(Charsets.UTF_8)
    val n = lines[0].trim().toInt()
    val outputs = List(n) {{ floats(lines[1 + it]) }}
    val rest = lines.drop(1 + n).filter {{ it.isNotBlank() }}
    val text = if (TaskSpec.KIND == "segmentation") {{
        val want = rest[0].trim().split(' ').map {{ it.toInt() }}.toIntArray()
        val mask = TaskOutputs.mask(outputs)
        mask.joinToString(" ") + "\\n" + SegmentationMask.agreement(mask, want)
    }} else {{
        val want = rest.map {{ l -> floats(l).let {{ p -> Detection(p.copyOfRange(2, 6), p[1], p[0].toInt()) }} }}
        val dets = TaskOutputs.detections(outputs)
        dets.joinToString(" ") {{ it.label.toString() }} + "\\n" + DetectionPostProcess.agreement(dets, want)
    }}
    File(args[1]).writeText(TaskSpec.KIND + "\\n" + text, Charsets.UTF_8)
}}
"""


def _recipe(model: dict, variant: dict, templates: list, name: str, data="random"):
    from tests.support.recipes import recipe

    return recipe(
        model,
        [variant],
        name=name,
        data={"source": data, **SMALL} if isinstance(data, str) else data,
        benchmark=FAST,
        export={"templates": templates, "app_name": f"{ts.HOSTILE_APP_NAME} {name}"},
    )


def _cases(root: Path) -> dict:
    from tests.e2e.test_templates_ios_tasks import DET, SEG, _det_data, _seg_data
    from tests.support.models import MODELS_PY
    from tests.support.recipes import variant

    gru = {"source": f"{MODELS_PY}:TokenGRU", "inputs": [TOKENS]}
    conv = {"source": f"{MODELS_PY}:TokenConv", "inputs": [TOKENS, MASK]}
    return {
        "executorch": _recipe(
            gru,
            variant("p", "pte"),
            [{"platform": "android", "runtime": "executorch"}],
            "et",
        ),
        "pytorch-lite": _recipe(
            gru,
            variant("l", "ptl", convert="trace"),
            [{"platform": "android", "runtime": "pytorch-lite"}],
            "lite",
        ),
        "onnxruntime": _recipe(
            conv,
            variant("o", "onnx"),
            [
                {"platform": "android", "runtime": "onnxruntime"},
                {"platform": "android", "runtime": "executorch"},
            ],
            "ort",
        ),
        # segmentation / detection models fed their (npz) sample's tensors
        "seg": _recipe(
            SEG,
            variant("p", "pte"),
            [{"platform": "android", "runtime": "executorch"}],
            "seg",
            data=_seg_data(root),
        ),
        "det": _recipe(
            DET,
            variant("p", "pte"),
            [{"platform": "android", "runtime": "executorch"}],
            "det",
            data=_det_data(root),
        ),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    from deploy_studio.core.engine import run_recipe

    root = tmp_path_factory.mktemp("android-tensors")
    out = {}
    for key, r in _cases(root).items():
        report = run_recipe(r, root / key, isolate=False)
        out[key] = (root / key, report)
    return out


def _project(runs, key: str) -> Path:
    root, report = runs[key]
    app = report["templates"][0]
    assert not app.get("error") and app["path"], app
    return root / app["path"]


@pytest.fixture(scope="module")
def compiled(runs, tmp_path_factory):
    """aapt for every project, then ONE kotlinc run over their Kotlin + R + harnesses + stubs."""
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    ts.require_tool("java", "java (Debian package default-jre-headless)")
    work = tmp_path_factory.mktemp("android-tensors-build")
    sources, aapt = [], {}
    for key in runs:
        project = _project(runs, key)
        name = key.replace("-", "_")
        proc, gen, _apk = _aapt(project, work / name)
        aapt[key] = proc
        sources += sorted(project.rglob("*.kt")) + sorted(gen.rglob("R.java"))
        harness = work / name / "Harness.kt"
        text = TASK_HARNESS if key in ("seg", "det") else HARNESS
        harness.write_text(
            text.format(package=_package(project), harness=f"harness.{name}"), "utf-8"
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


def _assets(project: Path) -> Path:
    return project / "app/src/main/assets"


def _json(project: Path, name: str) -> dict:
    return json.loads((_assets(project) / name).read_text("utf-8"))


def _kotlin(project: Path, name: str) -> str:
    return next((project / "app/src/main/java").rglob(name)).read_text("utf-8")


@pytest.mark.parametrize("runtime", ["executorch", "pytorch-lite", "onnxruntime"])
def test_tensor_apps_ship_the_samples_tensors_in_their_dtypes(runs, runtime):
    project = _project(runs, runtime)
    inputs = _json(project, "sample_inputs.json")["inputs"]
    want = [("tokens", "int64", [1, 6])] + ([("mask", "bool", [1, 6])] * (runtime == "onnxruntime"))
    assert [(i["name"], i["dtype"], i["shape"]) for i in inputs] == want
    assert all(float(v).is_integer() and 0 <= v < 50 for v in inputs[0]["data"])
    expected = _json(project, "expected.json")
    assert expected["kind"] == "tensors" and expected["outputs"][0]["shape"] == [1, 4]
    spec = _kotlin(project, "TaskSpec.kt")
    assert "FEEDS_TENSORS: Boolean = true" in spec and 'KIND: String = "tensors"' in spec
    # the hostile name arrives as an escaped Kotlin string and an escaped XML resource
    assert r"\"Reader\" \\ \${x}\n" in _kotlin(project, "AppInfo.kt")
    assert not (_assets(project) / "sample.png").exists()  # random data: no image


def test_executorch_and_pytorch_lite_refuse_bool_inputs_with_a_reason(runs):
    _root, report = runs["onnxruntime"]
    refused = next(t for t in report["templates"] if t["runtime"] == "executorch")
    assert refused["path"] is None
    assert "ExecuTorch's Android Tensor has no bool tensors" in refused["error"]
    assert "mask [1, 6] bool" in refused["error"] and "the onnxruntime runtime" in refused["error"]


@pytest.mark.parametrize("key", ["executorch", "pytorch-lite", "onnxruntime", "seg", "det"])
def test_tensor_app_resources_compile_with_aapt(compiled, key):
    proc = compiled["aapt"][key]
    assert proc.returncode == 0, proc.stderr


def test_tensor_app_kotlin_compiles_against_published_api_stubs(compiled):
    proc = compiled["kotlinc"]
    assert proc.returncode == 0, f"kotlinc failed:\n{proc.stderr[-6000:]}"
    assert len(list(compiled["classes"].rglob("TensorScreen.class"))) == 5
    assert len(list(compiled["classes"].rglob("SampleTensor.class"))) == 5


def _bits(a) -> str:
    return " ".join(
        str(struct.unpack("<I", struct.pack("<f", float(v)))[0])
        for v in np.asarray(a, np.float32).reshape(-1)
    )


def _python_outputs(runtime: str, inputs: list) -> list[np.ndarray]:
    """The eager model's outputs for sample_inputs.json, in Python."""
    import torch

    from tests.support import models

    model = (models.TokenConv if runtime == "onnxruntime" else models.TokenGRU)().eval()
    dtypes = {"int64": torch.int64, "bool": torch.bool, "float32": torch.float32}
    args = [torch.tensor(i["data"], dtype=dtypes[i["dtype"]]).reshape(i["shape"]) for i in inputs]
    with torch.no_grad():
        out = model(*args)
    return [np.asarray(o, np.float32) for o in (out if isinstance(out, tuple) else (out,))]


def _python_check(got: list, expected: list, tolerance: float) -> tuple[bool, list]:
    """TensorCheck.summarise in numpy: (passed, [(max diff, within)])."""
    rows = []
    tol = np.float32(tolerance)
    for g, e in zip(got, expected, strict=False):
        g = np.asarray(g, np.float32).reshape(-1)
        w = np.asarray(e["data"], np.float32).reshape(-1)
        if g.size != w.size:
            rows.append((math.inf, False))
            continue
        diff = np.abs(g - w)
        max_diff = np.float32(np.nan) if np.isnan(diff).any() else diff.max()
        bound = tol * max(np.float32(1), np.abs(w).max())
        na, nb = float(np.dot(g, g)), float(np.dot(w, w))
        cos = 1.0 if na == 0 and nb == 0 else float(np.dot(g, w)) / max(math.sqrt(na * nb), 1e-300)
        rows.append((float(max_diff), bool(max_diff <= bound and cos >= 0.999)))
    passed = len(rows) == len(expected) and bool(rows) and all(w for _, w in rows)
    return passed, rows


def _jvm(compiled, runtime: str, text: str) -> list[str]:
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    work = compiled["work"] / runtime.replace("-", "_")
    (work / "in.txt").write_text(text, "utf-8")
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    name = runtime.replace("-", "_")
    proc = ts.run(
        ["java", "-cp", cp, f"harness.{name}.HarnessKt", work / "in.txt", work / "out.txt"],
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return (work / "out.txt").read_text("utf-8").splitlines()


def _tolerance(project: Path) -> float:
    text = _kotlin(project, "AppInfo.kt")
    return float(re.search(r'Tolerance\(\s*"[^"]*",\s*([-0-9.eE+]+)f', text).group(1))


@pytest.mark.parametrize("runtime", ["executorch", "pytorch-lite", "onnxruntime"])
def test_tensor_selftest_on_jvm_decides_as_python(runs, compiled, runtime):
    project = _project(runs, runtime)
    expected = _json(project, "expected.json")["outputs"]
    inputs = _json(project, "sample_inputs.json")["inputs"]
    tolerance = _tolerance(project)
    assert tolerance == pytest.approx(1e-3)
    desktop = _python_outputs(runtime, inputs)
    perturbed = [o.copy() for o in desktop]
    perturbed[0].reshape(-1)[1] += 0.05
    nan = [o.copy() for o in desktop]
    nan[0].reshape(-1)[0] = np.nan
    short = [o.reshape(-1)[:-1] for o in desktop]
    cases = [desktop, perturbed, nan, short]
    lines = [_bits([tolerance])]
    for got in cases:
        lines.append(str(len(got)))
        for g, e in zip(got, expected, strict=True):
            lines += [e["name"], " ".join(str(d) for d in e["shape"]), _bits(e["data"]), _bits(g)]
    out = _jvm(compiled, runtime, "\n".join(lines) + "\n")
    verdicts = []
    for k, got in enumerate(cases):
        head, log, rows_text = out[3 * k : 3 * k + 3]
        passed, rows = _python_check(got, expected, tolerance)
        words = head.split()
        verdicts.append(words[0])
        assert words[0] == ("passed" if passed else "failed"), (k, head, rows)
        for item, (max_diff, within) in zip(words[1:], rows, strict=True):
            bits, ok = item.split(":")
            value = struct.unpack("<f", struct.pack("<I", int(bits) & 0xFFFFFFFF))[0]
            assert (math.isnan(value) and math.isnan(max_diff)) or value == max_diff, (k, item)
            assert ok == ("1" if within else "0"), (k, item)
        record = json.loads(log)  # valid JSON even with NaN outputs
        assert record["selftest"] == words[0]
        assert record["outputs"][0]["name"] == expected[0]["name"]
        assert rows_text.startswith(f"{expected[0]['name']} [1, 4]: ")
    assert verdicts == ["passed", "failed", "failed", "failed"]
    assert json.loads(out[7])["max_diff"] == "NaN"
    assert out[12] == "255.0,127.0 -1.0,127.0"  # uint8 read unsigned, int8 signed
    # rel 0.25 x range 20 = 5 accepts a 0.5 difference (cosine 0.9998) and refuses 5.1;
    # fp32's 1e-3 x max(1, 20) refuses 0.5
    assert out[13] == "true false false"


NEGATIVE_SNIPPETS = {
    "et_tensor_has_no_bool_overload": (
        "import org.pytorch.executorch.Tensor\n"
        "fun f(): Tensor = Tensor.fromBlob(BooleanArray(2), longArrayOf(2))\n",
        "None of the following",
    ),
    "et_long_data_is_a_property": (
        "import org.pytorch.executorch.Tensor\nfun f(t: Tensor): LongArray = t.getDataAsLongArray()\n",
        "Unresolved reference",
    ),
    "et_dtype_is_float_not_float32": (
        "import org.pytorch.executorch.DType\nval d = DType.FLOAT32\n",
        "Unresolved reference",
    ),
    "lite_dtype_is_float32_not_float": (
        "import org.pytorch.DType\nval d = DType.FLOAT\n",
        "Unresolved reference",
    ),
    "lite_tensor_has_no_bool_overload": (
        "import org.pytorch.Tensor\n"
        "fun f(): Tensor = Tensor.fromBlob(BooleanArray(2), longArrayOf(2))\n",
        "None of the following",
    ),
    "ort_create_tensor_needs_the_environment": (
        "import ai.onnxruntime.OnnxTensor\nimport java.nio.LongBuffer\n"
        "fun f(): OnnxTensor = OnnxTensor.createTensor(LongBuffer.wrap(LongArray(2)), longArrayOf(2))\n",
        "None of the following",
    ),
    "ort_bool_takes_a_bytebuffer": (
        "import ai.onnxruntime.OnnxJavaType\nimport ai.onnxruntime.OnnxTensor\n"
        "import ai.onnxruntime.OrtEnvironment\nimport java.nio.IntBuffer\n"
        "fun f(e: OrtEnvironment): OnnxTensor =\n"
        "    OnnxTensor.createTensor(e, IntBuffer.wrap(IntArray(2)), longArrayOf(2), OnnxJavaType.BOOL)\n",
        "mismatch",
    ),
    "json_array_get_long_takes_an_index": (
        'import org.json.JSONArray\nfun f(a: JSONArray): Long = a.getLong("0")\n',
        "mismatch",
    ),
}

OK_SNIPPET = """\
import ai.onnxruntime.OnnxJavaType
import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import java.nio.ByteBuffer
import java.nio.LongBuffer

fun et(): List<org.pytorch.executorch.Tensor> = listOf(
    org.pytorch.executorch.Tensor.fromBlob(LongArray(2), longArrayOf(2)),
    org.pytorch.executorch.Tensor.fromBlobUnsigned(ByteArray(2), longArrayOf(2)),
)
fun etRead(t: org.pytorch.executorch.Tensor): LongArray =
    if (t.dtype() == org.pytorch.executorch.DType.INT64) t.dataAsLongArray else LongArray(0)
fun lite(t: org.pytorch.Tensor): LongArray =
    if (t.dtype() == org.pytorch.DType.INT64) t.dataAsLongArray else LongArray(0)
fun ort(e: OrtEnvironment): List<OnnxTensor> = listOf(
    OnnxTensor.createTensor(e, LongBuffer.wrap(LongArray(2)), longArrayOf(2)),
    OnnxTensor.createTensor(e, ByteBuffer.wrap(ByteArray(2)), longArrayOf(2), OnnxJavaType.BOOL),
)
"""


def test_tensor_stubs_reject_code_that_the_published_api_rejects(compiled, tmp_path):
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    assert_stubs_reject(NEGATIVE_SNIPPETS, OK_SNIPPET, tmp_path)


def test_tensor_app_readme_says_what_the_app_does_and_what_is_not_verified(runs):
    text = (_project(runs, "onnxruntime") / "README.md").read_text("utf-8")
    assert "## This model's app: the bundled sample's tensors" in text
    assert "`tokens` int64 [1, 6], `mask` bool [1, 6]" in text
    assert "cosine >= 0.999" in text and "top-3 classes" in text
    assert "Not run either: `Classifier.runTensors`" in text
    lite = (_project(runs, "pytorch-lite") / "README.md").read_text("utf-8")
    assert "has no bool tensors on Android" in lite


def test_builtin_tabular_demo_gets_a_working_android_tensor_app(tmp_path):
    """builtin:breast-cancer-mlp (resources/recipes) end to end: the rendered app compiles, and
    its self-test on the JVM passes on the outputs Python's ExecuTorch runtime gives for
    sample_inputs.json and fails on a perturbed copy."""
    import tomllib

    import torch
    from executorch.runtime import Runtime

    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.recipe import parse_recipe

    path = Path(__file__).parents[2] / "resources/recipes/breast-cancer-mlp.toml"
    raw = tomllib.loads(path.read_text("utf-8"))
    raw["variant"] = [v for v in raw["variant"] if v["name"] == "fp32-pte"]
    raw["data"].update(SMALL)
    raw["benchmark"] = FAST
    raw.pop("gates", None)
    raw["export"] = {"templates": ["android"], "app_name": ts.HOSTILE_APP_NAME}
    report = run_recipe(parse_recipe(raw), tmp_path / "out", isolate=False)
    (app,) = report["templates"]
    assert not app.get("error") and app["runtime"] == "executorch", app
    project = tmp_path / "out" / app["path"]
    (features,) = _json(project, "sample_inputs.json")["inputs"]
    assert (features["name"], features["dtype"], features["shape"]) == (
        "features",
        "float32",
        [1, 30],
    )
    expected = _json(project, "expected.json")
    assert expected["task"] == "classification" and len(_json(project, "labels.json")) == 2

    program = Runtime.get().load_program(str(_assets(project) / "model.pte"))
    x = torch.tensor(features["data"], dtype=torch.float32).reshape(1, 30)
    (logits,) = [np.asarray(o, np.float32) for o in program.load_method("forward").execute([x])]
    perturbed = logits.copy()
    perturbed.reshape(-1)[0] += 0.5

    work = tmp_path / "build"
    proc, gen, _apk = _aapt(project, work / "demo")
    assert proc.returncode == 0, proc.stderr
    harness = work / "demo" / "Harness.kt"
    harness.write_text(HARNESS.format(package=_package(project), harness="harness.demo"), "utf-8")
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    sources = [*sorted(project.rglob("*.kt")), *sorted(gen.rglob("R.java")), harness]
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    classes = work / "classes"
    kotlinc = ts.run(
        [KOTLINC, "-d", classes, "-jvm-target", "11", "-no-reflect", *sources, *stubs],
        timeout=900,
        env=env,
    )
    assert kotlinc.returncode == 0, kotlinc.stderr[-6000:]
    tolerance = _tolerance(project)
    lines = [_bits([tolerance])]
    (want,) = expected["outputs"]
    for got in (logits, perturbed):
        lines += ["1", want["name"], " ".join(str(d) for d in want["shape"])]
        lines += [_bits(want["data"]), _bits(got)]
    (work / "in.txt").write_text("\n".join(lines) + "\n", "utf-8")
    cp = os.pathsep.join([str(classes), str(KOTLIN_STDLIB)])
    run = ts.run(
        ["java", "-cp", cp, "harness.demo.HarnessKt", work / "in.txt", work / "out.txt"],
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = (work / "out.txt").read_text("utf-8").splitlines()
    assert out[0].split()[0] == "passed" and out[3].split()[0] == "failed"
    assert _python_check([logits], [want], tolerance)[0]
    assert not _python_check([perturbed], [want], tolerance)[0]


def test_segmentation_and_detection_fed_tensors_agree_with_the_desktop_on_jvm(runs, compiled):
    seg = _project(runs, "seg")
    e = _json(seg, "expected.json")
    assert e["kind"] == "segmentation" and e["mask"]["shape"] == [28, 28]
    assert 'KIND: String = "segmentation"' in _kotlin(seg, "TaskSpec.kt")
    assert "MASK_HEIGHT: Int = 28" in _kotlin(seg, "TaskSpec.kt")
    lines = [str(len(e["outputs"]))] + [_bits(o["data"]) for o in e["outputs"]]
    lines.append(" ".join(str(int(v)) for v in e["mask"]["data"]))
    kind, mask, agreement = _jvm(compiled, "seg", "\n".join(lines) + "\n")
    assert kind == "segmentation" and float(agreement) == 1.0
    assert [int(v) for v in mask.split()] == [int(v) for v in e["mask"]["data"]]

    det = _project(runs, "det")
    e = _json(det, "expected.json")
    assert e["kind"] == "detection" and e["detections"], "no detection: the test proves little"
    lines = [str(len(e["outputs"]))] + [_bits(o["data"]) for o in e["outputs"]]
    lines += [_bits([d["label"], d["score"], *d["box"]]) for d in e["detections"]]
    kind, labels, agreement = _jvm(compiled, "det", "\n".join(lines) + "\n")
    assert kind == "detection" and float(agreement) == 1.0
    assert [int(v) for v in labels.split()] == [d["label"] for d in e["detections"]]
