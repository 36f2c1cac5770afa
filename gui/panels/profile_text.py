"""The words and numbers of the Profile tab, from a report row (pure functions, no Qt).

A row's ``profile`` / ``memory`` / ``load_ms`` / ``coverage`` / ``threads_scaling`` are the
report's (see ``core/report/model.py``); these helpers turn them into the lines, table cells
and chart bars the tab shows, so tests can compare them with report.json directly.
"""

from __future__ import annotations

from deploy_studio.core.formats.pte_coverage import coverage_text
from deploy_studio.gui.formatting import NA, fmt_bytes

PORTABLE = "portable"
TOP_OPS = 10


def per_run(ms: float | None, runs: int | None) -> float | None:
    """A summed time as milliseconds per profiled run."""
    if ms is None or not runs:
        return None
    return ms / runs


def op_label(r: dict) -> str:
    """``aten.cumsum.default (cumsum)``: the op and, where the runtime maps it, its layer."""
    layer = r.get("layer")
    return f"{r.get('op')} ({layer})" if layer else str(r.get("op"))


def top_ops(profile: dict | None, n: int = TOP_OPS) -> list[tuple[str, float, str | None]]:
    """The ``n`` most expensive rows as (label, ms per run, delegate), most time first."""
    if not profile or not profile.get("rows"):
        return []
    runs = profile.get("runs") or 1
    rows = sorted(profile["rows"], key=lambda r: -(r.get("total_ms") or 0))[:n]
    return [(op_label(r), (r.get("total_ms") or 0) / runs, r.get("delegate")) for r in rows]


def table_cells(profile: dict | None) -> list[list[str]]:
    """The op table: op, layer, delegate, calls, ms per run, share."""
    if not profile:
        return []
    runs = profile.get("runs") or 1
    out = []
    for r in profile.get("rows") or []:
        share = r.get("share")
        out.append(
            [
                str(r.get("op")),
                NA if r.get("layer") is None else (r.get("layer") or "(model)"),
                str(r.get("delegate") or NA),
                str(round((r.get("calls") or 0) / runs)),
                f"{(r.get('total_ms') or 0) / runs:.4f}",
                NA if share is None else f"{share * 100:.1f} %",
            ]
        )
    return out


def summary_line(row) -> str:
    """Where the profile comes from and how much of the run the operators account for."""
    p = row.profile
    if not p:
        if row.not_runnable:
            return f"Not profiled here: {row.not_runnable}"
        return "Not profiled: turn on “Profile” in the Samples panel and build again."
    source = str(p.get("source") or "")
    if source.startswith("not available"):
        return f"No per-operator profile: {source.removeprefix('not available: ')}"
    total, ops = per_run(p.get("total_ms"), p.get("runs")), per_run(p.get("ops_ms"), p.get("runs"))
    text = f"{source}, {p.get('runs')} runs"
    if total:
        text += f": operators {ops:.3f} of {total:.3f} ms per run"
        if ops is not None:
            text += f" ({ops / total * 100:.0f} %; the rest is the runtime's own work)"
    shown, whole = len(p.get("rows") or []), p.get("rows_total")
    if whole and whole > shown:
        text += f"; top {shown} of {whole} ops"
    return text


def coverage_line(row) -> str:
    """The ExecuTorch program's delegation coverage and its hints ("" when none)."""
    cov = row.coverage
    if not cov:
        return ""
    text = "Delegation: " + coverage_text(cov)
    hints = cov.get("hints") or []
    if hints:
        text += "\n" + "\n".join(f"• {h}" for h in hints)
    return text


def memory_cells(row) -> list[str]:
    """Load cold, load warm, peak RSS, growth over the baseline, planned (ExecuTorch)."""
    load, mem = row.load_ms or {}, row.memory or {}
    peak, base = mem.get("peak_rss_bytes"), mem.get("baseline_rss_bytes")
    return [
        NA if load.get("cold") is None else f"{load['cold']:.2f}",
        NA if load.get("warm") is None else f"{load['warm']:.2f}",
        fmt_bytes(peak),
        fmt_bytes(peak - base) if peak is not None and base is not None else NA,
        fmt_bytes(mem.get("planned_bytes")) if mem.get("planned_bytes") is not None else NA,
    ]


def memory_line(row) -> str:
    """One line: load times, peak memory and planned memory of the variant."""
    if not row.memory and not row.load_ms:
        if row.format == "eager":
            return "Memory and load time: not measured for eager (an in-memory module)"
        return "Memory and load time: not measured"
    cold, warm, peak, grow, planned = memory_cells(row)
    text = f"Load {cold} ms cold, {warm} ms warm · peak RSS {peak} (+{grow} for the model)"
    if planned != NA:
        text += f" · planned {planned}"
    return text


def scaling_points(row) -> list[tuple[int, float]]:
    """(threads, p50) of a variant measured at several thread counts, by thread count."""
    pts = [
        (int(t["threads"]), float(t["p50"]))
        for t in row.threads_scaling or []
        if t.get("p50") is not None
    ]
    return sorted(pts)
