"""The Web page runs a .tflite with LiteRT.js (runtime ``litert-web``, issue 12).

Each test runs a real recipe (``run_recipe`` with ``[export] templates = [{platform = "web",
runtime = "litert-web"}]``): litert-torch converts the model, ai-edge-litert computes the
desktop's outputs, the project vendors ``@litertjs/core`` from ``.tools/node_modules`` and
headless Chromium runs the page, whose self-test compares LiteRT.js's outputs with the
desktop's. A full-integer (int8-static) model cannot run in LiteRT.js 2.5.3 (no int8 tensors,
no scale / zero point): the app is refused with the reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.fsutil import resource_path
from deploy_studio.core.recipe import TemplateSpec, load_recipe, parse_recipe
from deploy_studio.core.templates.web_runtime import LITERT_WEB_FILES
from tests.e2e import templates_support as ts
from tests.e2e.test_templates_web import _open_in_chromium, _open_url
from tests.support.models import MODELS_PY
from tests.support.recipes import recipe, variant

pytest.importorskip("litert_torch", reason='the .[litert] extra (pip install -e ".[litert]")')

SMALL = {"calibration_samples": 16, "eval_samples": 16}
FAST = {"warmup": 1, "runs": 2}
LITERT = {"platform": "web", "runtime": "litert-web"}


@pytest.fixture(scope="module")
def litert_web():
    from deploy_studio.core.templates.web_runtime import find_litert_web

    found = find_litert_web()
    if found is None:
        pytest.fail(f"@litertjs/core is not installed: {ts.INSTALL_HINT}", pytrace=False)
    return found


def _demo_tflite_recipe(app_name: str):
    """The digits demo (resources/recipes/demo.toml) with only its fp32-tflite variant, fewer
    samples and runs, and a LiteRT.js Web app."""
    demo = load_recipe(resource_path("recipes", "demo.toml")).to_dict()
    demo["variant"] = [v for v in demo["variant"] if v["name"] == "fp32-tflite"]
    demo["data"].update(SMALL)
    demo["benchmark"].update(FAST)
    demo["export"] = {"templates": [LITERT], "app_name": app_name}
    demo.pop("gates", None)
    return parse_recipe(demo)


def _run(r, out):
    report = run_recipe(r, out, isolate=False)
    (app,) = report["templates"]
    return report, app


@pytest.fixture(scope="module")
def digits_project(tmp_path_factory, litert_web):
    """The demo's fp32-tflite shipped in a LiteRT.js page named HOSTILE_APP_NAME."""
    out = tmp_path_factory.mktemp("litert-digits") / "out"
    _, app = _run(_demo_tflite_recipe(ts.HOSTILE_APP_NAME), out)
    assert app.get("error") is None, app
    assert (app["runtime"], app["format"], app["variant"]) == (
        "litert-web",
        "tflite",
        "fp32-tflite",
    )
    return out / app["path"]


@pytest.mark.slow
def test_digits_demo_tflite_runs_in_litert_js_like_the_desktop(
    digits_project, litert_web, tmp_path
):
    project = digits_project
    expected = json.loads((project / "assets" / "expected.json").read_text("utf-8"))
    page = _open_in_chromium(project, tmp_path / "page.png")
    result = page["result"]
    assert "error" not in result, result
    assert page["consoleErrors"] == []
    # the desktop's top-1 (ai-edge-litert on the same .tflite) and its logits
    assert result["top1_index"] == expected["top1_index"]
    assert result["top1"] == expected["top1"]
    diff = np.abs(np.asarray(result["logits"]) - np.asarray(expected["logits"])).max()
    assert diff < 1e-3, f"LiteRT.js logits differ from the desktop's by {diff}"
    assert result["selftest"] == "passed"
    assert result["accelerator"] == "wasm"
    assert result["accelerator_note"] == "wasm, 1 thread"
    # the hostile name is data everywhere
    assert page["appName"] == page["heading"] == ts.HOSTILE_APP_NAME
    # the runtime is vendored and named; no onnxruntime-web in this project
    for name in LITERT_WEB_FILES:
        assert (project / "litert" / name).is_file(), name
    assert not (project / "ort").exists() and (project / "model" / "model.tflite").is_file()
    readme = (project / "README.md").read_text("utf-8")
    assert f"@litertjs/core@{litert_web.version}" in readme and "litert_runtime.js" in readme
    assert "int8-static" in readme and "?accelerator=webgpu" in readme
    package = json.loads((project / "package.json").read_text("utf-8"))
    assert package["dependencies"] == {"@litertjs/core": litert_web.version}
    html = (project / "index.html").read_text("utf-8")
    assert '"@litertjs/wasm-utils": "./litert/wasm-utils/dist/index.js"' in html
    assert "ort.wasm.min.js" not in html


@pytest.mark.slow
def test_webgpu_asked_for_falls_back_to_wasm_and_says_so(digits_project, tmp_path):
    """Headless Chromium here has no GPU: ?accelerator=webgpu compiles for WebAssembly."""
    page = _open_in_chromium(digits_project, query="?accelerator=webgpu")
    result = page["result"]
    assert result["selftest"] == "passed", result
    assert result["accelerator"] == "wasm"
    assert result["accelerator_note"].startswith("wasm, 1 thread (asked for webgpu: ")
    assert page["consoleErrors"] == []


TOKENS = {"name": "tokens", "shape": [1, 6], "dtype": "int64", "range": [0, 49]}
TWO_INPUTS = [
    {"name": "image", "shape": [1, 1, 28, 28]},
    {"name": "meta", "shape": [1, 6], "range": [0, 1]},
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cls", "inputs", "dtypes"),
    [
        ("ImageAndVector", TWO_INPUTS, ["float32", "float32"]),
        ("TokenGRU", [TOKENS], ["int64"]),
    ],
    ids=["two-float-inputs", "int64-tokens"],
)
def test_tensor_page_feeds_the_samples_tensors_to_litert_js(
    tmp_path, litert_web, cls, inputs, dtypes
):
    r = recipe(
        {"source": f"{MODELS_PY}:{cls}", "inputs": inputs},
        [variant("t", "tflite")],
        name=cls,
        data={"source": "random", **SMALL},
        benchmark=FAST,
        export={"templates": [LITERT], "app_name": f"{ts.HOSTILE_APP_NAME} {cls}"},
    )
    _, app = _run(r, tmp_path / "out")
    assert app.get("error") is None, app
    project = tmp_path / "out" / app["path"]
    sample = json.loads((project / "assets" / "sample_inputs.json").read_text("utf-8"))
    assert [i["dtype"] for i in sample["inputs"]] == dtypes
    expected = json.loads((project / "assets" / "expected.json").read_text("utf-8"))
    page = _open_in_chromium(project)
    result = page["result"]
    assert "error" not in result, result
    assert page["consoleErrors"] == []
    assert result["kind"] == "tensors" and result["selftest"] == "passed", result
    assert result["accelerator"] == "wasm"
    (out,) = result["outputs"]
    want = expected["outputs"][0]["data"]
    assert out["shape"] == expected["outputs"][0]["shape"]
    assert out["max_diff"] < 1e-3 and out["cosine"] > 0.9999
    assert int(np.argmax(out["first"])) == int(np.argmax(want))
    assert page["appName"] == f"{ts.HOSTILE_APP_NAME} {cls}"


@pytest.mark.slow
def test_int8_static_tflite_is_refused_for_litert_js_with_the_reason(tmp_path, litert_web):
    """Asked for by name, a full-integer model is refused with the reason; when the recipe
    only prefers it ([export] variant), the LiteRT.js app ships the float tflite instead."""
    from deploy_studio.core.apps import _pick_or_build

    q = variant("q", "tflite", {"kind": "quantize", "mode": "int8-static"})
    r = recipe(
        f"{MODELS_PY}:TinyNet",
        [variant("t", "tflite"), q],
        data=SMALL,
        benchmark=FAST,
        export={"templates": [{**LITERT, "variant": "q"}], "app_name": "Digit Reader"},
    )
    report, refused = _run(r, tmp_path / "out")
    assert not [row for row in report["variants"] if row.get("error")], report["variants"]
    assert refused["path"] is None
    error = refused["error"]
    assert "cannot ship 'q'" in error and "LiteRT.js 2.5.3" in error and "int8 tensors" in error
    assert "fp32, fp16, int8-dynamic" in error and "onnxruntime-web" in error
    assert not (tmp_path / "out" / "apps" / "web-litert-web").exists()

    r.export.variant = "q"  # a preference, not a demand: the runtime-fit variant ships
    rows = list(report["variants"])
    row = _pick_or_build(
        r, TemplateSpec("web", "litert-web"), "litert-web", rows, [], {"report": report}
    )
    assert row["name"] == "t"


def _bundle_from(project, tmp_path, labels: list[str]):
    """The digits project's model, sample and expected output as a bundle with ``labels``."""
    from deploy_studio.core.data.preprocess import Preprocess
    from deploy_studio.core.templates import AppBundle

    assets = project / "assets"
    expected = json.loads((assets / "expected.json").read_text("utf-8"))
    expected["top1"] = labels[expected["top1_index"]]
    order = np.argsort(-np.asarray(expected["probs"]), kind="stable")[:3]
    expected["topk"] = [[labels[int(i)], expected["probs"][i]] for i in order]
    model = tmp_path / "model.tflite"
    shutil.copyfile(project / "model" / "model.tflite", model)
    return AppBundle(
        app_name=ts.HOSTILE_APP_NAME,
        artifact=model,
        artifact_extra=[],
        preprocess=Preprocess.from_dict(json.loads((assets / "preprocess.json").read_text())),
        labels=labels,
        sample_png=assets / "sample.png",
        expected=expected,
        input_shape=[1, 1, 28, 28],
        variant="fp32-tflite",
    )


@pytest.mark.slow
def test_without_litert_js_the_readme_and_page_say_so_and_npm_start_serves_it(
    digits_project, tmp_path, monkeypatch
):
    """Generated without @litertjs/core installed: the README says what to copy, the page
    says what is missing; `npm install && npm start` (node_modules from the verification
    tools, no network) serves LiteRT.js from node_modules and the page passes its self-test,
    with hostile labels."""
    import deploy_studio.core.templates.render as render
    from deploy_studio.core.templates import render_project

    node = ts.require_tool(shutil.which("node") or "node", "node")
    monkeypatch.setattr(render, "find_litert_web", lambda: None)
    bundle = _bundle_from(digits_project, tmp_path, ts.HOSTILE_LABELS)
    project = render_project("web", "litert-web", bundle, tmp_path / "web")
    assert not (project / "litert").exists()
    readme = (project / "README.md").read_text("utf-8")
    assert "npm install @litertjs/core@2.5.3" in readme
    for name in LITERT_WEB_FILES:
        assert f"cp node_modules/@litertjs/{name} litert/{name}" in readme
    package = json.loads((project / "package.json").read_text("utf-8"))
    assert package["dependencies"] == {"@litertjs/core": "2.5.3"}

    page = _open_in_chromium(project)
    assert "npm package @litertjs/core@2.5.3" in page["result"]["error"]
    assert page["status"].startswith("Error: LiteRT.js is missing")

    (project / "node_modules").mkdir()
    (project / "node_modules" / "@litertjs").symlink_to(ts.NODE_MODULES / "@litertjs")
    proc = subprocess.Popen(
        [str(node), "serve.js", "0"], cwd=project, stdout=subprocess.PIPE, text=True
    )
    try:
        url = re.search(r"http://127\.0\.0\.1:\d+/", proc.stdout.readline()).group(0)
        page = _open_url(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
    result = page["result"]
    assert result["selftest"] == "passed", result
    assert result["top1"] == ts.HOSTILE_LABELS[bundle.expected["top1_index"]]
    assert page["labels"] == ts.HOSTILE_LABELS and page["heading"] == ts.HOSTILE_APP_NAME
    assert page["top3"][0] == result["top1"]
    assert page["consoleErrors"] == []


@pytest.mark.slow
def test_the_int8_static_refusal_is_what_litert_js_itself_says(tmp_path, litert_web, monkeypatch):
    """Without the refusal the page is generated and LiteRT.js 2.5.3 fails on the int8
    tensors: if a later LiteRT.js runs it, this test says the refusal can go."""
    from deploy_studio.core import app_routes

    monkeypatch.setattr(app_routes, "VARIANT_REFUSALS", {})
    q = variant("q", "tflite", {"kind": "quantize", "mode": "int8-static"})
    r = recipe(
        f"{MODELS_PY}:TinyNet",
        [q],
        data=SMALL,
        benchmark=FAST,
        export={"templates": [{**LITERT, "variant": "q"}], "app_name": "Digit Reader"},
    )
    _, app = _run(r, tmp_path / "out")
    assert app.get("error") is None, app
    page = _open_in_chromium(tmp_path / "out" / app["path"])
    assert page["result"] == {"error": "Element type INT8 is not supported."}


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["int8-dynamic", "int8-weight-only", "fp16"])
def test_float_io_quantized_tflite_runs_in_litert_js(tmp_path, litert_web, mode):
    """What the refusal offers instead: quantized weights with float inputs and outputs."""
    q = variant("q", "tflite", {"kind": "quantize", "mode": mode})
    r = recipe(
        f"{MODELS_PY}:TinyNet",
        [q],
        data=SMALL,
        benchmark=FAST,
        export={"templates": [LITERT], "app_name": f"Digit Reader {mode}"},
    )
    _, app = _run(r, tmp_path / "out")
    assert app.get("error") is None and app["variant"] == "q", app
    project = tmp_path / "out" / app["path"]
    expected = json.loads((project / "assets" / "expected.json").read_text("utf-8"))
    result = _open_in_chromium(project)["result"]
    assert result["selftest"] == "passed", result
    assert result["top1_index"] == expected["top1_index"]
    assert result["tolerance"]["kind"] == "top1+relative" and mode in result["tolerance"]["reason"]
