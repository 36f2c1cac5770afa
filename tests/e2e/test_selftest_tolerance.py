"""The apps' self-test tolerance fits the variant, and the Web project runs with npm.

The tolerance is derived from what the desktop measured for the shipped variant (its parity,
its quantize step, its format) and written into expected.json: fp32 programs get an absolute
bound, int8 / float16 ones the desktop's top-1 plus a bound relative to the logit range (int8
kernels differ between x86 and ARM). A tiny recipe ships an fp32 ``.pte`` (Android) and an
int8 ONNX model (Web): both expected.json files, the Web page in Chromium (it passes and shows
the tolerance and its reason) and the Swift of an iOS project (it parses and reads the
tolerance) are checked. (The Android self-test of int8 logits runs on the JVM in
test_templates_android.py.) Last, the Web project's package.json pins onnxruntime-web and its
``serve.js`` serves the page and, from node_modules, the runtime files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.apps import selftest_tolerance
from deploy_studio.core.engine import run_recipe
from deploy_studio.core.templates import render_project
from tests.e2e import templates_support as ts
from tests.support.models import MODELS_PY
from tests.support.recipes import recipe, variant

INT8 = {"kind": "quantize", "mode": "int8-static"}
SMALL = {"calibration_samples": 16, "eval_samples": 16}


def test_tolerance_of_fp32_is_absolute_and_of_int8_is_top1_plus_relative():
    logits = [-1.0, 3.0, 1.0]  # range 4
    fp32 = selftest_tolerance({"format": "pte", "parity": {"max_abs_diff": 2e-4}}, logits)
    assert fp32["kind"] == "absolute" and fp32["abs"] == pytest.approx(2e-3) and fp32["rel"] is None
    assert "fp32 pte" in fp32["reason"] and "0.0002" in fp32["reason"]
    tight = selftest_tolerance({"format": "onnx", "parity": {"max_abs_diff": 1e-7}}, logits)
    assert tight["abs"] == 1e-3  # never below float32's summation-order noise
    int8_row = {
        "format": "pte",
        "steps": [INT8],
        "parity": {"max_abs_diff": 0.1, "snr_db": 31.4, "top1_agreement": 0.98},
    }
    int8 = selftest_tolerance(int8_row, logits)
    assert int8["kind"] == "top1+relative" and int8["rel"] == 0.25
    assert int8["abs"] == pytest.approx(1.0)
    assert "int8-static" in int8["reason"] and "ARM" in int8["reason"]
    assert "SNR 31.4 dB" in int8["reason"] and "98%" in int8["reason"]
    # the desktop already saw a larger diff: twice that
    wide = selftest_tolerance({**int8_row, "parity": {"max_abs_diff": 1.5}}, logits)
    assert wide["rel"] == pytest.approx(0.75) and wide["abs"] == pytest.approx(3.0)
    fp16 = selftest_tolerance({"format": "coreml", "parity": None}, logits)
    assert fp16["kind"] == "top1+relative" and "float16" in fp16["reason"]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A tiny recipe: an fp32 .pte shipped in the Android app, an int8 ONNX in the Web app."""
    out = tmp_path_factory.mktemp("tolerance") / "out"
    r = recipe(
        f"{MODELS_PY}:TinyNet",
        [variant("p", "pte"), variant("o8", "onnx", INT8)],
        data=SMALL,
        export={
            "templates": [
                {"platform": "android", "variant": "p"},
                {"platform": "web", "variant": "o8"},
            ]
        },
    )
    report = run_recipe(r, out, isolate=False)
    apps = {t["platform"]: t for t in report["templates"]}
    for t in apps.values():
        assert not t.get("error"), t
    rows = {v["name"]: v for v in report["variants"]}
    return out, apps, rows


def test_expected_json_of_fp32_and_int8_variants(shipped):
    out, apps, rows = shipped
    android = out / apps["android"]["path"] / "app/src/main/assets/expected.json"
    fp32 = json.loads(android.read_text("utf-8"))["tolerance"]
    assert fp32["kind"] == "absolute" and fp32["rel"] is None
    measured = rows["p"]["parity"]["max_abs_diff"]
    assert fp32["abs"] == pytest.approx(max(1e-3, 10 * measured))
    assert fp32["reason"].startswith("fp32 pte program")
    # the Kotlin fallback carries the same tolerance (the app reads expected.json first)
    app_info = next((out / apps["android"]["path"]).rglob("AppInfo.kt")).read_text("utf-8")
    assert '"absolute"' in app_info and "TOLERANCE_FIXED: Boolean = false" in app_info

    web = json.loads((out / apps["web"]["path"] / "assets/expected.json").read_text("utf-8"))
    int8 = web["tolerance"]
    assert int8["kind"] == "top1+relative" and int8["rel"] >= 0.25
    span = max(web["logits"]) - min(web["logits"])
    assert int8["abs"] == pytest.approx(int8["rel"] * span)
    assert int8["reason"].startswith("int8-static onnx program")
    assert "ARM" in int8["reason"] and "SNR" in int8["reason"]


def test_web_app_passes_with_an_int8_variant_and_shows_the_tolerance(shipped):
    from tests.e2e.test_templates_web import _open_in_chromium

    out, apps, _rows = shipped
    project = out / apps["web"]["path"]
    expected = json.loads((project / "assets/expected.json").read_text("utf-8"))
    page = _open_in_chromium(project)
    result = page["result"]
    assert "error" not in result, result
    assert result["selftest"] == "passed", result
    assert result["top1_index"] == expected["top1_index"]
    assert result["tolerance"]["kind"] == "top1+relative"
    assert result["tolerance"]["bound"] == pytest.approx(expected["tolerance"]["abs"], rel=1e-6)
    diff = np.abs(np.asarray(result["logits"]) - np.asarray(expected["logits"])).max()
    assert diff <= result["tolerance"]["bound"]
    # what the page shows next to the verdict: the bound, its rule and its reason
    note = result["selftest_note"]
    assert "x logit range" in note and expected["tolerance"]["reason"] in note


def test_swift_parses_and_reads_the_tolerance(tmp_path):
    try:
        import tree_sitter_swift
        from tree_sitter import Language, Parser
    except ImportError:
        pytest.fail(f"tree-sitter-swift is not installed: {ts.INSTALL_HINT}", pytrace=False)
    parser = Parser(Language(tree_sitter_swift.language()))
    bundle = ts.make_bundle(tmp_path, "pte", 'Digit "Reader" ${x}', ts.DIGIT_LABELS)
    reason = 'int8-static pte program: "quoted" \\ $(x) ✓'
    bundle.expected = {
        **bundle.expected,
        "tolerance": {"kind": "top1+relative", "abs": 2.0, "rel": 0.25, "reason": reason},
    }
    project = render_project("ios", "executorch", bundle, tmp_path / "ios")
    sources = {p.name: p.read_text("utf-8") for p in project.rglob("*.swift")}
    for name, text in sources.items():
        assert not parser.parse(text.encode()).root_node.has_error, name
    info = sources["AppInfo.swift"]
    assert 'kind: "top1+relative"' in info and "rel: 0.25" in info
    assert "toleranceFixed: Bool = false" in info
    assert "\\(x)" not in info.replace("\\\\(x)", "")  # no interpolation of the reason
    selftest = sources["SelfTest.swift"]
    assert "let tolerance: Tolerance?" in selftest  # decoded from expected.json
    assert "tolerance.bound(expected.logits)" in selftest
    assert "SelfTest.tolerance(for: expected)" in sources["ClassifierModel.swift"]
    view = sources["ContentView.swift"]
    assert "test.detail" in view and "test.tolerance.reason" in view


def test_web_package_json_pins_onnxruntime_web_and_serve_js_serves_the_page(tmp_path, monkeypatch):
    """A project generated without onnxruntime-web installed: `npm install && npm start`
    (here: node_modules from the verification tools, no network) serves the page and the
    runtime files from node_modules."""
    import deploy_studio.core.templates.render as render

    node = ts.require_tool(shutil.which("node") or "node", "node")
    ort_pkg = ts.require_tool(
        ts.NODE_MODULES / "onnxruntime-web" / "package.json", "onnxruntime-web"
    )
    monkeypatch.setattr(render, "find_ort_web", lambda: None)
    bundle = ts.make_bundle(tmp_path, "onnx", 'Digit "Reader" ✓', ts.DIGIT_LABELS)
    project = render_project("web", None, bundle, tmp_path / "web")
    assert not (project / "ort").exists()
    package = json.loads((project / "package.json").read_text("utf-8"))
    assert package["dependencies"] == {"onnxruntime-web": "1.30.0"}
    assert package["scripts"]["start"] == "node serve.js"
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", package["name"]), package["name"]
    assert "npm install && npm start" in (project / "README.md").read_text("utf-8")

    # what `npm install` leaves: node_modules/onnxruntime-web
    (project / "node_modules").mkdir()
    (project / "node_modules" / "onnxruntime-web").symlink_to(ort_pkg.parent)
    proc = subprocess.Popen(
        [str(node), "serve.js", "0"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line).group(0)
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.status == 200 and r.headers["Content-Type"].startswith("text/html")
            assert "<title>Digit &quot;Reader&quot; ✓</title>" in r.read().decode("utf-8")
        with urllib.request.urlopen(url + "ort/ort-wasm-simd-threaded.wasm", timeout=10) as r:
            assert r.headers["Content-Type"] == "application/wasm"
            assert r.read(4) == b"\0asm"
        with urllib.request.urlopen(url + "assets/expected.json", timeout=10) as r:
            assert json.loads(r.read())["top1_index"] == bundle.expected["top1_index"]
        for bad in ("../package.json", "%2e%2e/%2e%2e/etc/passwd", "missing.js"):
            with pytest.raises(urllib.error.HTTPError) as e:
                urllib.request.urlopen(url + bad, timeout=10)
            assert e.value.code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_web_package_json_pins_the_version_the_runtime_files_came_from(tmp_path):
    from deploy_studio.core.templates.web_runtime import find_ort_web

    found = find_ort_web()
    if found is None:
        pytest.fail(f"onnxruntime-web is not installed: {ts.INSTALL_HINT}", pytrace=False)
    bundle = ts.make_bundle(tmp_path, "onnx", "Digit Reader", ts.DIGIT_LABELS)
    project = render_project("web", None, bundle, tmp_path / "web")
    package = json.loads((project / "package.json").read_text("utf-8"))
    assert package["dependencies"]["onnxruntime-web"] == found.version
    assert Path(project / "serve.js").read_text("utf-8").startswith("#!/usr/bin/env node")
