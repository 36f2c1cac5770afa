"""report.html's profile sections (issue 13): memory and start-up, delegation coverage, the
per-operator profiles (chart and table), two profiles side by side, thread-scaling charts.

The fast tests render a hand-made, schema-valid report; the slow one profiles real variants
through the engine and reads the page it wrote.
"""

from __future__ import annotations

import copy
import json
import re
import xml.etree.ElementTree as ET
from html import escape

import pytest

from deploy_studio.core.report.model import Report
from deploy_studio.core.report.profile_html import PORTABLE_COLOUR, compare_pair
from deploy_studio.core.report.validate import validate_report
from deploy_studio.core.report.writer import render_html, write_report

HOSTILE_OP = "<script>alert(1)</script>"
HOSTILE_LAYER = 'blocks.0 "<img src=x onerror=alert(2)>"'


def _latency(p50: float) -> dict:
    return {"p10": p50 * 0.9, "p50": p50, "p90": p50 * 1.2, "mean": p50, "runs": 5, "threads": 1}


def _scaling(p50: float) -> list[dict]:
    return [
        {"threads": 1, "p50": p50, "p90": p50 * 1.2, "runs": 5, "applied": 1},
        {"threads": 2, "p50": p50 * 0.6, "p90": p50 * 0.7, "runs": 5, "applied": 2},
    ]


def _row(op, layer, delegate, calls, total_ms, share) -> dict:
    return {
        "op": op,
        "layer": layer,
        "delegate": delegate,
        "calls": calls,
        "total_ms": total_ms,
        "share": share,
    }


def _profile(source: str, rows: list[dict], total_ms: float, runs: int = 10, hints=()) -> dict:
    return {
        "source": source,
        "runs": runs,
        "total_ms": total_ms,
        "ops_ms": sum(r["total_ms"] for r in rows),
        "rows": rows,
        "rows_total": len(rows),
        "hints": list(hints),
    }


def _variant(name: str, fmt: str, p50: float, **extra) -> dict:
    v = {
        "name": name,
        "format": fmt,
        "convert": None if fmt == "eager" else "export",
        "steps": [],
        "artifact": f"artifacts/{name}.{fmt}",
        "files": [f"artifacts/{name}.{fmt}"],
        "size_bytes": 2_000_000,
        "params": 1000,
        "runtime": fmt,
        "latency_ms": _latency(p50),
        "accuracy": {"top1": 0.9, "samples": 60},
        "parity": {"max_abs_diff": 1e-5, "top1_agreement": 1.0, "snr_db": 90.0, "samples": 60},
        "error": None,
        "notes": [],
        "threads_scaling": _scaling(p50),
    }
    v.update(extra)
    return v


HINT = "aten.cumsum.default x1 runs on portable kernels: try a delegate's own op"
HINT_HTML = escape(HINT)
PTE_ROWS = [
    _row("Convolution (NHWC, F32) IGEMM", "conv, relu", "XnnpackBackend", 10, 4.0, 0.4),
    _row("aten.cumsum.default", "", "portable", 10, 3.0, 0.3),
    _row(HOSTILE_OP, HOSTILE_LAYER, "XnnpackBackend", 10, 1.0, 0.1),
    _row("Fully Connected (NC, F32) GEMM", "fc", "XnnpackBackend", 10, 0.5, 0.05),
]
ONNX_ROWS = [
    _row("QGemm (node_linear)", "fc", "CPUExecutionProvider", 10, 2.0, 0.5),
    _row("QLinearConv (node_conv2d)", "conv", "CPUExecutionProvider", 10, 1.0, 0.25),
    _row("Transpose (Transpose)", None, "CPUExecutionProvider", 10, 0.2, 0.05),
]
EAGER_ROWS = [
    _row("aten::linear", "fc", "cpu", 10, 5.0, 0.5),
    _row("aten::conv2d", "conv", "cpu", 10, 2.0, 0.2),
]
LITERT_WHY = "not available: ai-edge-litert's Python Interpreter exposes no op profiler"


def report_dict() -> dict:
    """Four variants: eager (no load time), a .pte with a portable op, an int8 .onnx, a
    .tflite whose profile is unavailable."""
    memory = {"peak_rss_bytes": 600_000_000, "baseline_rss_bytes": 580_000_000, "method": "VmHWM"}
    pte = _variant(
        "fp32-pte",
        "pte",
        0.5,
        delegates=["xnnpack"],
        coverage={
            "delegate": "xnnpack",
            "ops_delegated": 5,
            "ops_total": 6,
            "flops_delegated_share": 0.998,
            "undelegated": {"aten.cumsum.default": 1},
            "hints": [HINT],
        },
        profile=_profile("etdump", PTE_ROWS, 10.0, hints=[HINT]),
        memory={**memory, "planned_bytes": 3248},
        load_ms={"cold": 5.7, "warm": 5.1},
    )
    onnx = _variant(
        "int8-onnx",
        "onnx",
        0.3,
        steps=[{"kind": "quantize", "mode": "int8-static"}],
        profile=_profile("onnxruntime profiling", ONNX_ROWS, 4.0),
        memory={**memory, "planned_bytes": None},
        load_ms={"cold": 58.5, "warm": 31.9},
    )
    tflite = _variant(
        "fp32-tflite",
        "tflite",
        0.4,
        runtime="litert",
        profile=_profile(LITERT_WHY, [], None, runs=0),
        memory={**memory, "planned_bytes": None},
        load_ms={"cold": 0.7, "warm": 0.5},
    )
    eager = _variant(
        "fp32-eager",
        "eager",
        0.9,
        convert=None,
        profile=_profile("torch.profiler", EAGER_ROWS, 9.0),
    )
    report = {
        "schema": 1,
        "name": "profile <demo>",
        "created": "2026-12-06T00:00:00+00:00",
        "host": {},
        "model": {
            "spec": "tiny.py:PortableCumsum",
            "weights": None,
            "params": 1000,
            "input_shape": [1, 1, 28, 28],
            "output_shape": [1, 10],
            "kind": "module",
        },
        "dataset": {
            "name": "builtin:digits",
            "eval_samples": 60,
            "calibration_samples": 32,
            "labelled": True,
        },
        "baseline": {"accuracy": 0.9},
        "benchmark": {
            "threads": 1,
            "warmup": 2,
            "runs": 5,
            "profile": True,
            "thread_counts": [1, 2],
        },
        "preprocess": {
            "size": [28, 28],
            "channels": 1,
            "resize": "stretch",
            "scale": 1.0,
            "mean": [0.0],
            "std": [1.0],
            "layout": "NCHW",
            "origin": "test",
        },
        "notes": [],
        "variants": [eager, pte, onnx, tflite],
        "gates": [],
        "templates": [],
    }
    validate_report(report)
    return report


def _svgs(html: str) -> list[str]:
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    for svg in svgs:  # well-formed: every name from the model was escaped
        ET.fromstring(svg)
    return svgs


def _section(html: str, start: str, end: str = "<h2") -> str:
    i = html.index(start)
    j = html.find(end, i + len(start))
    return html[i : j if j != -1 else len(html)]


def test_profile_sections_render_from_a_valid_report(tmp_path, monkeypatch):
    monkeypatch.setenv("DEPLOY_STUDIO_VALIDATE_REPORTS", "1")
    data = report_dict()
    write_report(Report.from_dict(copy.deepcopy(data)), tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert json.loads((tmp_path / "report.json").read_text())["variants"][1]["profile"]
    for name in ("size.svg", "latency.svg", "accuracy.svg"):
        assert (tmp_path / "charts" / name).exists()
    for title in (
        "Memory and start-up",
        "Delegation coverage",
        "Per-operator profiles",
        "Compare profiles",
        "<h2>Thread scaling</h2>",
    ):
        assert title in html, title
    for name in ("fp32-eager", "fp32-pte", "int8-onnx", "fp32-tflite"):
        assert f"Profile: {name}</h3>" in html, name
    svgs = _svgs(html)
    # one chart per available profile, two thread-scaling charts
    assert len([s for s in svgs if "Top operators of" in s]) == 3
    assert len([s for s in svgs if "by thread count" in s or "Speed-up over" in s]) == 2

    pte = _section(html, "Profile: fp32-pte", "<h3")
    pte_svg = next(s for s in svgs if "Top operators of fp32-pte" in s)
    # the top operators, labelled op (layer), in ms per run (total / runs)
    assert "Convolution (NHWC, F32) IGEMM (conv, relu)" in pte_svg and "0.4000 ms" in pte_svg
    # the portable op stands out: red bar, a [portable] label, a marked table row
    assert "aten.cumsum.default (model) [portable]" in pte_svg
    assert pte_svg.count(f'fill="{PORTABLE_COLOUR}"') == 1
    assert re.search(r'<tr class="portable"><td>aten\.cumsum\.default</td>', pte)
    assert "operators account for" in pte.lower() and "0.8500 of 1.0000 ms per run (85%)" in pte
    assert "hint: " + HINT_HTML in pte
    # hostile names are escaped everywhere (table and chart)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pte
    assert "&lt;img src=x onerror=alert(2)&gt;" in pte
    assert "profile &lt;demo&gt;" in html

    # LiteRT: one line saying why
    tfl = _section(html, "Profile: fp32-tflite", "<h3")
    assert "Profile not available: ai-edge-litert" in tfl and "<table" not in tfl


def test_memory_table_has_a_row_per_variant_and_says_what_is_missing():
    html = render_html(report_dict())
    mem = _section(html, "Memory and start-up")
    rows = re.findall(r"<tr><td>(.*?)</td>", mem)
    assert rows == ["fp32-eager", "fp32-pte", "int8-onnx", "fp32-tflite"]
    eager = re.search(r"<tr><td>fp32-eager</td>.*?</tr>", mem).group(0)
    assert "n/a (eager)" in eager and "not measured (eager" in eager
    pte = re.search(r"<tr><td>fp32-pte</td>.*?</tr>", mem).group(0)
    for cell in ("5.70", "5.10", "600.0", "+20.0", "3.2 KB", "0.500", "2.00"):
        assert f">{cell}<" in pte, cell
    onnx = re.search(r"<tr><td>int8-onnx</td>.*?</tr>", mem).group(0)
    assert ">58.50<" in onnx and ">—<" in onnx  # no planned memory outside ExecuTorch


def test_coverage_is_one_section_and_the_variants_table_points_to_it():
    html = render_html(report_dict())
    cov = _section(html, '<h2 id="coverage">')
    assert re.search(r"<td>fp32-pte</td><td>xnnpack</td><td class=\"n\">5/6</td>", cov)
    assert ">99.8<" in cov and "aten.cumsum.default</span> x1" in cov
    assert html.count("hint: " + HINT_HTML) == 2  # the coverage section and the pte's profile
    variants = _section(html, "<h2>Variants</h2>")
    assert 'partition: xnnpack took 5/6 ops, 1 outside (<a href="#coverage">' in variants
    assert HINT_HTML not in variants


def test_compare_picks_the_fastest_fp32_and_int8_profiles():
    report = Report.from_dict(report_dict())
    a, b, why = compare_pair(report)
    assert (a.name, b.name) == ("fp32-pte", "int8-onnx") and "fastest fp32" in why
    html = render_html(report)
    cmp = _section(html, "<h2>Compare profiles</h2>")
    assert cmp.count('<div class="col">') == 2
    assert "fp32-pte and int8-onnx: the fastest fp32 and the fastest int8 variant" in cmp
    assert "QGemm (node_linear) (fc)" in cmp and "aten.cumsum.default (model)" in cmp

    # no int8 profile: the first two profiled variants
    data = report_dict()
    data["variants"][2]["steps"] = []
    a, b, why = compare_pair(Report.from_dict(data))
    assert (a.name, b.name) == ("fp32-eager", "fp32-pte") and "first two" in why
    # fewer than two profiles: no section
    data["variants"] = data["variants"][:1]
    assert compare_pair(Report.from_dict(data)) is None
    assert "Compare profiles" not in render_html(data)


def test_without_profile_data_no_new_section_appears():
    data = report_dict()
    for v in data["variants"]:
        for key in ("profile", "memory", "load_ms", "coverage", "threads_scaling"):
            v.pop(key, None)
    data["benchmark"].pop("profile")
    data["benchmark"].pop("thread_counts")
    html = render_html(data)
    for title in ("Memory and start-up", "Delegation coverage", "Profile", "Thread scaling"):
        assert title not in html, title


def test_line_chart_breaks_at_a_missing_value():
    from deploy_studio.core.report.charts import line_chart

    svg = line_chart("t", [1, 2, 4], [("a<b", [1.0, None, 0.5], "#000")], "ms")
    ET.fromstring(svg)
    assert "<polyline" not in svg and svg.count("<circle") == 2 and "a&lt;b" in svg


@pytest.mark.slow  # builds, measures and profiles three variants at two thread counts (~20 s)
def test_profiled_run_writes_the_sections_for_every_runnable_variant(
    tiny_model_file, tmp_path, monkeypatch
):
    from deploy_studio.core.engine import run_recipe
    from tests.support.recipes import EAGER, ONNX, PTE, recipe

    monkeypatch.setenv("DEPLOY_STUDIO_VALIDATE_REPORTS", "1")
    model = {"source": f"{tiny_model_file}:PortableCumsum"}
    r = recipe(model, [EAGER, PTE, ONNX], benchmark={"profile": True, "threads": [1, 2]})
    run_recipe(r, tmp_path, isolate=False, templates=False)
    report = json.loads((tmp_path / "report.json").read_text())
    html = (tmp_path / "report.html").read_text()
    svgs = _svgs(html)
    mem = _section(html, "Memory and start-up")
    for v in report["variants"]:
        assert v["error"] is None, v["error"]
        name = v["name"]
        assert f"Profile: {name}</h3>" in html and f"Top operators of {name}" in html
        assert f"<tr><td>{name}</td>" in mem
        assert f"Thread scaling: {name}" in html
    assert "n/a (eager)" in mem
    pte_svg = next(s for s in svgs if "Top operators of fp32-pte" in s)
    assert "aten.cumsum.default (model) [portable]" in pte_svg
    assert 'id="coverage"' in html and "aten.cumsum.default</span> x1" in html
    assert "Compare profiles" in html and "the first two profiled variants" in html
    assert len([s for s in svgs if "by thread count" in s or "Speed-up over" in s]) == 2
