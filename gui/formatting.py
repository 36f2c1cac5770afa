"""How numbers from a report are written in the window (the table, tooltips, charts).

Tests format report.json values with these same functions and compare them with the
table's cell text, so the window and the report cannot drift apart silently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deploy_studio.core.report.model import GateVerdict

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


STATUS_MARKS = {"passed": "✓", "failed": "✗", "uncertain": "?", "n/a": "–"}


def gate_label(key: str, short: bool = False) -> str:
    """What gate ``key`` measures (``"p50 latency"``), or its short name for the Gates column
    (``"latency"``): the engine's labels, :data:`deploy_studio.core.gates.RULES`."""
    from deploy_studio.core.gates import RULES

    rule = RULES.get(key)
    if rule is None:
        return key
    return (rule.short or rule.label) if short else rule.label


def fmt_gate_limit(key: str, limit: float | None) -> str:
    """A gate's limit in the units the Gates form uses (accuracy drop in percentage points)."""
    if limit is None:
        return NA
    if key == "max_accuracy_drop":
        return f"{limit * 100:.2f} points"
    if key == "max_metric_drop":
        return f"{limit:.4g}"
    if key == "max_size_bytes":
        return fmt_bytes(limit)
    if key == "min_top1_agreement":
        return f"{limit * 100:.1f} %"
    if key == "min_snr_db":
        return f"{limit:.1f} dB"
    return f"{limit:.3f} ms"


def fmt_gate(gate: GateVerdict) -> str:
    """One gate verdict: ``"✓ size 102.4 kB ≤ 5.00 MB"``."""
    from deploy_studio.core.gates import RULES

    mark = STATUS_MARKS.get(gate.status, "?")
    if gate.value is None:
        return f"{mark} {gate_label(gate.gate, short=True)}: {gate.reason or 'not measured'}"
    rule = RULES.get(gate.gate)
    op = "≥" if rule is not None and rule.higher_is_better else "≤"
    text = (
        f"{mark} {gate_label(gate.gate)} {fmt_gate_limit(gate.gate, gate.value)} {op} "
        f"{fmt_gate_limit(gate.gate, gate.limit)}"
    )
    if gate.status == "uncertain":
        text += " (within the measurement noise)"
    return text


def gates_cell(gates: list[GateVerdict]) -> str:
    """The Gates column: ``"✓ passed"``, ``"✗ size, latency"``, ``"? latency"`` (within the
    measurement noise) or ``""``."""
    if not gates:
        return ""
    failed = [gate_label(g.gate, short=True) for g in gates if g.status == "failed"]
    unsure = [gate_label(g.gate, short=True) for g in gates if g.status == "uncertain"]
    if failed:
        return "✗ " + ", ".join(dict.fromkeys(failed))
    if unsure:
        return "? " + ", ".join(dict.fromkeys(unsure))
    return "✓ passed"


# --- tasks ----------------------------------------------------------------------------
CLASSIFICATION = {
    "name": "classification",
    "label": "Classification",
    "metric": {
        "key": "top1",
        "label": "top-1 accuracy",
        "higher_is_better": True,
        "unit": "percent",
    },
    "agreement": "top-1 agreement",
}
"""The task of a report or model that names none (as ``Report.task`` reads it)."""
COSINE = "cosine"
"""The fidelity figure of a task without an agreement (embedding, generic, regression)."""


def task_metric(task: dict | None) -> dict:
    """The task's metric ``{key, label, higher_is_better, unit}`` (top-1 without a task)."""
    return (task or CLASSIFICATION).get("metric") or CLASSIFICATION["metric"]


def is_percent(metric: dict) -> bool:
    return metric.get("unit", "percent") == "percent"


def fmt_metric(value: float | None, metric: dict, digits: int = 2) -> str:
    """A value of a task's metric: a percentage (``"81.20 %"``) or a plain number (``"0.0412"``)."""
    if value is None:
        return NA
    return fmt_pct(value, digits) if is_percent(metric) else f"{value:.4g}"


def metric_axis(metric: dict) -> str:
    """A chart axis for the metric: ``"top-1 %"``, ``"mean IoU %"``, ``"MAE (lower is better)"``."""
    label = "top-1" if metric.get("key") == "top1" else metric.get("label", "accuracy")
    text = f"{label} %" if is_percent(metric) else label
    return text if metric.get("higher_is_better", True) else f"{text} (lower is better)"


def metric_title(metric: dict) -> str:
    """A chart title for the metric: ``"Accuracy"`` for top-1, else its label capitalised."""
    if metric.get("key") == "top1":
        return "Accuracy"
    label = metric.get("label", "accuracy")
    return label[:1].upper() + label[1:]


def metric_column(metric: dict) -> str:
    """The variants table's header for the metric (``"Accuracy"``, ``"mean IoU"``, ``"MAE"``)."""
    if metric.get("key") == "top1":
        return "Accuracy"
    return "cosine" if metric.get("key") == "cosine" else metric.get("label", "Metric")


def agreement_label(task: dict | None) -> str:
    """The task's fidelity figure: ``"top-1 agreement"``, ``"pixel agreement"``... or cosine."""
    return (task or CLASSIFICATION).get("agreement") or COSINE


def row_fidelity(row, task: dict | None) -> float | None:
    """A row's figure for :func:`agreement_label`: its agreement, or its cosine."""
    if (task or CLASSIFICATION).get("agreement"):
        return row.agreement
    return row.parity.cosine if row.parity else None


def fmt_fidelity(value: float | None, task: dict | None) -> str:
    """``"98.4 %"`` for an agreement, ``"0.9998"`` for a cosine."""
    if value is None:
        return NA
    return fmt_pct(value, 1) if (task or CLASSIFICATION).get("agreement") else f"{value:.4f}"
