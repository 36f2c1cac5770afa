"""Pareto front and recommendation over variant rows: pure functions, hand-made rows."""

from __future__ import annotations

from core.pareto import dominates, pareto_front, recommend


def row(name, p50, size, acc, error=None):
    return {
        "name": name, "error": error, "size_bytes": size,
        "latency_ms": None if p50 is None else {"p50": p50},
        "accuracy": None if acc is None else {"top1": acc},
    }


ROWS = [
    row("fp32", 1.0, 1000, 0.98),
    row("int8", 0.3, 250, 0.975),       # faster and smaller, slightly less accurate
    row("fp16", 0.8, 500, 0.98),        # smaller than fp32, same accuracy, faster: dominates fp32
    row("pruned-int8", 0.2, 120, 0.95),
    row("worse", 0.9, 900, 0.90),       # dominated by fp16
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
    assert recommend(rows, None, 0.01) == "a"  # unlabelled data: fastest


def test_recommended_is_fastest_within_budget():
    assert recommend(ROWS, 0.98, 0.01) == "int8"      # pruned-int8 lost 3 points
    assert recommend(ROWS, 0.98, 0.03) == "pruned-int8"
    assert recommend(ROWS, 0.98, 0.0) == "fp16"
    assert recommend([row("x", 1.0, 1, 0.5)], 0.98, 0.01) is None


def test_rows_without_latency_are_not_recommended():
    rows = [row("coreml", None, 10, 0.98), row("pte", 1.0, 100, 0.98)]
    assert recommend(rows, 0.98, 0.01) == "pte"
    assert pareto_front(rows) == ["pte"]  # unmeasured latency: never on the front
