"""The built-in demos of every task and torchvision's lraspp_mobilenet_v3_large, end to end
through ``deploy-studio run`` (the demos' runs are shared with test_demo_apps.py): every variant's artifact re-run in its own runtime matches the
original within the task's fidelity figure (top-1, pixel or matched-box agreement), and the
task's metric is measured on real held-out data."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

# trains each demo once per cache (~5-35 s each on one thread) and builds 6-7 variants of it;
# lraspp builds five 13 MB variants at 224x224: `make test-all` (CI)
pytestmark = pytest.mark.slow

DEMOS = {
    "breast-cancer-mlp": ("classification", "top1", 0.95),
    "digit-rows-lstm": ("classification", "top1", 0.85),
    "digit-strokes-seg": ("segmentation", "miou", 0.75),
    "digit-scenes-ssd": ("detection", "map50", 0.7),
}


def _run(recipe, out, *extra) -> dict:
    r = run_cli("run", str(recipe), "--out", str(out), *extra, timeout=1800)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    return json.loads((out / "report.json").read_text())


def _check_fidelity(report: dict, int8_floor: float) -> None:
    rows = report["variants"]
    assert all(v["error"] is None for v in rows), [(v["name"], v["error"]) for v in rows]
    for v in rows:
        if v["format"] == "coreml":  # built for the iOS app: converted, not runnable here
            assert v["parity"] is None and v["name"] == "app-coreml", v
            continue
        agreement = v["parity"].get("agreement", v["parity"]["top1_agreement"])
        quantized = any(s["kind"] == "quantize" for s in v["steps"])
        assert agreement >= (int8_floor if quantized else 0.999), (v["name"], v["parity"])


@pytest.mark.parametrize("name", list(DEMOS))
def test_each_task_demo_runs_end_to_end(task_demo_runs, name):
    """The demo's own recipe (apps exported too: tests/e2e/test_demo_apps.py)."""
    task, metric, floor = DEMOS[name]
    _out, report = task_demo_runs.get(name)
    assert report["model"]["task"]["name"] == task
    assert report["baseline"]["metrics"][metric] >= floor, report["baseline"]
    formats = {
        (v["format"], any(s["kind"] == "quantize" for s in v["steps"])) for v in report["variants"]
    }
    assert {
        ("pte", False),
        ("pte", True),
        ("onnx", False),
        ("onnx", True),
        ("ptl", False),
    } <= formats
    _check_fidelity(report, 0.95)
    for v in report["variants"]:
        if v["format"] == "coreml":
            continue
        assert v["accuracy"]["metric"] == metric and v["accuracy"]["metric_drop"] <= 0.02, v[
            "accuracy"
        ]


def test_torchvision_lraspp_runs_end_to_end_on_real_masks(tmp_path):
    recipe = tmp_path / "lraspp.toml"
    recipe.write_text(
        """name = "lraspp"
[model]
source = "torchvision:lraspp_mobilenet_v3_large"
[data]
source = "builtin:digit-strokes"
calibration_samples = 8
eval_samples = 8
[benchmark]
threads = 1
warmup = 1
runs = 3
[[variant]]
name = "fp32-pte"
format = "pte"
[[variant]]
name = "int8-pte"
format = "pte"
steps = [{ kind = "quantize", mode = "int8-static" }]
[[variant]]
name = "fp32-onnx"
format = "onnx"
[[variant]]
name = "int8-onnx"
format = "onnx"
steps = [{ kind = "quantize", mode = "int8-static" }]
[[variant]]
name = "fp32-ptl"
format = "ptl"
convert = "trace"
"""
    )
    report = _run(recipe, tmp_path / "out")
    assert report["model"]["task"]["name"] == "segmentation"
    assert report["model"]["task"]["output"] == "out"
    assert report["baseline"]["metrics"]["miou"] is not None  # random weights: low, but measured
    _check_fidelity(report, 0.9)
