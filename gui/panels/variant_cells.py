"""The variants table's cells as text: measurements, gates, the "Δ p50" comparison, steps.

Pure functions over typed report rows (:class:`~deploy_studio.core.report.model.VariantResult`)
so the tests can format report.json values the same way and compare them with the table.
The metric and agreement columns follow the model's task (``task``: report.json's
``model.task``; None is a classifier).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from deploy_studio.core.pareto import latency_change
from deploy_studio.core.report.model import GateVerdict, VariantResult, as_row
from deploy_studio.gui.formatting import (
    fmt_bytes,
    fmt_count,
    fmt_fidelity,
    fmt_metric,
    fmt_ms,
    fmt_sci,
    gates_cell,
    row_fidelity,
    task_metric,
)

COLUMNS = [
    "",
    "Variant",
    "Format",
    "Steps",
    "Status",
    "Size",
    "Params",
    "p50 ms",
    "Δ p50",
    "p90 ms",
    "GFLOP/s",
    "Accuracy",
    "Agree",
    "Max |Δ|",
    "Gates",
]
COL_ON, COL_NAME, COL_FORMAT, COL_STEPS, COL_STATUS = 0, 1, 2, 3, 4
COL_SIZE, COL_PARAMS, COL_P50, COL_PREV, COL_P90, COL_GFLOPS = 5, 6, 7, 8, 9, 10
COL_ACC, COL_AGREE, COL_DIFF, COL_GATES = 11, 12, 13, 14
NUMERIC = {
    COL_SIZE,
    COL_PARAMS,
    COL_P50,
    COL_PREV,
    COL_P90,
    COL_GFLOPS,
    COL_ACC,
    COL_AGREE,
    COL_DIFF,
}
REUSED = "reused"
"""The Status of a row the build cache reused, unchanged (its tooltip says since when)."""
AMBER = "#c98a00"
NOT_MEASURED = "not measured here"
"""The latency of a built artifact this host cannot run (a Core ML- or Vulkan-delegated
``.pte``), in the latency chart; size and partition coverage are still shown."""
NOT_RUN_CELL = "not run"
"""The same in the narrow p50 cell (its tooltip: "not measured on this host: <why>")."""


def gates_text(gates: list[GateVerdict]) -> str:
    """The Gates cell: ``"✓ passed"``, ``"✗ size, latency"`` (failed), ``"? latency"`` (uncertain:
    the measurement cannot tell; the tooltip says why) or ``""`` when no gate applies."""
    text = gates_cell(gates)
    if text.startswith("?"):  # short enough for the column: the "?" says uncertain
        text = text.removesuffix(" uncertain")
    return text


def p50_change(
    prev: VariantResult | dict | None, row: VariantResult | dict | None
) -> tuple[float, bool] | None:
    """(relative p50 change, within noise) of ``row`` against ``prev`` (None: nothing to
    compare): the engine's rule, :func:`deploy_studio.core.pareto.latency_change`."""
    return latency_change(prev, row)


def prev_text(prev: VariantResult | None, row: VariantResult | None) -> str:
    """The "Δ p50" cell: ``"▼12%"`` (faster), ``"▲5.1%"`` (slower), ``"≈1.2%"`` (within noise),
    ``"same"`` (a reused row with the previous numbers), ``""`` (nothing to compare)."""
    change = p50_change(prev, row)
    if change is None or prev is None or row is None:
        return ""
    rel, noise = change
    if row.cached and prev.p50 == row.p50:
        return "same"
    pct = abs(rel) * 100
    mark = "≈" if noise else ("▼" if rel < 0 else "▲")
    return f"{mark}{pct:.1f}%" if pct < 10 else f"{mark}{pct:.0f}%"


def prev_tip(
    prev: VariantResult | None, row: VariantResult | None, task: dict | None = None
) -> str | None:
    """The "Δ p50" tooltip: the previous run's numbers next to this run's."""
    if prev is None:
        return None
    ci = prev.latency_ms.p50_ci if prev.latency_ms else None
    metric = task_metric(task)
    name = "accuracy" if metric.get("key") == "top1" else metric.get("label")
    lines = [
        f"previous run: p50 {fmt_ms(prev.p50)} ms"
        + (f" (95% interval {fmt_ms(ci[0])}–{fmt_ms(ci[1])})" if ci else "")
        + f", size {fmt_bytes(prev.size_bytes)}"
        + (f", {name} {fmt_metric(prev.metric, metric)}" if prev.metric is not None else "")
    ]
    change = p50_change(prev, row)
    if change is not None and row is not None:
        cci = row.latency_ms.p50_ci if row.latency_ms else None
        lines.append(
            f"this run: p50 {fmt_ms(row.p50)} ms"
            + (f" (95% interval {fmt_ms(cci[0])}–{fmt_ms(cci[1])})" if cci else "")
        )
        rel, noise = change
        lines.append(
            "within the measurement noise: the two 95% intervals overlap"
            if noise and ci and cci
            else "within the measurement noise (under 5%)"
            if noise
            else f"{'faster' if rel < 0 else 'slower'} by {abs(rel) * 100:.1f} %, beyond the measurement noise"
        )
    elif row is None or row.latency_ms is None:
        lines.append("not measured in this run yet")
    return "\n".join(lines)


def steps_text(steps) -> str:
    """``prune (structured-l1 0.5) → quantize (int8-static)`` for a list of step dicts/specs."""
    parts = []
    for s in steps or []:
        d = s if isinstance(s, dict) else s.to_dict()
        kind = d.get("kind", "?")
        detail = d.get("mode") or d.get("method") or d.get("student") or ""
        if kind == "prune" and "amount" in d:
            detail = f"{detail} {d['amount']:g}"
        parts.append(f"{kind} ({detail})" if detail else kind)
    return " → ".join(parts) or "—"


def cell_text(row: VariantResult | dict, col: int, task: dict | None = None) -> str:
    """The text of a measurement cell for a report row (the tests use this too); ``task``
    is the report's ``model.task`` (None: a classifier's top-1 and top-1 agreement)."""
    row = as_row(row)
    if col == COL_SIZE:
        return fmt_bytes(row.size_bytes)
    if col == COL_PARAMS:
        return fmt_count(row.params)
    if col == COL_P50:
        if row.p50 is None and row.not_runnable and not row.error:
            return NOT_RUN_CELL
        return fmt_ms(row.p50)
    if col == COL_P90:
        return fmt_ms(row.latency_ms.p90 if row.latency_ms else None)
    if col == COL_GFLOPS:
        return gflops_text(row)
    if col == COL_ACC:
        return fmt_metric(row.metric, task_metric(task))
    if col == COL_AGREE:
        return fmt_fidelity(row_fidelity(row, task), task)
    if col == COL_DIFF:
        return fmt_sci(row.parity.max_abs_diff if row.parity else None)
    return ""


def size_tip(row: VariantResult) -> str | None:
    """The Size tooltip: exact bytes and, for an ExecuTorch program, its partition coverage."""
    from deploy_studio.core.formats.pte_coverage import coverage_text

    if row.size_bytes is None:
        return None
    lines = [f"{row.size_bytes:,} bytes"]
    if row.coverage:
        lines.append("partition: " + coverage_text(row.coverage))
    return "\n".join(lines)


def latency_tip(row: VariantResult | None) -> str | None:
    """The p50 / p90 tooltip of a row that was not run here: why."""
    if row is None or row.latency_ms is not None or not row.not_runnable:
        return None
    return f"not measured on this host: {row.not_runnable}"


def gflops_text(row: VariantResult) -> str:
    """The GFLOP/s cell: the achieved rate and ``mem``/``comp`` (memory- or compute-bound on
    this host, see core/cost); empty without a cost."""
    cost = row.cost
    if not cost:
        return ""
    bound = {"memory": " mem", "compute": " comp"}.get(cost.get("bound") or "", "")
    return f"{cost['gflops_per_s']:.2f}{bound}"


def cost_tip(row: VariantResult | None) -> str | None:
    """The p50 tooltip's cost line (core/cost): FLOPs, weights read, GFLOP/s and whether the
    variant is compute- or memory-bound on this host; None without a cost."""
    cost = row.cost if row is not None else None
    if not cost:
        return None
    flops = cost["flops"]
    lines = [
        f"{flops / 1e6:,.2f} MFLOP per inference, {cost['gflops_per_s']:.2f} GFLOP/s achieved",
    ]
    if cost.get("weight_bytes") is not None:
        lines.append(f"weights read: {fmt_bytes(cost['weight_bytes'])} ({cost.get('method', '')})")
    if cost.get("bound"):
        share = cost.get("of_peak")
        lines.append(
            f"{cost['bound']}-bound on this host"
            + (f", at {share:.0%} of the attainable GFLOP/s" if share is not None else "")
        )
    return "\n".join(lines)


def metrics_tip(row: VariantResult, task: dict | None) -> str:
    """Every figure the task measured on the row (``mean IoU 81.20 %, pixel accuracy ...``)."""
    n = row.accuracy.samples if row.accuracy else 0
    figures = (row.accuracy.metrics if row.accuracy else None) or {}
    known = {m["key"]: m for m in (task or {}).get("metrics") or []}
    parts = [
        f"{known.get(k, {}).get('label', k)} {fmt_metric(v, known.get(k, task_metric(task)))}"
        for k, v in figures.items()
    ]
    drop = row.metric_drop
    if drop is not None and (task or {}).get("metric"):
        metric = task_metric(task)
        change = fmt_metric(abs(drop), metric).replace(" %", " points")
        parts.append(f"{'lost' if drop > 0 else 'gained'} {change} vs the original")
    return f"on {n} held-out samples" + (": " + ", ".join(parts) if parts else "")


def swatch(color: QColor, size: int = 12) -> QIcon:
    """A small rounded colour square for a variant."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(color)
    p.setPen(color.darker(130))
    p.drawRoundedRect(0.5, 0.5, size - 1, size - 1, 3, 3)
    p.end()
    return QIcon(pm)
