"""report.html sections of the diagnostics rows carry: latency per thread count and the int8
numerical debugger's per-layer error (see ``core/steps/_numerics.py``)."""

from __future__ import annotations

from html import escape

from deploy_studio.core.report.charts import colour, line_chart
from deploy_studio.core.report.model import Report


def _num(v, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def threads_chart(report: Report) -> str:
    """p50 and the speed-up over the first count against the thread count, one line per
    variant (its colour in the variants table)."""
    series = [
        (r.name, {int(t["threads"]): t.get("p50") for t in r.threads_scaling}, colour(i))
        for i, r in enumerate(report.variants)
        if r.threads_scaling and not r.error
    ]
    if not series:
        return ""
    counts = sorted({n for _, p50, _ in series for n in p50})
    first = next(iter(series[0][1]))  # the headline count: every variant's first entry

    def gain(p50: dict, n: int) -> float | None:
        base, here = p50.get(first), p50.get(n)
        return base / here if base and here else None

    latency = line_chart(
        "Latency p50 by thread count",
        counts,
        [(name, [p50.get(n) for n in counts], col) for name, p50, col in series],
        "p50 ms",
        x_label="threads",
        width=560,
    )
    speedup = line_chart(
        f"Speed-up over {first} thread(s)",
        counts,
        [(name, [gain(p50, n) for n in counts], col) for name, p50, col in series],
        "speed-up",
        x_label="threads",
        width=560,
    )
    return (
        "<h2>Thread scaling</h2><p>Each variant's latency at every thread count of "
        "<code>[benchmark] threads</code> (same warm-up and runs): its p50, and the speed-up "
        "over the first count (a flat line gains nothing from more threads). In the tables, "
        "applied is the count the runtime reported it ran with.</p>"
        f'<div class="compare"><div class="chart">{latency}</div><div class="chart">{speedup}</div></div>'
    )


def threads_section(report: Report) -> str:
    """The scaling charts, then one small table per variant measured at several counts."""
    out = ""
    for r in report.variants:
        if not r.threads_scaling or r.error:
            continue
        base = r.threads_scaling[0].get("p50")
        rows = "".join(
            f'<tr><td class="n">{int(t["threads"])}</td><td class="n">{_num(t.get("p50"), ".3f")}</td>'
            f'<td class="n">{_num(t.get("p90"), ".3f")}</td>'
            f'<td class="n">{_num(base / t["p50"] if base and t.get("p50") else None, ".2f")}</td>'
            f'<td class="n">{_num(t.get("applied"), "d")}</td></tr>'
            for t in r.threads_scaling
        )
        out += (
            f"<div><h3>Thread scaling: {escape(r.name)}</h3><table><tr><th>threads</th>"
            "<th>p50 ms</th><th>p90 ms</th><th>speed-up</th><th>applied</th></tr>"
            f"{rows}</table></div>"
        )
    return threads_chart(report) + (f'<div class="grid">{out}</div>' if out else "")


def numerics_section(report: Report) -> str:
    """The numerical debugger's table per int8-static variant that asked for it."""
    out = ""
    for r in report.variants:
        q = r.step("quantize")
        rows = q.get("numerics")
        if not rows:
            continue
        worst = set(q.get("numerics_worst") or [])
        trs = "".join(
            ('<tr class="bad">' if n.get("layer") in worst else "<tr>")
            + f"<td>{escape(str(n.get('layer')))}</td>"
            f'<td class="n">{_num(n.get("snr_db"), ".1f")}</td>'
            f'<td class="n">{_num(n.get("cosine"), ".5f")}</td>'
            f'<td class="n">{_num(n.get("local_snr_db"), ".1f")}</td></tr>'
            for n in rows
        )
        named = ", ".join(escape(w) for w in q.get("numerics_worst") or []) or "none"
        out += (
            f"<h2>int8 numerical debugger: {escape(r.name)}</h2><p>Each layer's output against "
            "the float model on the same calibration samples, every layer quantized, in graph "
            "order: SNR and cosine of the error accumulated so far, and the SNR of the error the "
            "layer itself adds (its output's noise minus its inputs'). The error enters most at: "
            f"<b>{named}</b> (put them in <code>keep_fp32</code> to keep them float).</p>"
            "<table><tr><th>layer</th><th>SNR dB</th><th>cosine</th><th>own error SNR dB</th>"
            f"</tr>{trs}</table>"
        )
    return out
