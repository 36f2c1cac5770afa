"""The generated Web project runs in headless Chromium and agrees with Python.

Renders the template for a tiny trained digits model, serves it on 127.0.0.1 with the
project's own ``serve.py`` handler, opens it with playwright-core in Debian's Chromium and
compares the page's ``#result`` with onnxruntime on the desktop — with plain and with
hostile app names and labels.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.templates import render_project
from tests.e2e import templates_support as ts

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DRIVER = Path(__file__).parent / "web" / "run_page.cjs"


def _serve(folder: Path):
    """Start the project's serve.py handler on a free port in a thread; return (server, url)."""
    spec = importlib.util.spec_from_file_location("generated_serve", folder / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Quiet(module.Handler):
        def log_message(self, *args):  # keep the test output readable
            pass

    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _open_in_chromium(
    folder: Path, screenshot: Path | None = None, choose: Path | None = None, query: str = ""
) -> dict:
    server, url = _serve(folder)
    try:
        return _open_url(url + query, screenshot, choose)
    finally:
        server.shutdown()
        server.server_close()


def _open_url(url: str, screenshot: Path | None = None, choose: Path | None = None) -> dict:
    """What run_page.cjs reads from the page at ``url`` (served by the caller)."""
    ts.require_tool(CHROMIUM, "Chromium")
    playwright = ts.require_tool(
        ts.NODE_MODULES / "playwright-core" / "package.json", "playwright-core"
    ).parent
    env = {**os.environ, "PLAYWRIGHT_CORE": str(playwright), "CHROMIUM": CHROMIUM}
    cmd = ["node", DRIVER, url, screenshot or "-"] + ([choose] if choose else [])
    proc = ts.run(cmd, timeout=240, env=env)
    assert proc.returncode == 0, f"the page did not finish:\n{proc.stderr}\n{proc.stdout}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def ort_web():
    from deploy_studio.core.templates.web_runtime import find_ort_web

    found = find_ort_web()
    if found is None:
        pytest.fail(f"onnxruntime-web is not installed: {ts.INSTALL_HINT}", pytrace=False)
    return found


OWN_NORMALISATION = {"mean": [0.5], "std": [0.5], "resize_size": 40, "interpolation": "bicubic"}


@pytest.mark.parametrize(
    ("app_name", "labels", "fmt", "kind", "order", "pp"),
    [
        ("Digit Reader", ts.DIGIT_LABELS, "onnx", "digits", "RGB", None),
        (ts.HOSTILE_APP_NAME, ts.HOSTILE_LABELS, "onnx", "digits", "RGB", None),
        ("Digit Reader", ts.DIGIT_LABELS, "onnx-external", "digits", "RGB", None),
        ("Colour Reader", ts.HOSTILE_LABELS[:5], "onnx", "rgb", "BGR", None),
        ("Colour Reader", ts.HOSTILE_LABELS[:5], "onnx", "rgb-nhwc", "RGB", OWN_NORMALISATION),
    ],
    ids=["plain", "hostile", "external-data", "rgb-centre-crop-bgr", "own-normalisation-nhwc"],
)
def test_web_project_matches_python_in_chromium(
    tmp_path, ort_web, app_name, labels, fmt, kind, order, pp
):
    """A recipe's [preprocess] (here Normalize(0.5, 0.5), a 40-px resize before the crop and a
    channels-last model) reaches the app: the page computes Python's input exactly."""
    bundle = ts.make_bundle(
        tmp_path, fmt, app_name, labels, kind=kind, channel_order=order, preprocess=pp
    )
    project = render_project("web", None, bundle, tmp_path / "web")

    page = _open_in_chromium(project, tmp_path / "page.png")

    result = page["result"]
    assert "error" not in result, result
    assert page["consoleErrors"] == []
    expected = bundle.expected
    assert result["top1"] == expected["top1"] == labels[expected["top1_index"]]
    assert result["top1_index"] == expected["top1_index"]
    diff = np.abs(np.asarray(result["logits"]) - np.asarray(expected["logits"])).max()
    assert diff < 1e-3, f"page logits differ from Python's by {diff}"
    assert np.allclose(result["probs"], expected["probs"], atol=1e-4)
    assert result["selftest"] == "passed"
    assert result["max_diff"] == pytest.approx(diff, abs=1e-9)
    assert result["latency_ms"] > 0
    # Names and labels are data: the page shows exactly the originals.
    assert page["labels"] == labels
    assert page["appName"] == app_name
    assert page["heading"] == app_name
    assert page["top3"] == [
        labels[i] for i in np.argsort(-np.asarray(expected["probs"]), kind="stable")[:3]
    ]
    assert json.loads((project / "assets" / "labels.json").read_text("utf-8")) == labels
    for extra in bundle.artifact_extra:
        assert (project / "model" / extra.name).is_file()
    assert (project / "ort" / "ort.wasm.min.js").is_file()
    assert f"onnxruntime-web@{ort_web.version}" in (project / "README.md").read_text("utf-8")
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_web_selftest_fails_when_expected_output_is_wrong(tmp_path, ort_web):
    bundle = ts.make_bundle(tmp_path, "onnx", "Digit Reader", ts.DIGIT_LABELS)
    wrong = dict(bundle.expected)
    wrong["logits"] = [v + 0.5 for v in wrong["logits"]]
    bundle.expected = wrong
    project = render_project("web", None, bundle, tmp_path / "web")
    result = _open_in_chromium(project)["result"]
    assert result["selftest"] == "failed"
    assert result["max_diff"] == pytest.approx(0.5, abs=1e-3)


def test_web_explains_missing_runtime_files(tmp_path, monkeypatch):
    import deploy_studio.core.templates.render as render

    monkeypatch.setattr(render, "find_ort_web", lambda: None)
    bundle = ts.make_bundle(tmp_path, "onnx", "Digit Reader", ts.DIGIT_LABELS)
    project = render_project("web", None, bundle, tmp_path / "web")
    readme = (project / "README.md").read_text("utf-8")
    assert "npm install onnxruntime-web@1.30.0" in readme
    for name in ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"):
        assert f"cp node_modules/onnxruntime-web/dist/{name} ort/" in readme
    assert not (project / "ort").exists()
    # The page says the same, instead of failing silently.
    page = _open_in_chromium(project)
    assert "npm package onnxruntime-web@1.30.0" in page["result"]["error"]
    assert page["status"].startswith("Error: onnxruntime-web is missing")


def test_web_classifies_a_chosen_image(tmp_path, ort_web):
    """ "Choose image" with a full-size photo: the page fits it to the model and classifies it."""
    from PIL import Image
    from sklearn.datasets import load_sample_image

    photo = tmp_path / "flower photo.png"
    Image.fromarray(load_sample_image("flower.jpg")).save(photo)
    labels = ["rose", "tulip", "daisy", "sunflower", "dandelion"]
    bundle = ts.make_bundle(tmp_path, "onnx", "Colour Reader", labels, kind="rgb")
    project = render_project("web", None, bundle, tmp_path / "web")
    page = _open_in_chromium(project, choose=photo)
    chosen = page["chosen"]
    assert chosen["status"].startswith("Prediction: "), chosen["status"]
    assert chosen["source"] == "flower photo.png"
    assert len(chosen["top3"]) == 3 and set(chosen["top3"]) <= set(labels)
    # The self-test result stays the bundled sample's.
    assert chosen["result"] == page["result"]
    assert page["result"]["selftest"] == "passed"
