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

from core.templates import render_project
from tests.e2e import templates_support as ts

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
DRIVER = Path(__file__).parent / "web" / "run_page.cjs"


def _serve(folder: Path):
    """Start the project's serve.py handler on a free port in a thread; return (server, url)."""
    spec = importlib.util.spec_from_file_location("generated_serve", folder / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handler = functools.partial(module.Handler, directory=str(folder))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def _open_in_chromium(folder: Path, screenshot: Path | None = None) -> dict:
    ts.require_tool(CHROMIUM, "Chromium")
    playwright = ts.require_tool(ts.NODE_MODULES / "playwright-core" / "package.json",
                                 "playwright-core").parent
    server, url = _serve(folder)
    try:
        env = {**os.environ, "PLAYWRIGHT_CORE": str(playwright), "CHROMIUM": CHROMIUM}
        cmd = ["node", DRIVER, url] + ([screenshot] if screenshot else [])
        proc = ts.run(cmd, timeout=240, env=env)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, f"the page did not finish:\n{proc.stderr}\n{proc.stdout}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def ort_web():
    from core.templates.web_runtime import find_ort_web

    found = find_ort_web()
    if found is None:
        pytest.fail(f"onnxruntime-web is not installed: {ts.INSTALL_HINT}", pytrace=False)
    return found


@pytest.mark.parametrize(
    ("app_name", "labels"),
    [("Digit Reader", ts.DIGIT_LABELS), (ts.HOSTILE_APP_NAME, ts.HOSTILE_LABELS)],
    ids=["plain", "hostile"],
)
def test_web_project_matches_python_in_chromium(tmp_path, ort_web, app_name, labels):
    bundle = ts.make_bundle(tmp_path, "onnx", app_name, labels)
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
    assert page["top3"] == [labels[i] for i in np.argsort(-np.asarray(expected["probs"]),
                                                          kind="stable")[:3]]
    assert json.loads((project / "assets" / "labels.json").read_text("utf-8")) == labels
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


def test_web_readme_explains_missing_runtime_files(tmp_path, monkeypatch):
    import core.templates.render as render

    monkeypatch.setattr(render, "find_ort_web", lambda: None)
    bundle = ts.make_bundle(tmp_path, "onnx", "Digit Reader", ts.DIGIT_LABELS)
    project = render_project("web", None, bundle, tmp_path / "web")
    readme = (project / "README.md").read_text("utf-8")
    assert "npm install onnxruntime-web@1.30.0" in readme
    for name in ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"):
        assert f"cp node_modules/onnxruntime-web/dist/{name} ort/" in readme
    assert not (project / "ort").exists()
    assert (project / "index.html").is_file()
