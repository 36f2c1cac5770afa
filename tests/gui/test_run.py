"""A real run of five variants of a tiny model through the window's workers.

One run (module fixture) is checked from every side: table cells and chart items equal
report.json's values, the main thread keeps processing events while the variants are built
and measured (a 20 ms heartbeat ticks while the slow ones build; benchmarks/responsiveness.py
measures the longest stall), samples show every variant's top-3, the Export dialog writes the artifacts and app projects, gate
results show per variant, and the int8 variant's sensitivity table adds layers to keep_fp32.
"""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor

from deploy_studio.gui.formatting import fmt_pct
from deploy_studio.gui.panels.variants_panel import (
    COL_ACC,
    COL_AGREE,
    COL_DIFF,
    COL_GATES,
    COL_P50,
    COL_P90,
    COL_PARAMS,
    COL_SIZE,
    COL_STATUS,
    cell_text,
)
from tests.gui.conftest import (
    FOUR_VARIANTS,
    close_window,
    make_window,
    open_recipe,
    tiny_recipe_text,
    wait_until,
)
from tests.support.recipes import variant

IDLE = ("queued", "done", "failed", "cancelled")


class Heartbeat:
    """A 20 ms QTimer on the main thread: counts its ticks, in all and per variant while that
    variant is being built or measured. Work done on the main thread would hold the timer
    back for as long as it takes: no tick could come while a variant is in progress."""

    def __init__(self, doc) -> None:
        self.doc = doc
        self.ticks = 0
        self.during: Counter[str] = Counter()
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        self.ticks += 1
        for name, (_fraction, stage) in self.doc.progress.items():
            if stage not in IDLE:
                self.during[name] += 1

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


RUN_VARIANTS = [
    *FOUR_VARIANTS,
    variant(
        "int8-onnx",
        "onnx",
        {"kind": "quantize", "mode": "int8-static", "sensitivity": True},
        convert="export",
    ),
]
NAMES = ["fp32-eager", "fp32-pte", "fp32-onnx", "fp32-ptl", "int8-onnx"]
GENEROUS_GATES = {"max_size_bytes": 50000000, "max_latency_ms": 1000.0}


@pytest.fixture(scope="module")
def ran(qapp, tmp_path_factory, tiny_model):
    """(window, report, out_dir, heartbeat) after building and measuring four variants."""
    folder = tmp_path_factory.mktemp("run")
    recipe = folder / "tiny.toml"
    recipe.write_text(tiny_recipe_text(tiny_model, RUN_VARIANTS, gates=GENEROUS_GATES))
    w = make_window()
    open_recipe(w, recipe)
    out = folder / "out"
    live_events = []
    w.doc.live_latency.connect(live_events.append)
    hb = Heartbeat(w.doc)
    hb.start()
    assert w.start_run(str(out))
    wait_until(lambda: not w.run.running and w.run.report is not None, 900, "the run to finish")
    hb.stop()
    wait_until(lambda: not w.sample_runner.busy, 300, "predictions")
    report = json.loads((out / "report.json").read_text())
    yield w, report, out, hb, live_events
    close_window(w)


def test_run_fills_every_table_cell_with_the_reports_values(ran):
    w, report, _out, _hb, _live = ran
    assert [v["name"] for v in report["variants"]] == NAMES
    panel = w.variants_panel
    for row in report["variants"]:
        assert row["error"] is None, row
        assert panel.cell(row["name"], COL_STATUS) == "done"
        for col in (COL_SIZE, COL_PARAMS, COL_P50, COL_P90, COL_ACC, COL_AGREE, COL_DIFF):
            assert panel.cell(row["name"], col) == cell_text(row, col), (row["name"], col)
        # independent of the window's own formatter for the headline numbers
        assert panel.cell(row["name"], COL_SIZE) == f"{row['size_bytes'] / 1e3:.1f} kB"
        assert panel.cell(row["name"], COL_P50) == f"{row['latency_ms']['p50']:.3f}"
        assert panel.cell(row["name"], COL_ACC) == f"{row['accuracy']['top1'] * 100:.2f} %"


def test_chart_items_hold_the_reports_values(ran):
    w, report, _out, _hb, _live = ran
    c = w.charts
    rows = report["variants"]
    assert c.names == [r["name"] for r in rows]
    np.testing.assert_allclose(c.size_bars.opts["width"], [r["size_bytes"] / 1e6 for r in rows])
    np.testing.assert_allclose(c.latency_bars.opts["width"], [r["latency_ms"]["p50"] for r in rows])
    whisk = c.latency_whiskers.opts
    np.testing.assert_allclose(
        np.asarray(whisk["x"]) - np.asarray(whisk["left"]), [r["latency_ms"]["p10"] for r in rows]
    )
    np.testing.assert_allclose(
        np.asarray(whisk["x"]) + np.asarray(whisk["right"]), [r["latency_ms"]["p90"] for r in rows]
    )
    np.testing.assert_allclose(
        c.accuracy_bars.opts["width"], [r["accuracy"]["top1"] * 100 for r in rows]
    )
    assert c.baseline_line.value() == pytest.approx(report["baseline"]["accuracy"] * 100)
    assert c.int8_floor.value() == pytest.approx(report["model"]["params"] / 1e6)
    xs, ys = c.pareto_scatter.getData()
    np.testing.assert_allclose(xs, [r["latency_ms"]["p50"] for r in rows])
    np.testing.assert_allclose(ys, [r["accuracy"]["top1"] * 100 for r in rows])
    # one colour per variant, the same in the chart and in the table
    for i, r in enumerate(rows):
        color = w.doc.color(r["name"])
        assert QColor(c.size_bars.opts["brushes"][i]) == color
        assert QColor(c.accuracy_bars.opts["brushes"][i]) == color
        assert c.pareto_scatter.data["brush"][i].color().rgb() == color.rgb()
    assert len({w.doc.color(r["name"]).name() for r in rows}) == len(rows)


def test_latency_streamed_live_before_results(ran):
    _w, report, _out, _hb, live = ran
    assert set(live) >= {r["name"] for r in report["variants"]}


def test_clicking_a_pareto_point_selects_the_variant(ran):
    w, _report, _out, _hb, _live = ran
    w.charts.variant_clicked.emit("fp32-onnx")
    assert w.variants_panel.selected_name() == "fp32-onnx"
    assert w.editor.name == "fp32-onnx"
    assert "fp32-onnx" in w.charts._tip(0.1, 90.0, "fp32-onnx")


def test_main_thread_keeps_processing_events_while_variants_build(ran):
    _w, _report, _out, hb, _live = ran
    # lowering to ExecuTorch and calibrating + a sensitivity sweep take seconds in the worker;
    # the window's timer ticks all along (fast variants may come and go between two ticks)
    heavy = ["fp32-pte", "int8-onnx"]
    starved = {name: hb.during[name] for name in heavy if hb.during[name] < 2}
    assert not starved, f"(almost) no heartbeat tick while these were in progress: {starved}"


def test_samples_show_each_variants_top3_and_agreement(ran):
    w, report, _out, _hb, _live = ran
    panel = w.samples_panel
    assert panel.grid.count() > 0
    wait_until(
        lambda: panel.preds.rowCount() == 1 + len(report["variants"]),
        120,
        "predictions for every variant",
    )
    rows = panel.prediction_rows()
    assert rows[0][0] == "original model"
    assert [r[0] for r in rows[1:]] == [v["name"] for v in report["variants"]]
    for name, top3, agrees in rows[1:]:
        assert top3.count("%") == 3, (name, top3)
        assert agrees in ("✓", "✗")
    panel.grid.setCurrentRow(3)
    wait_until(lambda: not w.sample_runner.busy, 120, "the next prediction")


def test_export_dialog_writes_artifacts_and_apps(ran, tmp_path):
    w, report, _out, _hb, _live = ran
    w._on_export()
    dlg = w.export_dialog
    assert dlg.isVisible()
    dlg.set_output_dir(str(tmp_path / "export"))
    for cb in dlg.platform_boxes.values():
        cb.setChecked(True)
    dlg.format_boxes["ptl"].setChecked(False)
    assert "fp32-ptl" not in dlg.chosen_variants()
    dlg.export_button.click()
    wait_until(lambda: dlg.job is not None and dlg.job.done, 300, "the export")
    wait_until(
        lambda: dlg.result is not None or dlg.status.text().startswith("Export failed"),
        120,
        "the summary",
    )
    assert dlg.result is not None, (dlg.status.text(), w.problems.rows())
    export = tmp_path / "export"
    exported = json.loads((export / "report.json").read_text())
    assert [v["name"] for v in exported["variants"]][:3] == ["fp32-eager", "fp32-pte", "fp32-onnx"]
    for v in exported["variants"][:3]:
        assert (export / v["artifact"]).exists()
    # copied rows keep the measured numbers of the window's run
    by_name = {v["name"]: v for v in report["variants"]}
    assert exported["variants"][1]["size_bytes"] == by_name["fp32-pte"]["size_bytes"]
    apps = {t["platform"]: t for t in exported["templates"]}
    assert set(apps) == set(dlg.platform_boxes)
    for platform, t in apps.items():
        assert t.get("path"), (platform, t)
        assert (export / t["path"]).is_dir()
        assert any((export / t["path"]).iterdir())
    assert dlg.open_button.isVisible()
    assert dlg.summary.count() >= 3 + len(apps)
    assert not [p for p in export.rglob(".*") if p.name.count(".") >= 2]
    dlg.reject()


def test_include_exclude_is_respected_and_saved(ran, tmp_path):
    w, _report, _out, _hb, _live = ran
    model = w.variants_panel.model
    idx = model.index(model.row_of("fp32-ptl"), 0)
    model.setData(idx, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert w.doc.variant("fp32-ptl").enabled is False
    assert "fp32-ptl" not in [v.name for v in w.doc.recipe.enabled_variants()]
    path = tmp_path / "saved.toml"
    w.files.ask_save_path = lambda: str(path)
    assert w.files.save_as()
    assert "enabled = false" in path.read_text()
    model.setData(idx, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert w.doc.dirty


def test_accuracy_formatting_matches_report(ran):
    _w, report, _out, _hb, _live = ran
    assert fmt_pct(report["variants"][0]["accuracy"]["top1"]).endswith(" %")


def test_gate_results_show_per_variant_and_in_the_status_bar(ran):
    w, report, _out, _hb, _live = ran
    assert {g["variant"] for g in report["gates"]} == set(NAMES) and all(
        g["passed"] for g in report["gates"]
    )
    for name in NAMES:
        assert w.variants_panel.cell(name, COL_GATES) == "✓ passed"
    assert "gates: all 5 passed" in w.status_label.text()
    form = w.samples_panel.gates
    assert form.boxes["max_size_bytes"].isChecked() and form.spins["max_size_bytes"].value() == 50.0
    assert not form.boxes["max_accuracy_drop"].isChecked()
    # a tighter limit re-checks the run at once, with the engine's own rule
    smallest = min(v["size_bytes"] for v in report["variants"])
    form.spins["max_size_bytes"].setValue(smallest / 1e6 + 0.001)  # MB with 3 decimals: 1 kB steps
    limit = w.doc.recipe.gates.max_size_bytes
    assert (
        limit == round(form.spins["max_size_bytes"].value() * 1e6)
        and smallest < limit < smallest + 1500
    )
    failed = [v["name"] for v in report["variants"] if v["size_bytes"] > limit]
    assert failed
    for name in NAMES:
        assert w.variants_panel.cell(name, COL_GATES) == (
            "✗ size" if name in failed else "✓ passed"
        )
    tip = w.variants_panel.model.index(w.variants_panel.model.row_of(failed[0]), COL_GATES).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert tip.startswith("✗ size") or "\n✗ size" in tip
    assert f"{len(failed)} failed" in w.status_label.text() and failed[0] in w.status_label.text()
    assert "failed: " in form.result.text()
    form.spins["max_size_bytes"].setValue(50.0)  # as before, for the tests below
    assert "gates: all 5 passed" in w.status_label.text()


def test_samples_say_plainly_why_a_variant_is_not_run(ran):
    w, _report, out, _hb, _live = ran
    from deploy_studio.core.progress import Reporter
    from deploy_studio.gui import engine_calls

    rows = [
        {
            "name": "q-eager",
            "artifact": "artifacts/q.pt",
            "runtime": "eager",
            "format": "eager",
            "steps": [{"kind": "quantize", "mode": "int8-dynamic"}],
        },
        {"name": "ios", "artifact": "artifacts/m.mlpackage", "runtime": None, "format": "coreml"},
    ]
    _ref, preds = engine_calls.predict_job(
        Reporter(),
        w.worker,
        w.doc.recipe,
        w.samples_panel.samples.images[0],
        rows,
        str(out),
        w.samples_panel._labels(),
    )
    assert preds[0].note.startswith("an optimized eager model is not saved as a file")
    assert preds[1].note.startswith("Core ML runs only on Apple platforms")


def test_sensitivity_table_adds_a_layer_to_keep_fp32_in_one_click(ran, tmp_path):
    w, report, _out, _hb, _live = ran
    sens = next(v for v in report["variants"] if v["name"] == "int8-onnx")["step_data"]["quantize"][
        "sensitivity"
    ]
    assert [r["layer"] for r in sens] and set(sens[0]) >= {
        "layer",
        "accuracy",
        "accuracy_drop",
        "max_abs_diff",
        "top1_agreement",
    }
    w.variants_panel.select("fp32-onnx")
    assert w.sensitivity.isHidden()  # no int8-static step, no table
    w.variants_panel.select("int8-onnx")
    panel = w.sensitivity
    assert not panel.isHidden() and panel.name == "int8-onnx"
    assert [panel.table.item(i, 1).text() for i in range(panel.table.rowCount())] == [
        r["layer"] for r in sens
    ]
    assert panel.table.item(0, 2).text() == f"{sens[0]['accuracy_drop'] * 100:.2f} pt"
    assert panel.keep_states() == {r["layer"]: False for r in sens}
    layer = sens[0]["layer"]
    panel.table.item(0, 0).setCheckState(Qt.CheckState.Checked)  # the one click
    step = w.doc.variant("int8-onnx").steps[0]
    assert step.options["keep_fp32"] == [layer]
    assert w.editor.forms[0].widget("keep_fp32").text() == layer  # the step form follows
    assert w.editor.problem.text().startswith("✓")
    # the table stays (from the last build) and says so; the edited variant's numbers are gone
    assert panel.keep_states()[layer] is True and "last build" in panel.caption.text()
    assert w.variants_panel.cell("int8-onnx", COL_SIZE) == ""
    path = tmp_path / "kept.toml"
    w.files.ask_save_path = lambda: str(path)
    assert w.files.save_as()
    from deploy_studio.core.recipe import load_recipe

    assert load_recipe(path).variants[-1].steps[0].options["keep_fp32"] == [layer]
    panel.table.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    assert w.doc.variant("int8-onnx").steps[0].options["keep_fp32"] == []
