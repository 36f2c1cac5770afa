"""Pareto front and recommendation over measured variant rows (pure functions, no I/O).

A variant is on the front when no other variant is at least as good on every objective
(lower p50 latency, smaller size, higher top-1 accuracy) and strictly better on one. Rows
with an error, and rows whose latency cannot be measured here (Core ML on Linux), are left
out. Accuracy counts when the data is labelled; on the ``random`` data source nobody has
one, and the front is over latency and size only. A missing number never decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from deploy_studio.core.report.model import VariantResult, as_row

Row = TypeVar("Row", VariantResult, dict)  # every function takes typed rows or schema-1 dicts

# objective name -> (how to read it from a row, +1 to maximise / -1 to minimise)
OBJECTIVES: dict[str, tuple[Callable[[VariantResult], float | None], int]] = {
    "latency": (lambda r: r.p50, -1),
    "size": (lambda r: r.size_bytes, -1),
    "accuracy": (lambda r: r.top1, +1),
}


def _typed(rows: Sequence[Row]) -> list[tuple[Row, VariantResult]]:
    return [(r, as_row(r)) for r in rows]


def candidates(rows: Sequence[Row]) -> list[Row]:
    """Rows that built and have a p50 latency and a size (and an accuracy, when any row has one)."""
    built = [
        (r, t) for r, t in _typed(rows) if t.ok and t.p50 is not None and t.size_bytes is not None
    ]
    with_acc = [(r, t) for r, t in built if t.top1 is not None]
    return [r for r, _ in with_acc or built]


def usable_objectives(rows: Sequence[Row]) -> list[str]:
    """The objectives every candidate row has a number for."""
    typed = [as_row(r) for r in rows]
    return [
        k for k, (get, _) in OBJECTIVES.items() if typed and all(get(r) is not None for r in typed)
    ]


def dominates(a: Row, b: Row, objectives: Sequence[str]) -> bool:
    """True when ``a`` is at least as good as ``b`` on every objective and better on one."""
    ta, tb = as_row(a), as_row(b)
    better = False
    for k in objectives:
        get, sign = OBJECTIVES[k]
        va, vb = sign * get(ta), sign * get(tb)  # type: ignore[operator]  # candidates have them
        if va < vb:
            return False
        if va > vb:
            better = True
    return better


def pareto_front(rows: Sequence[Row], objectives: Sequence[str] | None = None) -> list[str]:
    """Names of the non-dominated variants, fastest first.

    Parameters
    ----------
    rows : sequence of VariantResult (or schema-1 dicts)
        Variant rows of a report.
    objectives : sequence of str, optional
        Keys of :data:`OBJECTIVES` to judge on (the window's latency-vs-accuracy chart draws
        the front of ``("latency", "accuracy")``); default: all of them. Only those every
        candidate has a number for count.

    Returns
    -------
    list of str
        Names on the front, ordered by p50 latency (then size).
    """
    cands = [as_row(r) for r in candidates(rows)]
    usable = usable_objectives(cands)
    objectives = [k for k in (objectives or OBJECTIVES) if k in usable]
    if not objectives:
        return []
    front = [r for r in cands if not any(dominates(o, r, objectives) for o in cands if o is not r)]
    return [r.name for r in sorted(front, key=_speed_key)]


def accuracy_drop(row: Row, baseline: float | None) -> float | None:
    """How much top-1 accuracy ``row`` lost against the original model; for another task,
    how much its metric lost (mean IoU, mAP@0.5: fraction; MAE: increase); None if unknown."""
    r = as_row(row)
    acc = r.top1
    if acc is None or baseline is None:
        return r.metric_drop
    return baseline - acc


@dataclass(frozen=True)
class Budget:
    """What "within budget" means for a recommendation, and why (shown to the user).

    ``basis`` is ``"accuracy"`` (labelled data: top-1 drop vs the original at most
    ``limit``), ``"fidelity"`` (real but unlabelled samples: top-1 agreement with the
    original at least ``limit``) or None (no recommendation is possible: ``reason`` says why).
    """

    basis: str | None
    limit: float | None
    reason: str


def budget_for(
    data_source: str,
    labelled: bool,
    baseline: float | None,
    degenerate: str | None,
    max_accuracy_drop: float,
    min_agreement: float | None = None,
    metric_label: str = "top-1 accuracy",
) -> Budget:
    """The budget a recommendation can honestly be made against on this data."""
    if data_source == "random":
        return Budget(
            None,
            None,
            (
                "no variant is recommended: the 'random' data source has neither labels (no accuracy) "
                "nor real inputs (agreement on noise says nothing about real inputs), so no variant can "
                "be vouched for. Use labelled data for an accuracy budget, or real unlabelled images "
                "(imagefolder:DIR with the images directly inside) for a fidelity budget"
            ),
        )
    if degenerate:
        return Budget(None, None, f"no variant is recommended: {degenerate}")
    if labelled and baseline is not None:
        return Budget(
            "accuracy",
            max_accuracy_drop,
            f"fastest variant losing at most {max_accuracy_drop:.2%} {metric_label} vs the "
            "original on held-out labelled samples",
        )
    limit = min_agreement if min_agreement is not None else round(1.0 - max_accuracy_drop, 6)
    return Budget(
        "fidelity",
        limit,
        f"the data has no labels, so there is no accuracy budget: fastest variant whose top-1 "
        f"agrees with the original on at least {limit:.2%} of the real held-out samples",
    )


def within_budget(row: Row, budget: Budget, baseline_accuracy: float | None) -> bool:
    if budget.limit is None:
        return False
    if budget.basis == "accuracy":
        drop = accuracy_drop(row, baseline_accuracy)
        return drop is not None and drop <= budget.limit + 1e-12
    if budget.basis == "fidelity":
        agreement = as_row(row).agreement
        return agreement is not None and agreement >= budget.limit - 1e-12
    return False


def recommend(
    rows: Sequence[Row],
    baseline_accuracy: float | None,
    budget: Budget | float,
    failed: set[str] | frozenset[str] = frozenset(),
) -> str | None:
    """The fastest variant within ``budget`` that failed no gate (None when none qualifies).

    ``budget`` is a :class:`Budget`, or a float: a max accuracy drop on labelled data.
    Without a basis (random data, degenerate outputs) nothing is recommended.
    """
    if not isinstance(budget, Budget):
        budget = Budget("accuracy", float(budget), "")
    if budget.basis is None:
        return None
    ok = [
        r
        for r in map(as_row, candidates(rows))
        if r.name not in failed and within_budget(r, budget, baseline_accuracy)
    ]
    return min(ok, key=_speed_key).name if ok else None


NOISE_FALLBACK = 0.05  # relative p50 difference treated as noise when no interval was measured


def within_noise(row: Row, fastest: Row) -> bool:
    """True when ``row``'s p50 cannot be told apart from ``fastest``'s (their 95% intervals
    overlap; without intervals, within 5%)."""
    a, b = as_row(row).latency_ms, as_row(fastest).latency_ms
    if a is None or b is None or a.p50 is None or b.p50 is None:
        return (a is None or a.p50 is None) and (b is None or b.p50 is None)
    if a.p50_ci and b.p50_ci:
        return a.p50_ci[0] <= b.p50_ci[1]
    return a.p50 <= b.p50 * (1 + NOISE_FALLBACK)


def latency_change(before: Row | None, after: Row | None) -> tuple[float, bool] | None:
    """(relative p50 change, within noise) of ``after`` against ``before`` (None when either
    has no p50 to compare).

    Within noise when the two p50 95% intervals overlap; rows without intervals count a
    change under ``NOISE_FALLBACK`` (5%) as noise.
    """
    a = as_row(before).latency_ms if before is not None else None
    b = as_row(after).latency_ms if after is not None else None
    if a is None or b is None or not a.p50 or b.p50 is None:
        return None
    rel = b.p50 / a.p50 - 1.0
    if a.p50_ci and b.p50_ci:
        noise = a.p50_ci[0] <= b.p50_ci[1] and b.p50_ci[0] <= a.p50_ci[1]
    else:
        noise = abs(rel) < NOISE_FALLBACK
    return rel, noise


def ship_choice(
    rows: Sequence[Row], fmt: str | Sequence[str], failed: set[str] | frozenset[str] = frozenset()
) -> Row | None:
    """The variant an app ships by default: among built rows in ``fmt`` that failed no gate,
    the smallest whose latency is within the measurement noise of the fastest.

    Shipping the fastest by a difference within noise (0.061 vs 0.066 ms) would pick a 4x
    larger artifact for nothing. When every row failed a gate, the rule runs on all of them
    (the export dialog and the report say so).
    """
    fmts = {fmt} if isinstance(fmt, str) else set(fmt)
    ok = [(r, t) for r, t in _typed(rows) if t.format in fmts and t.ok and t.artifact]
    if not ok:
        return None
    passing = [(r, t) for r, t in ok if t.name not in failed] or ok
    fastest = min((t for _, t in passing), key=_speed_key)
    close = [(r, t) for r, t in passing if within_noise(t, fastest)]
    if not close:
        close = [(r, t) for r, t in passing if t is fastest]
    best = min(close, key=lambda rt: (rt[1].size_bytes or float("inf"), _speed_key(rt[1])))
    return best[0]


def _speed_key(r: VariantResult) -> tuple[float, float]:
    p50, size = r.p50, r.size_bytes
    return (p50 if p50 is not None else float("inf"), size if size is not None else float("inf"))
