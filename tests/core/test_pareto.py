"""Pareto front and recommendation over variant rows: pure functions, hand-made rows."""

from __future__ import annotations

from deploy_studio.core.pareto import budget_for, dominates, pareto_front, recommend, ship_choice


def row(name, p50, size, acc, error=None):
    return {
        "name": name,
        "error": error,
        "size_bytes": size,
        "latency_ms": None if p50 is None else {"p50": p50},
        "accuracy": None if acc is None else {"top1": acc},
    }


ROWS = [
    row("fp32", 1.0, 1000, 0.98),
    row("int8", 0.3, 250, 0.975),  # faster and smaller, slightly less accurate
    row("fp16", 0.8, 500, 0.98),  # smaller than fp32, same accuracy, faster: dominates fp32
    row("pruned-int8", 0.2, 120, 0.95),
    row("worse", 0.9, 900, 0.90),  # dominated by fp16
    row("broken", 0.01, 1, 1.0, error="lowering failed"),
]


def test_front_keeps_non_dominated_rows_fastest_first():
    assert pareto_front(ROWS) == ["pruned-int8", "int8", "fp16"]


def test_error_rows_never_count():
    assert "broken" not in pareto_front(ROWS)
    assert recommend(ROWS, 0.98, 1.0) == "pruned-int8"


def test_dominance_needs_one_strictly_better_objective():
    a, b = row("a", 1.0, 10, 0.9), row("b", 1.0, 10, 0.9)
    assert not dominates(a, b, ["latency", "size", "accuracy"])
    assert pareto_front([a, b]) == ["a", "b"]  # ties both stay


def test_missing_accuracy_drops_that_objective_for_everyone():
    rows = [row("a", 1.0, 100, None), row("b", 2.0, 50, None), row("c", 3.0, 200, None)]
    assert pareto_front(rows) == ["a", "b"]
    assert recommend(rows, None, 0.01) is None  # an accuracy budget needs accuracy
    unlabelled = budget_for("imagefolder:x", False, None, None, 0.01)
    assert unlabelled.basis == "fidelity" and unlabelled.limit == 0.99
    agreeing = [
        {**r, "parity": {"top1_agreement": a}} for r, a in zip(rows, (0.95, 1.0, 1.0), strict=True)
    ]
    assert recommend(agreeing, None, unlabelled) == "b"  # fastest that agrees on >= 99%
    refused = budget_for("random", False, None, None, 0.01)
    assert (
        refused.basis is None
        and "random" in refused.reason
        and recommend(agreeing, None, refused) is None
    )


def test_recommended_is_fastest_within_budget():
    assert recommend(ROWS, 0.98, 0.01) == "int8"  # pruned-int8 lost 3 points
    assert recommend(ROWS, 0.98, 0.03) == "pruned-int8"
    assert recommend(ROWS, 0.98, 0.0) == "fp16"
    assert recommend([row("x", 1.0, 1, 0.5)], 0.98, 0.01) is None


def test_rows_without_latency_are_not_recommended():
    rows = [row("coreml", None, 10, 0.98), row("pte", 1.0, 100, 0.98)]
    assert recommend(rows, 0.98, 0.01) == "pte"
    assert pareto_front(rows) == ["pte"]  # unmeasured latency: never on the front


def _lat(name, p50, lo, hi, size, fmt="pte"):
    return {
        "name": name,
        "format": fmt,
        "artifact": f"{name}.{fmt}",
        "size_bytes": size,
        "latency_ms": {"p50": p50, "p50_ci": [lo, hi]},
        "accuracy": {"top1": 0.98},
    }


def test_apps_ship_the_smallest_variant_within_the_latency_noise_of_the_fastest():
    fp32 = _lat("fp32-pte", 0.061, 0.058, 0.066, 11_000_000)
    int8 = _lat("int8-pte", 0.066, 0.063, 0.070, 2_800_000)  # slower by noise only, 4x smaller
    slow = _lat("big-slow", 0.200, 0.190, 0.210, 1_000)
    assert ship_choice([fp32, int8, slow], "pte")["name"] == "int8-pte"
    assert (
        ship_choice([fp32, int8, slow], "pte", failed={"int8-pte"})["name"] == "fp32-pte"
    )  # gates first
    clearly_slower = _lat("int8-pte", 0.090, 0.085, 0.095, 2_800_000)
    assert ship_choice([fp32, clearly_slower], "pte")["name"] == "fp32-pte"
    assert ship_choice([fp32, int8], "onnx") is None
