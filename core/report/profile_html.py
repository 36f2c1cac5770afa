"""report.html sections of ``[benchmark] profile = true`` and of ExecuTorch partitions: memory
and start-up per variant, delegation coverage per ExecuTorch program, the per-operator
profile of each profiled variant (a chart of the top operators and their table) and two
profiles side by side. Every string from the model or the user is escaped."""

from __future__ import annotations

from html import escape

from deploy_studio.core.report.charts import bar_chart
from deploy_studio.core.report.model import Report, VariantResult

TOP = 10  # operators in a profile's chart and in the side-by-side comparison
PORTABLE = "portable"
PORTABLE_COLOUR = "#C44E52"
DELEGATE_COLOURS = ["#4C72B0", "#55A868", "#8172B3", "#937860", "#64B5CD", "#CCB974"]


def _num(v, spec: str, none: str = "n/a") -> str:
    return none if v is None else format(v, spec)


def _bytes(n: int | None, none: str = "n/a") -> str:
    if n is None:
        return none
    if abs(n) >= 1e6:
        return f"{n / 1e6:.2f} MB"
    return f"{n / 1e3:.1f} KB"


def profiled(r: VariantResult) -> bool:
    """A row with an available profile that has operator rows."""
    p = r.profile or {}
    return not r.error and bool(p.get("rows")) and not _unavailable(p)


def _unavailable(p: dict) -> bool:
    return str(p.get("source", "")).startswith("not available")


def _label(row: dict, limit: int = 52) -> str:
    """``op (layer)``: the model itself is ``(model)``, an unmapped op has no layer."""
    layer = row.get("layer")
    text = str(row.get("op"))
    if layer is not None:
        text += f" ({layer or 'model'})"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _delegate_colours(rows: list[dict]) -> dict:
    """One colour per delegate, portable kernels always in red."""
    out: dict = {PORTABLE: PORTABLE_COLOUR}
    for row in rows:
        d = row.get("delegate")
        if d not in out:
            out[d] = DELEGATE_COLOURS[(len(out) - 1) % len(DELEGATE_COLOURS)]
    return out


def _delegate_cell(d) -> str:
    if d == PORTABLE:
        return '<td><span class="badge portable">portable</span></td>'
    return f"<td>{escape(str(d)) if d is not None else 'n/a'}</td>"


def _per_run(p: dict, ms) -> float | None:
    runs = p.get("runs") or 0
    return None if ms is None or not runs else ms / runs


def _op_table(p: dict, rows: list[dict], compact: bool = False) -> str:
    """The operator rows; ``compact`` (side by side): ``op (layer)`` in one column, no calls."""
    trs = ""
    for row in rows:
        cls = ' class="portable"' if row.get("delegate") == PORTABLE else ""
        layer = row.get("layer")
        layer_txt = "n/a" if layer is None else (escape(layer) or "(model)")
        share = row.get("share")
        op = escape(_label(row, 80)) if compact else escape(str(row.get("op")))
        trs += (
            f"<tr{cls}><td>{op}</td>"
            + ("" if compact else f"<td>{layer_txt}</td>")
            + _delegate_cell(row.get("delegate"))
            + ("" if compact else f'<td class="n">{row.get("calls")}</td>')
            + f'<td class="n">{_num(_per_run(p, row.get("total_ms")), ".4f")}</td>'
            f'<td class="n">{_num(None if share is None else share * 100, ".1f")}</td></tr>'
        )
    head = "<th>op (layer)</th>" if compact else "<th>op</th><th>layer</th>"
    calls = "" if compact else "<th>calls</th>"
    return (
        f'<table class="ops"><tr>{head}<th>delegate</th>{calls}<th>ms per run</th>'
        f"<th>share %</th></tr>{trs}</table>"
    )


def _overhead_line(p: dict) -> str:
    total, ops = _per_run(p, p.get("total_ms")), _per_run(p, p.get("ops_ms"))
    if total is None or ops is None:
        return ""
    pct = f" ({ops / total * 100:.0f}%)" if total else ""
    return (
        f"Operators account for {ops:.4f} of {total:.4f} ms per run{pct}; the rest is "
        "runtime overhead (input copies, dispatch between operators)."
    )


def profile_section(report: Report) -> str:
    """Per profiled variant: the top operators' chart (coloured by delegate, portable kernels
    red) and table, the source, the operators' share of the run, the hints."""
    out = ""
    for r in report.variants:
        p = r.profile
        if not p or r.error:
            continue
        name = escape(r.name)
        if _unavailable(p) or not p.get("rows"):
            why = escape(str(p.get("source"))) if _unavailable(p) else "no operator rows"
            out += f'<h3>Profile: {name}</h3><p class="meta">Profile {why}.</p>'
            continue
        rows = p["rows"]
        top = rows[:TOP]
        colours = _delegate_colours(rows)
        svg = bar_chart(
            f"Top operators of {r.name} (ms per run)",
            [_label(x) + (" [portable]" if x.get("delegate") == PORTABLE else "") for x in top],
            [_per_run(p, x.get("total_ms")) for x in top],
            "ms",
            fmt="{:.4f}",
            colours=[colours[x.get("delegate")] for x in top],
            left=400,
            width=820,
        )
        legend = " ".join(
            f'<span class="sw" style="background:{c}"></span>{escape(str(d))}'
            for d, c in colours.items()
            if any(x.get("delegate") == d for x in top)
        )
        shown = len(rows)
        total_rows = p.get("rows_total") or shown
        more = f" (the top {shown} of {total_rows})" if total_rows > shown else ""
        hints = "".join(f"<li>hint: {escape(h)}</li>" for h in p.get("hints") or [])
        out += (
            f"<h3>Profile: {name}</h3>"
            f'<p class="meta">source: {escape(str(p.get("source")))} · {p.get("runs")} profiled '
            f"runs · {_overhead_line(p)}</p>"
            f'<div class="chart">{svg}</div><p class="legend">{legend}</p>'
            f"<p>Operators by time{more}:</p>{_op_table(p, rows)}"
            + (f'<ul class="hints">{hints}</ul>' if hints else "")
        )
    if not out:
        return ""
    return (
        "<h2>Per-operator profiles</h2><p>Each runtime's own profiler over the profiled runs: "
        "time per run of every operator (an ExecuTorch delegate block, an ONNX Runtime node, "
        "an aten op for eager), the layer of the original model it maps back to, and who ran "
        "it. Operators on ExecuTorch's <b>portable</b> kernels (not delegated) are red.</p>" + out
    )


def _quantized(r: VariantResult) -> bool:
    return any(
        s.get("kind") == "quantize" and "int8" in str(s.get("mode", "")) for s in r.steps or []
    )


def _fastest(rows: list[VariantResult]) -> VariantResult | None:
    timed = [r for r in rows if r.p50 is not None]
    return min(timed, key=lambda r: float(r.p50 or 0.0)) if timed else (rows[0] if rows else None)


def compare_pair(report: Report) -> tuple[VariantResult, VariantResult, str] | None:
    """The fastest fp32 and the fastest int8 profiled variant, else the first two profiled;
    with the sentence saying which were picked and why."""
    rows = [r for r in report.variants if profiled(r)]
    if len(rows) < 2:
        return None
    fp32 = _fastest([r for r in rows if not any(s.get("kind") == "quantize" for s in r.steps)])
    int8 = _fastest([r for r in rows if _quantized(r)])
    if fp32 and int8:
        return fp32, int8, "the fastest fp32 and the fastest int8 variant (by p50)"
    return rows[0], rows[1], "the first two profiled variants (no fp32 and int8 pair)"


def compare_section(report: Report) -> str:
    """The top operators of two profiled variants side by side."""
    pair = compare_pair(report)
    if pair is None:
        return ""
    a, b, why = pair
    cols = ""
    for r in (a, b):
        p = r.profile or {}
        total = _per_run(p, p.get("total_ms"))
        cols += (
            f'<div class="col"><h3>{escape(r.name)}</h3><p class="meta">p50 '
            f"{_num(r.p50, '.3f')} ms · profiled {_num(total, '.4f')} ms per run · "
            f"{escape(str(p.get('source')))}</p>{_op_table(p, p['rows'][:TOP], compact=True)}</div>"
        )
    return (
        f"<h2>Compare profiles</h2><p>The top {TOP} operators of {escape(a.name)} and "
        f"{escape(b.name)}: {escape(why)}.</p>"
        f'<div class="compare">{cols}</div>'
    )


def _load_cell(r: VariantResult, key: str) -> str:
    if r.load_ms and r.load_ms.get(key) is not None:
        return f'<td class="n">{r.load_ms[key]:.2f}</td>'
    if r.format == "eager":
        return '<td class="muted" title="an in-memory module: no file to load">n/a (eager)</td>'
    return f'<td class="muted">{_missing(r)}</td>'


def _missing(r: VariantResult) -> str:
    if r.error:
        return "failed"
    if r.not_runnable:
        return "not measured here"
    return "not measured"


def memory_section(report: Report) -> str:
    """One row per variant: size, p50, load time cold/warm, peak memory and its growth over
    the runtime's imports, ExecuTorch's planned memory."""
    if not any(r.memory or r.load_ms or r.profile for r in report.variants):
        return ""
    trs = ""
    for r in report.variants:
        m = r.memory or {}
        size = None if r.size_bytes is None else r.size_bytes / 1e6
        if m.get("peak_rss_bytes") is not None:
            peak = m["peak_rss_bytes"]
            growth = peak - (m.get("baseline_rss_bytes") or 0)
            method = escape(str(m.get("method", "")))
            mem = (
                f'<td class="n" title="{method}">{peak / 1e6:.1f}</td>'
                f'<td class="n">{growth / 1e6:+.1f}</td>'
            )
        else:
            why = (
                "not measured (eager: an in-memory module)"
                if r.format == "eager" and not r.error
                else _missing(r)
            )
            mem = f'<td class="muted" colspan="2">{why}</td>'
        planned = (
            _bytes(m.get("planned_bytes"), _missing(r) if not m else "n/a")
            if r.format == "pte"
            else "—"
        )
        trs += (
            f"<tr><td>{escape(r.name)}</td><td>{escape(r.format)}</td>"
            f'<td class="n">{_num(size, ".2f")}</td><td class="n">{_num(r.p50, ".3f")}</td>'
            + _load_cell(r, "cold")
            + _load_cell(r, "warm")
            + mem
            + f'<td class="n">{planned}</td></tr>'
        )
    return (
        '<h2 id="memory">Memory and start-up</h2><p>Load time: opening the artifact in a fresh '
        "process, the first time (cold; the file is usually in the OS page cache already) and "
        "again after closing it (warm). Peak RSS: the process's peak resident memory after "
        "loading and running the artifact; growth: over the memory right after importing the "
        "runtime. Planned: an ExecuTorch program's memory-planned buffers (activations between "
        "operators; a delegate's own workspace is not in it; — for other formats).</p>"
        "<table><tr><th>variant</th><th>format</th><th>size MB</th><th>p50 ms</th>"
        "<th>load cold ms</th><th>load warm ms</th><th>peak RSS MB</th><th>growth MB</th>"
        f"<th>planned memory</th></tr>{trs}</table>"
    )


def coverage_section(report: Report) -> str:
    """Per ExecuTorch program: ops inside the delegate and outside, the FLOPs' share inside,
    the ops left on portable kernels with their counts, and the hints for them."""
    rows = [r for r in report.variants if r.coverage and not r.error]
    if not rows:
        return ""
    trs, hints = "", ""
    for r in rows:
        c = r.coverage or {}
        total, inside = c.get("ops_total") or 0, c.get("ops_delegated") or 0
        share = c.get("flops_delegated_share")
        outside = c.get("undelegated") or {}
        names = (
            "<br>".join(
                f'<span class="{PORTABLE}-op">{escape(str(k))}</span> x{int(v)}'
                for k, v in outside.items()
            )
            or "none"
        )
        cls = ' class="portable"' if outside else ""
        trs += (
            f"<tr{cls}><td>{escape(r.name)}</td><td>{escape(str(c.get('delegate')))}</td>"
            f'<td class="n">{inside}/{total}</td><td class="n">{total - inside}</td>'
            f'<td class="n">{_num(None if share is None else share * 100, ".1f")}</td>'
            f"<td>{names}</td></tr>"
        )
        hints += "".join(
            f"<li><b>{escape(r.name)}</b> hint: {escape(h)}</li>" for h in c.get("hints") or []
        )
    return (
        '<h2 id="coverage">Delegation coverage</h2><p>Each ExecuTorch program\'s lowered graph: '
        "the operators the delegate took and those left outside it, which run on ExecuTorch's "
        "portable kernels (plain C++, often much slower), and the share of the conv, linear "
        "and matmul FLOPs inside the delegate.</p>"
        "<table><tr><th>variant</th><th>delegate</th><th>ops delegated</th><th>ops outside</th>"
        f"<th>FLOPs delegated %</th><th>outside the delegate</th></tr>{trs}</table>"
        + (f'<ul class="hints">{hints}</ul>' if hints else "")
    )
