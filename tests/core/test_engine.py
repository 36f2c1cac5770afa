"""The engine end to end on a tiny model: report schema, gates, isolation, cancel, crashes."""

from __future__ import annotations

import json
import threading

import pytest

from deploy_studio.core.engine import report_exit_code, run_recipe
from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.progress import CancelToken, Reporter
from tests.support.recipes import recipe as make_recipe
from tests.support.recipes import variant

VARIANTS = [
    {"name": "fp32-eager", "format": "eager"},
    {"name": "fp32-pte", "format": "pte"},
    {"name": "fp32-onnx", "format": "onnx"},
]


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_report_schema_and_values(tiny_recipe, tmp_path):
    recipe = tiny_recipe(VARIANTS, gates={"max_accuracy_drop": 0.0, "max_size_bytes": 1})
    events = []
    report = run_recipe(
        recipe, tmp_path, reporter=Reporter(events.append), isolate=True, templates=False
    )
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert on_disk["schema"] == 1
    assert set(on_disk["model"]) >= {"spec", "params", "input_shape"}
    assert on_disk["dataset"]["eval_samples"] == 60
    for v in on_disk["variants"]:
        assert set(v) >= {
            "name",
            "format",
            "artifact",
            "size_bytes",
            "params",
            "latency_ms",
            "accuracy",
            "parity",
            "error",
        }
        assert v["error"] is None
        assert (tmp_path / v["artifact"]).exists()
        lat = v["latency_ms"]
        assert (
            lat["requested_runs"] == 5
            and 5 <= lat["runs"] <= 40
            and lat["threads"] == 1
            and lat["p50"] > 0
        )
        assert lat["p50_ci"][0] <= lat["p50"] <= lat["p50_ci"][1] and lat["ci_rel"] >= 0
        assert 0 <= v["accuracy"]["top1"] <= 1 and v["accuracy"]["samples"] == 60
        assert v["parity"]["top1_agreement"] == 1.0 and v["parity"]["max_abs_diff"] < 1e-4
    # size gate of 1 byte fails for every variant; an accuracy drop of 0 passes (exact parity)
    size_gates = [g for g in on_disk["gates"] if g["gate"] == "max_size_bytes"]
    assert len(size_gates) == 3 and not any(g["passed"] for g in size_gates)
    assert report_exit_code(report) == 1
    assert {e.variant for e in events if e.kind == "result"} == {
        "fp32-eager",
        "fp32-pte",
        "fp32-onnx",
    }
    assert any(e.kind == "latency" for e in events)
    html = (tmp_path / "report.html").read_text()
    assert "fp32-pte" in html and "charts/latency.svg" in html
    assert (tmp_path / "charts" / "size.svg").read_text().startswith("<svg")


def test_random_data_gives_no_accuracy_number(tiny_recipe, tmp_path):
    recipe = tiny_recipe(
        [VARIANTS[0]], data={"source": "random", "eval_samples": 10, "calibration_samples": 4}
    )
    report = run_recipe(recipe, tmp_path, isolate=False, templates=False)
    v = report["variants"][0]
    assert v["accuracy"]["top1"] is None and report["baseline"]["accuracy"] is None
    assert v["latency_ms"]["p50"] > 0


def test_cancel_stops_the_run_and_leaves_no_partial_files(tiny_recipe, tmp_path):
    """Cancel while a variant is being measured: the run raises Cancelled and leaves no
    temporary file and no report. How fast it stops is measured, from the cancel request, by
    benchmarks/responsiveness.py."""
    recipe = tiny_recipe(
        [*VARIANTS, {"name": "more-pte", "format": "pte"}],
        benchmark={"threads": 1, "warmup": 2, "runs": 100000},
    )
    cancel = CancelToken()
    seen = threading.Event()

    def on_event(e):
        if e.kind == "latency":
            seen.set()

    t = threading.Thread(target=lambda: (seen.wait(600), cancel.cancel()))
    t.start()
    try:
        with pytest.raises(Cancelled):
            run_recipe(
                recipe, tmp_path, reporter=Reporter(on_event, cancel), isolate=True, templates=False
            )
        measured = seen.is_set()  # cancelled mid-measurement, not before it started
    finally:
        seen.set()  # the thread ends whatever happened
        t.join()
    assert measured
    leftovers = [p for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    assert not (tmp_path / "report.json").exists()


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_crash_in_native_code_becomes_an_error_row(tiny_model_file, tmp_path):
    """A segfault while one variant converts is that variant's error row; the worker restarts
    for the next one (and loads the model again: its session died with it)."""
    recipe = make_recipe(
        f"{tiny_model_file}:Crashes",
        [variant("traced", "ptl", convert="trace"), variant("a", "eager")],
        data={"calibration_samples": 4, "eval_samples": 10},
        benchmark={"warmup": 1, "runs": 2},
    )
    events = []
    report = run_recipe(
        recipe, tmp_path, reporter=Reporter(events.append), isolate=True, templates=False
    )
    crashed, fine = report["variants"]
    assert "crashed" in crashed["error"] and "SIGSEGV" in crashed["error"]
    assert crashed["size_bytes"] is None and crashed["latency_ms"] is None
    assert fine["error"] is None and fine["accuracy"]["samples"] == 10
    assert sum(1 for e in events if e.kind == "log" and "worker started" in e.message) == 2
    assert report_exit_code(report) == 1


def test_a_model_that_crashes_while_loading_fails_the_run_cleanly(tiny_model_file, tmp_path):
    recipe = make_recipe(
        f"{tiny_model_file}:CrashesOnLoad",
        [variant("a", "eager")],
        data={"calibration_samples": 4, "eval_samples": 10},
    )
    with pytest.raises(StudioError, match=r"crashed with exit code -11 .SIGSEGV."):
        run_recipe(recipe, tmp_path / "out", isolate=True, templates=False)
    assert not (tmp_path / "out").exists()  # nothing was written
