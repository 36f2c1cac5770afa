"""How numbers from a report are written in the window (the table, tooltips, charts).

Tests format report.json values with these same functions and compare them with the
table's cell text, so the window and the report cannot drift apart silently.
"""

from __future__ import annotations

NA = "n/a"


def fmt_bytes(n: float | None) -> str:
    """Size on disk: ``"11.09 MB"``, ``"842.3 kB"`` or ``"512 B"``."""
    if n is None:
        return NA
    if n >= 1e6:
        return f"{n / 1e6:.2f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{int(n)} B"


def fmt_count(n: int | None) -> str:
    """A parameter count with thousands separators."""
    return NA if n is None else f"{int(n):,}"


def fmt_ms(v: float | None) -> str:
    """A latency in milliseconds with three decimals."""
    return NA if v is None else f"{v:.3f}"


def fmt_pct(fraction: float | None, digits: int = 2) -> str:
    """A fraction 0..1 as a percentage: ``0.978 -> "97.80 %"``."""
    return NA if fraction is None else f"{fraction * 100:.{digits}f} %"


def fmt_sci(v: float | None) -> str:
    """A small difference such as max |Δ logit|: ``"3.1e-06"``."""
    if v is None:
        return NA
    return "0" if v == 0 else f"{v:.1e}"


def fmt_shape(shape) -> str:
    """``[1, 1, 28, 28] -> "1 × 1 × 28 × 28"``."""
    return NA if not shape else " × ".join(str(s) for s in shape)


GATE_LABELS = {
    "max_accuracy_drop": "accuracy",
    "max_size_bytes": "size",
    "max_latency_ms": "latency",
    "min_top1_agreement": "agreement",
    "min_snr_db": "SNR",
}
"""Short names of the recipe's ``[gates]`` keys, as the Gates column writes them."""

STATUS_MARKS = {"passed": "✓", "failed": "✗", "uncertain": "?", "n/a": "–"}


def gate_status(gate: dict) -> str:
    """``passed``, ``failed``, ``uncertain`` or ``n/a`` (older reports only have ``passed``)."""
    return gate.get("status") or ("passed" if gate.get("passed") else "failed")


def fmt_gate_limit(key: str, limit: float | None) -> str:
    """A gate's limit in the units the Gates form uses (accuracy drop in percentage points)."""
    if limit is None:
        return NA
    if key == "max_accuracy_drop":
        return f"{limit * 100:.2f} points"
    if key == "max_size_bytes":
        return fmt_bytes(limit)
    if key == "min_top1_agreement":
        return f"{limit * 100:.1f} %"
    if key == "min_snr_db":
        return f"{limit:.1f} dB"
    return f"{limit:.3f} ms"


def fmt_gate(gate: dict) -> str:
    """One ``report["gates"]`` entry: ``"✓ size 102.4 kB ≤ 5.00 MB"``."""
    key = gate.get("gate", "")
    status = gate_status(gate)
    mark = STATUS_MARKS.get(status, "?")
    label = GATE_LABELS.get(key, key)
    if gate.get("value") is None:
        return f"{mark} {label}: {gate.get('reason') or 'not measured'}"
    what = {
        "max_accuracy_drop": "accuracy drop",
        "max_latency_ms": "p50 latency",
        "min_top1_agreement": "top-1 agreement",
        "min_snr_db": "output SNR",
    }.get(key, label)
    op = "≥" if key.startswith("min_") else "≤"
    text = f"{mark} {what} {fmt_gate_limit(key, gate['value'])} {op} {fmt_gate_limit(key, gate.get('limit'))}"
    if status == "uncertain":
        text += " (within the measurement noise)"
    return text


def gates_cell(gates: list[dict]) -> str:
    """The Gates column: ``"✓ passed"``, ``"✗ size, latency"``, ``"? latency"`` (within the
    measurement noise) or ``""``."""
    if not gates:
        return ""
    failed = [
        GATE_LABELS.get(g.get("gate", ""), g.get("gate", ""))
        for g in gates
        if gate_status(g) == "failed"
    ]
    unsure = [
        GATE_LABELS.get(g.get("gate", ""), g.get("gate", ""))
        for g in gates
        if gate_status(g) == "uncertain"
    ]
    if failed:
        return "✗ " + ", ".join(dict.fromkeys(failed))
    if unsure:
        return "? " + ", ".join(dict.fromkeys(unsure))
    return "✓ passed"
