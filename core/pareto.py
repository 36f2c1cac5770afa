"""Pareto front and recommendation over measured variant rows (pure functions, no I/O).

A variant is on the front when no other variant is at least as good on every objective
(lower p50 latency, smaller size, higher top-1 accuracy) and strictly better on one. Rows
with an error, and rows whose latency cannot be measured here (Core ML on Linux), are left
out. Accuracy counts when the data is labelled; on the ``random`` data source nobody has
one, and the front is over latency and size only. A missing number never decides.
"""

from __future__ import annotations

from collections.abc import Sequence

# objective name -> (how to read it from a row, +1 to maximise / -1 to minimise)
OBJECTIVES = {
    "latency": (lambda r: (r.get("latency_ms") or {}).get("p50"), -1),
    "size": (lambda r: r.get("size_bytes"), -1),
    "accuracy": (lambda r: (r.get("accuracy") or {}).get("top1"), +1),
}


def candidates(rows: Sequence[dict]) -> list[dict]:
    """Rows that built and have a p50 latency and a size (and an accuracy, when any row has one)."""
    get_lat, get_size, get_acc = (OBJECTIVES[k][0] for k in ("latency", "size", "accuracy"))
    built = [r for r in rows if not r.get("error") and get_lat(r) is not None and get_size(r) is not None]
    with_acc = [r for r in built if get_acc(r) is not None]
    return with_acc or built


def usable_objectives(rows: Sequence[dict]) -> list[str]:
    """The objectives every candidate row has a number for."""
    return [k for k, (get, _) in OBJECTIVES.items() if rows and all(get(r) is not None for r in rows)]


def dominates(a: dict, b: dict, objectives: Sequence[str]) -> bool:
    """True when ``a`` is at least as good as ``b`` on every objective and better on one."""
    better = False
    for k in objectives:
        get, sign = OBJECTIVES[k]
        va, vb = sign * get(a), sign * get(b)
        if va < vb:
            return False
        if va > vb:
            better = True
    return better


def pareto_front(rows: Sequence[dict]) -> list[str]:
    """Names of the non-dominated variants, fastest first.

    Parameters
    ----------
    rows : sequence of dict
        Variant rows of a report (``name``, ``latency_ms.p50``, ``size_bytes``,
        ``accuracy.top1``, ``error``).

    Returns
    -------
    list of str
        Names on the front, ordered by p50 latency (then size).
    """
    cands = candidates(rows)
    objectives = usable_objectives(cands)
    if not objectives:
        return []
    front = [r for r in cands if not any(dominates(o, r, objectives) for o in cands if o is not r)]
    return [r["name"] for r in sorted(front, key=_speed_key)]


def accuracy_drop(row: dict, baseline: float | None) -> float | None:
    """How much top-1 accuracy ``row`` lost against the original model (None if unknown)."""
    acc = (row.get("accuracy") or {}).get("top1")
    if acc is None or baseline is None:
        return None
    return baseline - acc


def recommend(rows: Sequence[dict], baseline_accuracy: float | None, max_accuracy_drop: float) -> str | None:
    """The fastest variant whose accuracy drop vs the original is within ``max_accuracy_drop``.

    When accuracy is unknown (unlabelled data) every built variant is within budget, so the
    fastest one is recommended. Returns None when no variant qualifies.
    """
    ok = []
    for r in candidates(rows):
        drop = accuracy_drop(r, baseline_accuracy)
        if drop is None and baseline_accuracy is not None:
            continue  # labelled data but this row has no accuracy: cannot vouch for it
        if drop is None or drop <= max_accuracy_drop + 1e-12:
            ok.append(r)
    return min(ok, key=_speed_key)["name"] if ok else None


def _speed_key(r: dict):
    p50 = (r.get("latency_ms") or {}).get("p50")
    size = r.get("size_bytes")
    return (p50 if p50 is not None else float("inf"), size if size is not None else float("inf"))
