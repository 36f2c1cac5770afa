"""Successive halving for ``tune``: which short-measured candidates earn the full measurement.

Stage 1 measures every candidate briefly (a few timed runs); :func:`halve` keeps those that
can still matter and says, per dropped candidate, why it cannot: it is outside the
accuracy budget, or another candidate dominates it *by a margin* (at least as accurate, no
larger, and more than :data:`LATENCY_MARGIN` faster: a gap a short measurement's noise does
not explain). A candidate on the front of the short measurement is never dominated, so the
front always survives. Pure functions over report rows; deterministic for given rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploy_studio.core.pareto import (
    Budget,
    accuracy_drop,
    candidates,
    usable_objectives,
    within_budget,
)
from deploy_studio.core.report.model import VariantResult, as_row

LATENCY_MARGIN = 0.10  # a dominating candidate must be this much faster (relative p50)


def dominates_by_margin(
    a: VariantResult, b: VariantResult, objectives: Sequence[str], margin: float = LATENCY_MARGIN
) -> bool:
    """``a`` is at least as accurate and as small as ``b``, and faster by more than ``margin``
    (latency counts only when it is an objective; then it must decide by the margin)."""
    if "accuracy" in objectives and (a.top1 or 0.0) < (b.top1 or 0.0):
        return False
    if "size" in objectives and (a.size_bytes or 0) > (b.size_bytes or 0):
        return False
    if "latency" in objectives:
        return a.p50 is not None and b.p50 is not None and a.p50 * (1.0 + margin) < b.p50
    return False


def halve(
    rows: Sequence[VariantResult | dict],
    baseline: float | None,
    budget: Budget,
    keep: Sequence[str] = (),
    margin: float = LATENCY_MARGIN,
) -> tuple[list[str], dict[str, str]]:
    """``(survivors, {dropped name: reason})`` of stage-1 ``rows``, in row order.

    ``keep`` always survive (the original model: the reference every row is compared with).
    Rows that did not build, or whose latency is not measured here, are dropped with that
    reason: there is nothing to measure again.
    """
    typed = [as_row(r) for r in rows]
    measured = {r.name for r in map(as_row, candidates(typed))}
    cands = [r for r in typed if r.name in measured]
    objectives = usable_objectives(cands)
    survivors: list[str] = []
    dropped: dict[str, str] = {}
    for r in typed:
        if r.name in keep:
            survivors.append(r.name)
        elif not r.ok:
            dropped[r.name] = "failed: " + (r.error or "error").splitlines()[0][:160]
        elif r.name not in measured:
            dropped[r.name] = "no latency or accuracy measured here: nothing to compare"
        elif budget.basis is not None and not within_budget(r, budget, baseline):
            dropped[r.name] = _outside(r, budget, baseline)
        else:
            by = _dominator(r, cands, objectives, margin)
            if by is None:
                survivors.append(r.name)
            else:
                dropped[r.name] = (
                    f"dominated by {by.name}: p50 {by.p50:.4g} vs {r.p50:.4g} ms "
                    f"(> {margin:.0%} faster), no larger, no less accurate"
                )
    return survivors, dropped


def _dominator(
    r: VariantResult, cands: list[VariantResult], objectives: Sequence[str], margin: float
) -> VariantResult | None:
    """The fastest candidate dominating ``r`` by the margin (None when none does)."""
    by = [o for o in cands if o is not r and dominates_by_margin(o, r, objectives, margin)]
    return min(by, key=lambda o: (o.p50, o.size_bytes or 0, o.name)) if by else None


def _outside(r: VariantResult, budget: Budget, baseline: float | None) -> str:
    if budget.basis == "accuracy":
        drop = accuracy_drop(r, baseline)
        shown = f"{drop:.2%}" if drop is not None else "an unknown amount"
        return f"outside the accuracy budget: loses {shown} (budget {budget.limit:.2%})"
    agreement = r.agreement
    shown = f"{agreement:.2%}" if agreement is not None else "unknown"
    return f"outside the fidelity budget: top-1 agreement {shown} (at least {budget.limit:.2%})"
