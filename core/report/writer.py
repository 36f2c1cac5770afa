"""Write report.json and report.html atomically into the output folder."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from deploy_studio.core.formats.pte_coverage import coverage_text
from deploy_studio.core.fsutil import write_text_atomic
from deploy_studio.core.report.charts import bar_chart, colour
from deploy_studio.core.report.diagnostics_html import numerics_section, threads_section
from deploy_studio.core.report.model import Report
from deploy_studio.core.report.profile_html import (
    compare_section,
    coverage_section,
    memory_section,
    profile_section,
)


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def report_json(report: dict) -> str:
    """The report as JSON, without the raw latency samples (kept small and diff-friendly)."""
    slim = json.loads(json.dumps(report, default=_json_default))
    for v in slim.get("variants", []):
        if v.get("latency_ms"):
            v["latency_ms"].pop("samples_ms", None)
    return json.dumps(slim, indent=2, ensure_ascii=False)


def write_report(report: Report | dict, out_dir: str | Path) -> None:
    """Write ``report.json``, ``report.html`` and ``charts/*.svg`` into ``out_dir``."""
    data = report.to_dict(samples=True) if isinstance(report, Report) else report
    typed = report if isinstance(report, Report) else Report.from_dict(report)
    from deploy_studio.core.report.validate import validate_report, validation_requested

    if validation_requested():
        validate_report(json.loads(report_json(data)))
    out = Path(out_dir)
    charts = out / "charts"
    charts.mkdir(parents=True, exist_ok=True)
    rows = typed.variants
    names = [r.name for r in rows]
    sizes = [r.size_bytes / 1e6 if r.size_bytes is not None else None for r in rows]
    p50 = [r.p50 for r in rows]
    whisk = [(r.latency_ms.p10 or 0, r.latency_ms.p90 or 0) if r.latency_ms else None for r in rows]
    metric = typed.task["metric"]
    pct = metric.get("unit", "percent") == "percent"
    acc = [None if r.metric is None else r.metric * (100 if pct else 1) for r in rows]
    base = typed.baseline_metric
    base_v = None if base is None else base * (100 if pct else 1)
    unit = "%" if pct else ""
    svgs = {
        "size.svg": bar_chart("Size on disk (everything the app ships)", names, sizes, "MB"),
        "latency.svg": bar_chart(
            f"Latency p50 (whiskers p10-p90), {typed.benchmark.get('threads', 1)} thread(s)",
            names,
            p50,
            "ms",
            whiskers=whisk,
        ),
        "accuracy.svg": bar_chart(
            f"{metric['label'][:1].upper()}{metric['label'][1:]} on held-out data",
            names,
            acc,
            unit,
            fmt="{:.2f}" if pct else "{:.4g}",
            line=(base_v, f"original {base_v:{'.2f' if pct else '.4g'}}{unit}")
            if base_v is not None
            else None,
        ),
    }
    for name, svg in svgs.items():
        write_text_atomic(charts / name, svg)
    from deploy_studio.core.samples.report import read_manifest

    shown = read_manifest(out, str(typed.model.spec), typed.dataset.name)
    write_text_atomic(out / "report.json", report_json(data))
    write_text_atomic(out / "report.html", render_html(typed, shown))


_GATE_CLASS = {"passed": "ok", "failed": "bad", "uncertain": "warn", "n/a": "muted"}


def _fmt(v, spec: str, scale: float = 1.0, none: str = "n/a") -> str:
    return none if v is None else format(v * scale, spec)


def _p50_cell(r) -> str:
    """The p50 cell: the latency, or "not measured here" (the reason as its tooltip) for an
    artifact this host cannot run."""
    if r.p50 is None and r.not_runnable and not r.error:
        return f'<td class="n" title="{escape(r.not_runnable)}">not measured here</td>'
    return f'<td class="n">{_fmt(r.p50, ".3f")}</td>'


def _si(v: float | None) -> str:
    """``1.23 M`` / ``45.6 G``: a FLOP count short enough for a table cell."""
    if v is None:
        return "n/a"
    for scale, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"{v / scale:.3g} {unit}"
    return f"{v:.0f}"


def _cost_cells(cost: dict | None) -> str:
    """FLOPs, weights MB, GFLOP/s and bound cells of a variant's ``cost`` (core/cost)."""
    if not cost:
        return '<td class="n">n/a</td>' * 3 + "<td>n/a</td>"
    wb = cost.get("weight_bytes")
    bound, of_peak = cost.get("bound"), cost.get("of_peak")
    where = escape(bound or "n/a") + (f", {of_peak:.0%}" if of_peak is not None else "")
    intensity = cost.get("intensity")
    title = escape(
        f"{cost.get('method', '')}"
        + (f"; {intensity:.1f} FLOP per weight byte" if intensity is not None else "")
    )
    return (
        f'<td class="n">{_si(cost.get("flops"))}</td>'
        f'<td class="n" title="{title}">{_fmt(wb, ".3f", 1e-6)}</td>'
        f'<td class="n">{_fmt(cost.get("gflops_per_s"), ".2f")}</td><td>{where}</td>'
    )


def _host_line(report: Report) -> str:
    """This host's peak GFLOP/s and bandwidth under the variants table (when measured)."""
    if not report.host_limits:
        return ""
    from deploy_studio.core.cost.host import limits_text

    return f'<p class="meta">{escape(limits_text(report.host_limits))}</p>'


def _notes_box(report: Report) -> str:
    """What a reader must know before trusting the numbers: at the top of the page."""
    notes = list(report.notes)
    tune = report.tune or {}
    if report.pareto is not None and not report.recommended and tune.get("note"):
        notes.insert(0, tune["note"])
    pp = report.preprocess
    origin = (
        f'<p class="meta">Preprocessing: {escape(str(pp.get("origin", "")))}</p>'
        if pp.get("origin")
        else ""
    )
    if not notes:
        return origin
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<div class="notes"><b>Before trusting these numbers</b><ul>{items}</ul></div>{origin}'


def _outputs_section(report: Report) -> str:
    """Parity per named output, for a model with several (one row per variant and output)."""
    rows = [r for r in report.variants if r.parity and r.parity.outputs]
    if not rows:
        return ""
    task = next((o["name"] for o in report.model.outputs or [] if o.get("task")), None)
    trs = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{escape(name)}{' (task)' if name == task else ''}</td>"
        f'<td class="n">{_fmt(p.get("max_abs_diff"), ".2e")}</td>'
        f'<td class="n">{_fmt(p.get("snr_db"), ".1f")}</td>'
        f'<td class="n">{_fmt(p.get("cosine"), ".6f")}</td></tr>'
        for r in rows
        for name, p in ((r.parity.outputs if r.parity else None) or {}).items()
    )
    return (
        "<h2>Parity per output</h2><p>Every output of the model, run in each artifact's own "
        "runtime; the variants table shows the task output's.</p>"
        "<table><tr><th>variant</th><th>output</th><th>max abs diff</th><th>SNR dB</th>"
        f"<th>cosine similarity</th></tr>{trs}</table>"
    )


def _metric_fmt(metric: dict, v: float | None, drop: bool = False) -> str:
    """A value of the task's metric in its unit (a fraction shown as %, points for a drop)."""
    if v is None:
        return "n/a"
    if metric.get("unit", "percent") == "percent":
        return f"{v * 100:+.2f}" if drop else f"{v * 100:.2f}"
    return f"{v:+.4g}" if drop else f"{v:.4g}"


def _task_line(report: Report) -> str:
    """The task, its metric and the original model's value, under the title."""
    task = report.task
    metric = task["metric"]
    base = report.baseline_metric
    unit = "%" if metric.get("unit", "percent") == "percent" else ""
    value = (
        f"{_metric_fmt(metric, base)}{unit}"
        if base is not None
        else "n/a (" + ("unlabelled data" if not report.dataset.labelled else "not measured") + ")"
    )
    extra = ""
    if report.baseline_metrics:
        labels = {mm["key"]: mm["label"] for mm in task.get("metrics") or []}
        others = [
            f"{escape(labels.get(k, k))} {_metric_fmt({'unit': _unit(task, k)}, v)}{'%' if _unit(task, k) == 'percent' else ''}"
            for k, v in report.baseline_metrics.items()
            if k != metric["key"] and v is not None
        ]
        extra = (" · " + " · ".join(others)) if others else ""
    why = f" (guessed: {escape(str(task.get('why')))})" if task.get("guessed") else ""
    agreement = task.get("agreement") or "cosine similarity and SNR"
    return (
        f'<div class="meta task">task <b>{escape(str(task.get("label") or task["name"]))}</b>{why} · '
        f"metric <b>{escape(metric['label'])}</b> of the original model {value}{extra} · "
        f"fidelity to the original: {escape(agreement)}</div>"
    )


def _unit(task: dict, key: str) -> str:
    for mm in task.get("metrics") or []:
        if mm.get("key") == key:
            return mm.get("unit", "percent")
    return "percent"


def _samples_section(report: Report, shown: dict | None) -> str:
    """Held-out samples drawn per task (truth and the original model's prediction)."""
    if not shown or not shown.get("samples"):
        return ""
    task = report.task
    intro = {
        "segmentation": "Each sample's true mask (left) and the original model's predicted "
        "mask (right), overlaid on the input; the legend names the classes present.",
        "detection": "Each sample's true boxes (dashed, white) and the original model's "
        "detections after the declared post-processing (solid, label and score).",
    }.get(task["name"], "The first held-out samples and the original model's outputs on them.")
    figs = []
    for item in shown["samples"]:
        body = ""
        if item.get("file"):
            body += f'<img src="{escape(str(item["file"]))}" alt="{escape(str(item.get("caption", "")))}">'
        if item.get("text"):
            body += f"<pre>{escape(str(item['text']))}</pre>"
        figs.append(
            f"<figure>{body}<figcaption>{escape(str(item.get('caption', '')))}</figcaption></figure>"
        )
    return f'<h2>Samples</h2><p>{escape(intro)}</p><div class="samples">{"".join(figs)}</div>'


def _provider_text(t) -> str:
    """``", execution provider NNAPI, CPU fallback; desktop measured on CPU"`` for an ONNX
    Runtime app, else empty."""
    if not t.execution_provider:
        return ""
    from deploy_studio.core.templates.providers import LABELS, describe

    desktop = LABELS.get(t.desktop_provider or "cpu", t.desktop_provider or "cpu")
    return escape(
        f", execution provider {describe(t.execution_provider)}; desktop measured on {desktop}"
    )


def render_html(report: Report | dict, samples: dict | None = None) -> str:
    """report.html; ``samples`` is the manifest of the held-out samples drawn for it
    (:func:`deploy_studio.core.samples.report.read_manifest`)."""
    if not isinstance(report, Report):
        report = Report.from_dict(report)
    rows = report.variants
    m, d = report.model, report.dataset
    base = report.baseline_accuracy
    task = report.task
    metric = task["metric"]
    pct = metric.get("unit", "percent") == "percent"
    agreement_label = task.get("agreement")
    trs = []
    for i, r in enumerate(rows):
        lat, par = r.latency_ms, r.parity
        extra = ""
        if r.error:
            extra = f'<div class="err">{escape(r.error)}</div>'
        elif r.notes:
            extra = "".join(f'<div class="note">{escape(n)}</div>' for n in r.notes)
        if r.coverage and not r.error:  # the whole of it in the "Delegation coverage" section
            c = r.coverage
            outside = sum((c.get("undelegated") or {}).values())
            extra += (
                f'<div class="note" title="{escape(coverage_text(c))}">partition: '
                f"{escape(str(c.get('delegate')))} took {c.get('ops_delegated')}/"
                f"{c.get('ops_total')} ops"
                + (f", {outside} outside" if outside else "")
                + ' (<a href="#coverage">coverage</a>)</div>'
            )
        badge = ""
        if report.recommended == r.name:
            badge = ' <span class="badge">recommended</span>'
        elif r.name in (report.pareto or []):
            badge = ' <span class="badge pareto">pareto</span>'
        artifact = f'<a href="{escape(r.artifact)}">{escape(r.artifact)}</a>' if r.artifact else "—"
        trs.append(
            f'<tr><td><span class="sw" style="background:{colour(i)}"></span>{escape(r.name)}{badge}{extra}</td>'
            f"<td>{escape(r.format)}</td><td>{artifact}</td>"
            f'<td class="n">{_fmt(r.size_bytes, ",.0f")}</td><td class="n">{_fmt(r.params, ",.0f")}</td>'
            + _p50_cell(r)
            + f'<td class="n">{_fmt(lat.p90 if lat else None, ".3f")}</td>'
            + _cost_cells(r.cost)
            + f'<td class="n">{_metric_fmt(metric, r.metric)}</td><td class="n">{_metric_fmt(metric, r.metric_drop, drop=True)}</td>'
            f'<td class="n">{_fmt(par.max_abs_diff if par else None, ".2e")}</td>'
            + (
                f'<td class="n">{_fmt(r.agreement, ".2f", 100)}</td>'
                if agreement_label
                else f'<td class="n">{_fmt(par.cosine if par else None, ".6f")}</td>'
            )
            + f'<td class="n">{_fmt(r.snr_db, ".1f")}</td></tr>'
        )
    gates = (
        "".join(
            f'<tr><td>{escape(g.name)}</td><td class="n">{g.limit}</td><td class="n">{_fmt(g.value, ".4g")}</td>'
            f'<td class="{_GATE_CLASS.get(g.status, "")}">{escape(g.status if g.status != "failed" else "FAILED")}'
            + (f'<div class="note">{escape(g.reason)}</div>' if g.reason else "")
            + "</td></tr>"
            for g in report.gates
        )
        or '<tr><td colspan="4">no gates set</td></tr>'
    )
    apps = (
        "".join(
            f"<li>{escape(t.platform)} ({escape(t.runtime)}{_provider_text(t)}): "
            + (
                f'<a href="{escape(t.path)}/README.md">{escape(t.path)}</a>'
                if t.path
                else f'<span class="err">{escape(t.error or "")}</span>'
            )
            + "</li>"
            for t in report.templates
        )
        or "<li>none requested</li>"
    )
    extra_sections = (
        _outputs_section(report)
        + _samples_section(report, samples)
        + memory_section(report)
        + coverage_section(report)
        + profile_section(report)
        + compare_section(report)
        + threads_section(report)
        + numerics_section(report)
    )
    metric_head = escape(metric["label"]) + (" %" if pct else "")
    drop_head = "drop" + (" (points)" if pct else "")
    orig = (
        "original accuracy "
        + (_fmt(base, ".2f", 100) + "%" if base is not None else "n/a (unlabelled data)")
        if task["name"] == "classification"
        else f"{escape(str(task.get('label') or task['name']))} model"
    )
    agree_head = escape(agreement_label) + " %" if agreement_label else "cosine similarity"
    for r in rows:
        sens = r.step("quantize").get("sensitivity")
        if sens:
            srows = "".join(
                f'<tr><td>{escape(str(s.get("layer")))}</td><td class="n">{_fmt(s.get("accuracy"), ".2f", 100)}</td>'
                f'<td class="n">{_fmt(s.get("accuracy_drop"), ".2f", 100)}</td><td class="n">{_fmt(s.get("max_abs_diff"), ".3g")}</td></tr>'
                for s in sens
            )
            extra_sections += (
                f"<h2>Quantization sensitivity: {escape(r.name)}</h2><p>Each layer quantized alone "
                "(others float). Put sensitive layers in <code>keep_fp32</code>.</p>"
                f"<table><tr><th>layer</th><th>accuracy %</th><th>drop (points)</th><th>max abs diff</th></tr>{srows}</table>"
            )
    tune = ""
    if report.pareto is not None:
        tune = (
            f"<h2>Search</h2><p>Pareto front (latency, accuracy, size): {escape(', '.join(report.pareto))}.<br>"
            f"Recommended: <b>{escape(str(report.recommended or 'none'))}</b> "
            f"({escape(str((report.tune or {}).get('note', '')))})</p>"
        ) + _tune_stages_html(report.tune or {})
    bench = report.benchmark
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Deploy Studio report: {escape(report.name)}</title>
<style>
body{{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px 32px;color:#222;max-width:1200px}}
h1{{font-size:22px;margin-bottom:4px}} h2{{font-size:17px;margin-top:28px}}
.meta{{color:#555;font-size:13px}} table{{border-collapse:collapse;font-size:13px;margin-top:8px}}
th,td{{border-bottom:1px solid #ddd;padding:5px 9px;text-align:left;vertical-align:top}} th{{background:#f4f5f7}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}} .sw{{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}}
.err{{color:#b00020;font-size:12px;max-width:420px}} .note{{color:#666;font-size:12px;max-width:420px}}
.ok{{color:#16794c;font-weight:bold}} .bad{{color:#b00020;font-weight:bold}} .warn{{color:#a35c00;font-weight:bold}} .muted{{color:#777}}
.badge{{background:#16794c;color:#fff;border-radius:3px;padding:1px 5px;font-size:11px}} .badge.pareto{{background:#4C72B0}}
.charts img{{display:block;margin:10px 0;max-width:100%}}
.notes{{background:#fff6e5;border:1px solid #f0c36d;border-radius:4px;padding:8px 14px;margin-top:14px;font-size:13px}}
.notes ul{{margin:6px 0 0 0;padding-left:20px}}
.task{{margin-top:6px}} .samples{{display:flex;flex-wrap:wrap;gap:14px}}
.samples figure{{margin:0;border:1px solid #ddd;border-radius:4px;padding:8px;max-width:560px}}
.samples img{{display:block;image-rendering:pixelated;max-width:100%}}
h3{{font-size:15px;margin-top:20px}} .chart svg{{display:block;margin:8px 0;max-width:100%;height:auto}}
.legend{{font-size:12px;color:#444}} .legend .sw{{margin-left:10px}}
tr.portable td{{background:#fdecee}} .badge.portable{{background:#C44E52}} .portable-op{{color:#b00020;font-family:monospace}}
.hints{{font-size:13px;color:#444}} .compare{{display:flex;gap:24px;align-items:flex-start}} .compare .col{{flex:1;min-width:0}}
.compare table{{width:100%}} .ops td:first-child{{overflow-wrap:anywhere;max-width:360px}} .grid{{display:flex;flex-wrap:wrap;gap:0 28px}}
.samples pre{{font-size:12px;white-space:pre-wrap;margin:4px 0}} figcaption{{font-size:12px;color:#444;margin-top:4px}}
</style></head><body>
<h1>{escape(report.name or "Deploy Studio report")}</h1>
<div class="meta">model <b>{escape(str(m.spec))}</b> · {m.params:,} parameters · input {m.input_shape} ·
data {escape(d.name)} ({d.eval_samples} held-out samples) · {orig} ·
benchmark {bench.get("runs")} runs after {bench.get("warmup")} warm-up, {bench.get("threads")} thread(s) ·
{escape(report.created)}</div>
{_task_line(report)}
{_notes_box(report)}
<h2>Variants</h2>
<table><tr><th>variant</th><th>format</th><th>artifact</th><th>size (bytes)</th><th>params</th><th>p50 ms</th><th>p90 ms</th><th title="one batch-1 inference; a multiply-add is 2 FLOPs">FLOPs</th><th title="bytes of weights read per inference, at the artifact's storage precision">weights MB</th><th title="FLOPs / p50">GFLOP/s</th><th title="compute- or memory-bound against this host's balance; the achieved share of the attainable GFLOP/s (above 100% when the weights stay in cache between calls)">bound, of attainable</th><th>{metric_head}</th><th>{drop_head}</th><th>max abs diff</th><th>{agree_head}</th><th>SNR dB</th></tr>
{"".join(trs)}</table>
{_host_line(report)}
{tune}
<h2>Charts</h2><div class="charts"><img src="charts/size.svg" alt="size chart"><img src="charts/latency.svg" alt="latency chart"><img src="charts/accuracy.svg" alt="accuracy chart"></div>
<h2>Gates</h2><table><tr><th>gate</th><th>limit</th><th>value</th><th>result</th></tr>{gates}</table>
<h2>App projects</h2><ul>{apps}</ul>
{extra_sections}
<p class="meta">Latency is measured on this host in each artifact's own runtime; accuracy on held-out samples never used for
calibration or training; parity compares every artifact's outputs with the original model's on the same samples.
Core ML artifacts are converted and structurally validated only: Core ML cannot run on Linux.</p>
</body></html>
"""


def _tune_stages_html(tune: dict) -> str:
    """The stages of a tune: what each measured, kept and dropped (and why), what the time
    budget skipped, and the wall time."""
    stages = tune.get("stages") or []
    if not stages:
        return ""
    items = []
    for st in stages:
        dropped = st.get("dropped") or {}
        why = "".join(f"<li><code>{escape(n)}</code>: {escape(r)}</li>" for n, r in dropped.items())
        items.append(
            f"<li>Stage {st['stage']} (warm-up {st.get('warmup')}, {st.get('runs')} runs): "
            f"measured {st['measured']}, kept {len(st['kept'])}, dropped {len(dropped)} "
            f"({st['seconds']:.1f} s)" + (f"<ul>{why}</ul>" if why else "") + "</li>"
        )
    skipped = tune.get("skipped") or {}
    if skipped:
        items.append(
            "<li>Skipped for the time budget: "
            + ", ".join(f"<code>{escape(n)}</code>" for n in skipped)
            + "</li>"
        )
    return f"<p>Tune wall time: {tune.get('seconds', 0):.1f} s</p><ul>{''.join(items)}</ul>"
