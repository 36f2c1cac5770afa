"""Fidelity gates, degenerate outputs and latency noise: a gate never says "passed" for a
broken artifact, never judges what cannot be judged, and never flips on noise."""

from __future__ import annotations

import numpy as np
import pytest

from deploy_studio.core.engine import report_exit_code, run_recipe
from deploy_studio.core.gates import DEFAULT_LIMITS, evaluate_gates, failed_variants
from deploy_studio.core.measure import SNR_CAP_DB, degenerate_outputs, median_ci, parity_of, snr_db
from deploy_studio.core.recipe import Gates
from deploy_studio.core.report.model import GateVerdict
from tests.support.models import write_models
from tests.support.recipes import recipe as make_recipe
from tests.support.recipes import variant


def _row(name, agreement=None, snr=None, steps=(), p50=None, ci=None, **extra):
    return {
        "name": name,
        "format": "pte",
        "artifact": f"{name}.pte",
        "size_bytes": 10,
        "error": None,
        "steps": list(steps),
        "parity": {"top1_agreement": agreement, "snr_db": snr, "meaningful": True},
        "latency_ms": {"p50": p50, "p50_ci": ci} if p50 is not None else None,
        **extra,
    }


def test_fidelity_gates_are_on_by_default_and_fail_a_broken_int8_variant():
    rows = [
        _row("fp32", 1.0, 120.0),
        _row("int8-broken", 0.21, 1.5, [{"kind": "quantize"}]),
        _row("int8-ok", 0.99, 31.0, [{"kind": "quantize"}]),
    ]
    verdicts = [g.to_dict() for g in evaluate_gates(Gates(), rows, None)]
    assert {g["gate"] for g in verdicts} == set(DEFAULT_LIMITS)
    assert failed_variants(verdicts) == {"int8-broken"}
    broken = {g["gate"]: g for g in verdicts if g["variant"] == "int8-broken"}
    assert (
        broken["min_top1_agreement"]["status"] == "failed" and broken["min_snr_db"]["value"] == 1.5
    )


def test_snr_gate_skips_retrained_variants_unless_set_and_false_turns_a_gate_off():
    student = _row("student", 0.97, 1.1, [{"kind": "distill"}])
    pruned = _row("pruned", 0.98, 6.9, [{"kind": "prune", "finetune_epochs": 1}])
    cut = _row(
        "cut", 0.5, 2.0, [{"kind": "prune", "finetune_epochs": 0}]
    )  # pruned, not retrained: judged
    verdicts = [g.to_dict() for g in evaluate_gates(Gates(), [student, pruned, cut], None)]
    assert failed_variants(verdicts) == {"cut"}
    assert not any(
        g["gate"] == "min_snr_db" and g["variant"] in ("student", "pruned") for g in verdicts
    )
    explicit = [g.to_dict() for g in evaluate_gates(Gates(min_snr_db=5.0), [student, pruned], None)]
    assert failed_variants(explicit) == {"student"}  # a recipe's own value applies to every variant
    off = [
        g.to_dict()
        for g in evaluate_gates(Gates(min_snr_db=False, min_top1_agreement=False), [cut], None)
    ]
    assert off == []


def test_latency_gate_within_the_noise_is_uncertain_not_failed():
    rows = [
        _row("a", 1.0, 99.0, p50=0.066, ci=[0.061, 0.072]),
        _row("b", 1.0, 99.0, p50=0.090, ci=[0.085, 0.094]),
    ]
    verdicts = [
        g
        for g in map(GateVerdict.to_dict, evaluate_gates(Gates(max_latency_ms=0.07), rows, None))
        if g["gate"] == "max_latency_ms"
    ]
    a, b = (next(g for g in verdicts if g["variant"] == n) for n in ("a", "b"))
    assert a["status"] == "uncertain" and a["passed"] is None and "95% interval" in a["reason"]
    assert b["status"] == "failed" and b["passed"] is False
    assert failed_variants(verdicts) == {"b"}
    report = {"variants": rows, "gates": [a], "templates": []}
    assert report_exit_code(report) == 0  # uncertain is reported, not failed


def test_parity_of_degenerate_original_is_meaningless_not_zero_agreement():
    ref = np.full((20, 10), 1e-15, dtype=np.float32)
    out = np.random.default_rng(0).normal(size=(20, 10)).astype(np.float32)
    assert "same value" in degenerate_outputs(ref)
    p = parity_of(out, ref)
    assert p["meaningful"] is False and p["top1_agreement"] is None and p["snr_db"] is None
    assert "meaningless" in p["note"]
    good = parity_of(ref + out, out)
    assert good["meaningful"] and 0 <= good["top1_agreement"] <= 1


def test_snr_and_median_interval():
    ref = np.linspace(-3, 3, 100)
    assert snr_db(ref, ref) == SNR_CAP_DB
    assert snr_db(ref + 0.1 * ref, ref) == pytest.approx(20.0, abs=0.01)  # noise 1/10 of the signal
    samples = list(np.random.default_rng(1).lognormal(0, 0.2, 400))
    lo, hi = median_ci(samples)
    assert lo <= float(np.median(samples)) <= hi and (hi - lo) / np.median(samples) < 0.1
    assert median_ci([1.0, 2.0]) is None


def test_a_degenerate_model_gets_no_fidelity_verdicts_and_says_why(tmp_path):
    model_py = write_models(tmp_path / "m.py", "AllEqual")
    recipe = make_recipe(
        f"{model_py}:AllEqual",
        [variant("int8-pte", "pte", {"kind": "quantize", "mode": "int8-static"})],
        name="degenerate",
        data={"calibration_samples": 16, "eval_samples": 40},
        benchmark={"warmup": 1, "runs": 3},
    )
    report = run_recipe(recipe, tmp_path / "out", isolate=False)
    row = report["variants"][0]
    assert row["error"] is None and row["parity"]["meaningful"] is False
    assert row["parity"]["top1_agreement"] is None  # not "agree 0%"
    assert report["baseline"]["degenerate"]
    fidelity = [g for g in report["gates"] if g["gate"] in DEFAULT_LIMITS]
    assert fidelity and all(g["status"] == "n/a" and g["passed"] is None for g in fidelity)
    assert any("same value" in n for n in report["notes"])
    assert report_exit_code(report) == 0
