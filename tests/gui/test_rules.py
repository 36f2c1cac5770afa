"""The window calls the engine's rules (tests/core/test_rules.py): the exit code of a scripted
run, the prompts for typed load errors, the chart's Pareto front, gate labels, step order and
the document's typed results."""

from __future__ import annotations

from deploy_studio.core.errors import InputShapeUnknown, ModelLoadError, UntrustedPickleError
from deploy_studio.core.report.model import (
    Accuracy,
    DatasetInfo,
    GateVerdict,
    Latency,
    ModelInfo,
    Report,
    VariantResult,
)
from tests.gui.conftest import open_recipe

RECIPE = """name = "digits"
[model]
source = "builtin:digits-cnn-small"
[data]
source = "builtin:digits"
calibration_samples = 32
eval_samples = 50
[[variant]]
name = "fp32-eager"
format = "eager"
"""


def _open(window, tmp_path) -> None:
    p = tmp_path / "digits.toml"
    p.write_text(RECIPE)
    open_recipe(window, p)


def _row(name, p50, size, top1) -> VariantResult:
    return VariantResult(
        name,
        "pte",
        artifact=f"artifacts/{name}.pte",
        size_bytes=size,
        latency_ms=Latency(p50, p50, p50, p50, 5, 1, 1),
        accuracy=Accuracy(top1, 50),
    )


def _report(rows, gates=()) -> Report:
    return Report(
        "tiny",
        "",
        {},
        ModelInfo("m", None, 100, [1, 1, 28, 28], [1, 10], "module"),
        DatasetInfo("builtin:digits", 50, 32, True),
        0.9,
        {},
        {},
        variants=list(rows),
        gates=list(gates),
    )


def test_a_scripted_run_exits_with_the_engines_exit_code(window):
    from deploy_studio.gui.app import ScriptedSession

    session = ScriptedSession(window, None)
    codes: list[int] = []
    session._finish_soon = codes.append
    ok = _row("a", 1.0, 1000, 0.9)
    failed_gate = GateVerdict("max_size_bytes:a", "max_size_bytes", "a", 10, 1000, False, "failed")
    uncertain = GateVerdict("max_latency_ms:a", "max_latency_ms", "a", 1.0, 1.0, None, "uncertain")
    session._on_run_finished(_report([ok], [uncertain]))
    session._on_run_finished(_report([ok], [failed_gate]))  # every variant built: still 1
    session._on_run_finished(None)
    assert codes == [0, 1, 2]


def test_load_errors_are_recognised_by_their_type(window):
    loader = window.loader
    asked: list[str] = []
    loader.ask_shape = lambda source, classes, shape: asked.append("shape")
    loader.ask_trust = lambda source, message: asked.append("trust") or False
    spec = {"source": "m.pt", "weights": None, "input_shape": None, "trust": False}
    loader._on_error(spec, None, InputShapeUnknown("any wording at all"), "")
    loader._on_error(spec, None, UntrustedPickleError("any wording", trust_helps=True), "")
    assert asked == ["shape", "trust"]
    # the old wording without the type asks nothing; nor does trust that would not help
    loader._on_error(spec, None, ModelLoadError("the input shape of m cannot be known"), "")
    loader._on_error(
        spec, None, UntrustedPickleError("a pickled whole module", trust_helps=False), ""
    )
    assert asked == ["shape", "trust"]
    assert len(window.problems.rows()) == 4


def test_document_results_are_typed_and_the_chart_draws_the_engines_front(window, tmp_path):
    from deploy_studio.core.pareto import pareto_front
    from deploy_studio.gui.panels.charts_panel import CHART_OBJECTIVES
    from deploy_studio.gui.panels.variants_panel import COL_GATES

    _open(window, tmp_path)
    rows = [
        _row("fast", 1.0, 4000, 0.90),
        _row("small-slow", 3.0, 1000, 0.80),
        _row("accurate", 2.0, 9000, 0.99),
    ]
    gate = GateVerdict("max_size_bytes:fast", "max_size_bytes", "fast", 3000, 4000, False, "failed")
    window.doc.set_report(_report(rows, [gate]).to_dict())  # report.json's data becomes typed
    assert all(isinstance(r, VariantResult) for r in window.doc.results.values())
    assert isinstance(window.doc.report, Report) and window.doc.gate_results == [gate]
    window.charts.refresh()
    xs, _ys = window.charts.pareto_front_line.getData()
    front = pareto_front(rows, CHART_OBJECTIVES)
    assert front == ["fast", "accurate"]  # small-slow is only on the size front
    assert list(xs) == [r.p50 for r in rows if r.name in front]
    assert window.variants_panel.cell("fast", COL_GATES) == "✗ size"  # core.gates.RULES' label


def test_a_new_step_goes_where_its_declared_order_puts_it(window, tmp_path):
    _open(window, tmp_path)
    window.variants_panel.select("fp32-eager")
    for kind in ("quantize", "prune", "distill"):
        window.editor._on_add_step(kind)
    steps = window.doc.variant("fp32-eager").steps
    assert [s.kind for s in steps] == ["distill", "prune", "quantize"]
    assert steps[0].options["student"] == "builtin:digits-cnn-small"  # fits the digits model
