"""The Profile tab and the numerical debugger panel after real runs through the window.

The Samples panel's "Profile" and "Also at 1, 2, 4 threads" boxes turn the measurements on
(as a user would), a run builds and measures the tiny model's variants, and every figure the
tab shows is compared with report.json's: the top-operator bars and op table, the delegation
coverage, memory and load times side by side, the thread-scaling lines, and a second
variant's profile beside the first. A model built with one layer int8 ruins
(``OneSensitiveLayer``: fc2) then shows the debugger's table, and one click keeps fc2 float.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from deploy_studio.gui.panels.profile_text import (
    memory_cells,
    scaling_points,
    summary_line,
    table_cells,
    top_ops,
)
from tests.gui.conftest import close_window, make_window, open_recipe, tiny_recipe_text, wait_until
from tests.support.models import MODELS_PY, TINY_DIGITS_SHAPE
from tests.support.recipes import EAGER, ONNX, PTE, recipe_toml, variant

pytestmark = pytest.mark.slow  # runs through the window, with profiles and memory probes


def _run(w, out) -> dict:
    assert w.start_run(str(out))
    wait_until(lambda: not w.run.running and w.run.report is not None, 900, "the run to finish")
    return json.loads((out / "report.json").read_text())


@pytest.fixture(scope="module")
def profiled(qapp, tmp_path_factory, tiny_model):
    folder = tmp_path_factory.mktemp("profiled")
    recipe = folder / "tiny.toml"
    recipe.write_text(tiny_recipe_text(tiny_model, [EAGER, PTE, ONNX]))
    w = make_window()
    open_recipe(w, recipe)
    w.samples_panel.profile_box.setChecked(True)  # what a user ticks
    w.samples_panel.scaling_box.setChecked(True)
    report = _run(w, folder / "out")
    yield w, report
    close_window(w)


def test_the_boxes_set_the_recipe_keys(profiled):
    w, report = profiled
    bench = w.doc.recipe.benchmark
    assert bench.profile is True and bench.threads == [1, 2, 4]
    assert report["benchmark"]["profile"] is True
    assert report["benchmark"]["thread_counts"] == [1, 2, 4]


def test_the_profile_tab_shows_each_variants_profile_from_the_report(profiled):
    w, report = profiled
    panel = w.profile
    for row in report["variants"]:
        assert row["error"] is None, row
        assert row["profile"]["rows"], row["name"]
        w.variants_panel.select(row["name"])  # the tab follows the selection
        view = panel.view_a
        assert view.name == row["name"] and panel.first.currentText() == row["name"]
        typed = w.doc.results[row["name"]]
        assert view.op_rows() == table_cells(row["profile"])
        runs = row["profile"]["runs"]
        first = max(row["profile"]["rows"], key=lambda r: r["total_ms"])
        assert view.op_rows()[0][0] == first["op"]
        assert view.op_rows()[0][4] == f"{first['total_ms'] / runs:.4f}"
        ops = top_ops(row["profile"])
        np.testing.assert_allclose(view.bars.opts["width"], [ms for _, ms, _ in ops])
        assert view.summary.text() == summary_line(typed)
        assert row["profile"]["source"].split(" ")[0] in view.summary.text()
    w.variants_panel.select("fp32-pte")
    cov = report["variants"][1]["coverage"]
    assert panel.view_a.coverage.text().startswith("Delegation: ")
    assert f"{cov['ops_delegated']}/{cov['ops_total']} ops" in panel.view_a.coverage.text()


def test_memory_load_and_thread_scaling_for_every_variant(profiled):
    w, report = profiled
    table = w.profile.memory
    cells = {r[0]: r for r in table.cells()}
    for row in report["variants"]:
        typed = w.doc.results[row["name"]]
        assert cells[row["name"]][3:] == memory_cells(typed)
        if row["format"] == "eager":  # an in-memory module: nothing to load
            assert row.get("load_ms") is None and cells[row["name"]][3] == "n/a"
        else:
            assert cells[row["name"]][3] == f"{row['load_ms']['cold']:.2f}"
            assert row["memory"]["peak_rss_bytes"] >= row["memory"]["baseline_rss_bytes"] > 0
        pts = [(t["threads"], t["p50"]) for t in row["threads_scaling"]]
        assert scaling_points(typed) == sorted(pts) and [p[0] for p in sorted(pts)] == [1, 2, 4]
    assert set(w.profile.scaling.lines) == {r["name"] for r in report["variants"]}
    assert w.profile.scaling.empty.isHidden()


def test_two_variants_side_by_side(profiled, tmp_path):
    w, report = profiled
    panel = w.profile
    w.view_tabs.setCurrentWidget(panel)
    assert panel.view_b.isHidden()  # no comparison until one is picked
    w.variants_panel.select("fp32-pte")
    panel.compare_with("fp32-onnx")
    assert not panel.view_b.isHidden()
    assert panel.view_a.name == "fp32-pte" and panel.view_b.name == "fp32-onnx"
    onnx = next(r for r in report["variants"] if r["name"] == "fp32-onnx")
    assert panel.view_b.op_rows() == table_cells(onnx["profile"])
    w.resize(1600, 1000)
    w.grab().save(str(tmp_path / "profile_tab.png"))
    w.grab().save("/tmp/main_window_profile_tab.png")
    panel.compare_with(None)
    assert panel.view_b.isHidden()
    w.view_tabs.setCurrentWidget(w.charts)


DEBUG = {"kind": "quantize", "mode": "int8-static", "debug": True}


def test_the_debugger_points_at_the_sensitive_layer_and_keeps_it_float_in_one_click(qapp, tmp_path):
    recipe = tmp_path / "sensitive.toml"
    recipe.write_text(
        recipe_toml(
            {"source": f"{MODELS_PY}:OneSensitiveLayer", "input_shape": TINY_DIGITS_SHAPE},
            [variant("int8", "pte", DEBUG, convert="export")],
            data={"source": "builtin:digits", "calibration_samples": 32, "eval_samples": 20},
            benchmark={"threads": 1, "warmup": 1, "runs": 3},
            export={"templates": [], "app_name": "Sensitive"},
        )
    )
    w = make_window()
    try:
        open_recipe(w, recipe)
        report = _run(w, tmp_path / "out")
        q = report["variants"][0]["step_data"]["quantize"]
        assert q["numerics_worst"][0] == "fc2" and q["numerics_suggest"] == ["fc2"]
        w.variants_panel.select("int8")
        panel = w.numerics
        assert not panel.isHidden() and panel.name == "int8"
        assert [r[0] for r in panel.table_cells()] == [r["layer"] for r in q["numerics"]]
        fc2 = next(r for r in q["numerics"] if r["layer"] == "fc2")
        assert ["fc2", f"{fc2['snr_db']:.1f}", f"{fc2['cosine']:.5f}"] == next(
            r for r in panel.table_cells() if r[0] == "fc2"
        )[:3]
        assert "fc2" in panel.caption.text() and panel.keep_button.text() == "Keep fc2 in float"
        # the table gets room under the step editor when it appears
        wait_until(lambda: panel.height() >= panel.table.height(), 30, "the table's room")
        w.grab().save("/tmp/main_window_numerics.png")
        panel.keep_button.click()  # the one click
        assert w.doc.variant("int8").steps[0].options["keep_fp32"] == ["fc2"]
        assert not panel.keep_button.isEnabled()  # nothing left to keep
        assert w.doc.dirty
    finally:
        close_window(w)
