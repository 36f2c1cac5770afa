"""The window serves every task: the Model tab shows a model's signature (named inputs and
outputs, the task output) and its task, the task combo writes ``[model] task``, the inputs
dialog writes validated ``[model] inputs`` (and the model loads again), the charts and the
variants table name the task's metric and agreement (mean IoU and pixel agreement for a
segmenter, live rows included), and the Built-in menu lists the demos of every task.

Screenshots of the Model tab and the charts go to ``$DEPLOY_STUDIO_SHOTS`` when it is set.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.report.model import Report
from deploy_studio.gui.formatting import fmt_metric, fmt_pct, metric_axis
from deploy_studio.gui.panels.variants_panel import COL_ACC, COL_AGREE, cell_text
from tests.gui.conftest import open_recipe, wait_until
from tests.support.models import MODELS_PY
from tests.support.recipes import variant, write_recipe

SMALL = {"calibration_samples": 16, "eval_samples": 16}
FAST = {"warmup": 1, "runs": 3}
SEG_VARIANTS = [variant("fp32-eager", "eager"), variant("fp32-onnx", "onnx", convert="export")]


def _shot(widget, name: str) -> None:
    """Save ``widget`` as PNG in ``$DEPLOY_STUDIO_SHOTS`` (to look at; nothing is asserted)."""
    folder = os.environ.get("DEPLOY_STUDIO_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        widget.grab().save(str(Path(folder) / name))


def _table(table) -> list[list[str]]:
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def _show_model_tab(window) -> None:
    window.model_dock.show()
    window.model_dock.raise_()
    window.resize(1400, 900)


@pytest.fixture()
def two_inputs(tmp_path) -> Path:
    model = {
        "source": f"{MODELS_PY}:ImageAndVector",
        "inputs": [
            {"name": "image", "shape": [1, 1, 28, 28]},
            {"name": "meta", "shape": [1, 6], "range": [0, 1]},
        ],
    }
    return write_recipe(tmp_path / "two.toml", model, SEG_VARIANTS[:1], data="random")


def test_the_model_tab_shows_a_multi_input_signature_and_its_task(window, two_inputs):
    open_recipe(window, two_inputs)
    sig = window.model_panel.signature
    assert _table(sig.inputs_table) == [
        ["image", "1×1×28×28", "float32", "—", "—"],
        ["meta", "1×6", "float32", "—", "0..1"],
    ]
    assert _table(sig.outputs_table) == [["output", "1×10", "float32", "◀ task"]]
    assert sig.task_combo.currentData() is None
    assert sig.task_combo.currentText() == "Auto (guessed: classification)"
    why = sig.task_why.text()
    assert why.startswith("Guessed: one score vector per sample") and "top-1 accuracy" in why
    _show_model_tab(window)
    wait_until(lambda: sig.isVisible(), 10, "the Model tab")
    _shot(window.model_dock, "model_tab_multi_input.png")
    _shot(window, "window_multi_input.png")


def test_a_dict_output_marks_the_task_output(window, tmp_path):
    path = write_recipe(tmp_path / "dict.toml", f"{MODELS_PY}:DictHeads", SEG_VARIANTS[:1])
    open_recipe(window, path)
    assert _table(window.model_panel.signature.outputs_table) == [
        ["logits", "1×10", "float32", "◀ task"],
        ["embedding", "1×32", "float32", ""],
    ]


def test_the_task_combo_writes_the_recipes_task(window, two_inputs):
    open_recipe(window, two_inputs)
    sig, doc = window.model_panel.signature, window.doc
    header = window.variants_panel.model.header
    assert header(COL_ACC) == "Accuracy" and header(COL_AGREE) == "Agree"
    sig.task_combo.setCurrentIndex(sig.task_combo.findData("regression"))
    assert doc.recipe.model.task == "regression" and doc.dirty
    assert tomllib.loads(doc.recipe.to_toml())["model"]["task"] == "regression"
    assert sig.task_why.text().startswith("Declared in the recipe ([model] task). Scored by MAE")
    assert header(COL_ACC) == "MAE" and header(COL_AGREE) == "Cosine"
    assert window.charts.accuracy_plot.getAxis("bottom").labelText == "MAE (lower is better)"
    sig.task_combo.setCurrentIndex(0)  # Auto: guessed again
    assert doc.recipe.model.task is None
    assert "task" not in tomllib.loads(doc.recipe.to_toml())["model"]
    assert header(COL_ACC) == "Accuracy"


def test_the_inputs_dialog_shows_what_is_wrong_and_writes_good_rows(qtbot):
    from deploy_studio.core.models.signature import DTYPES
    from deploy_studio.gui.dialogs import inputs_dialog
    from deploy_studio.gui.dialogs.inputs_dialog import InputsDialog

    assert inputs_dialog.DTYPES == DTYPES
    dlg = InputsDialog("net.py:Net", None, [1, 1, 28, 28])
    qtbot.addWidget(dlg)
    assert dlg.entries() == [{"name": "input", "shape": [1, 1, 28, 28], "dtype": "float32"}]
    for col, text, message in (
        (1, "1, a, 28", "not numbers separated by commas"),
        (1, "1, 0, 28", "shape must be a list of positive integers"),
        (1, "", "shape must be a list of positive integers"),
        (0, "two words", "needs a name"),
    ):
        dlg.set_cell(0, col, text)
        dlg._on_accept()
        assert message in dlg.error.text() and dlg.result() == 0 and dlg.inputs() is None
        dlg.set_cell(0, 0, "input")
        dlg.set_cell(0, 1, "1, 1, 28, 28")
    dlg.add_row({"name": "tokens", "shape": [1, 50]})
    dlg.set_cell(1, 2, "int64")
    dlg.set_cell(1, 3, "1 to 128")
    dlg._on_accept()
    assert "not like 1: 1..128" in dlg.error.text() and dlg.result() == 0
    dlg.set_cell(1, 3, "1: 1..128")
    dlg.set_cell(1, 4, "0..999")
    dlg.add_row({"name": "tokens", "shape": [1, 50]})
    dlg._on_accept()
    assert "two inputs are named 'tokens'" in dlg.error.text()
    dlg.table.selectRow(2)
    dlg._on_remove()
    dlg._on_accept()
    assert dlg.result() == 1 and dlg.error.text() == ""
    assert dlg.inputs() == [
        {"name": "input", "shape": [1, 1, 28, 28], "dtype": "float32"},
        {
            "name": "tokens",
            "shape": [1, 50],
            "dtype": "int64",
            "dynamic": {"1": [1, 128]},
            "range": [0, 999],
        },
    ]


def test_declared_inputs_go_to_the_recipe_and_the_model_loads_again(window, tiny_recipe_file):
    open_recipe(window, tiny_recipe_file)
    doc, sig = window.doc, window.model_panel.signature
    assert [i["name"] for i in doc.model_summary["inputs"]] == ["input"]
    sig.ask_inputs = lambda: [{"name": "pixels", "shape": [1, 1, 28, 28], "dtype": "float32"}]
    sig.declare_button.click()
    assert doc.recipe.model.inputs == [
        {"name": "pixels", "shape": [1, 1, 28, 28], "dtype": "float32"}
    ]
    assert doc.recipe.model.input_shape is None and doc.dirty
    wait_until(
        lambda: (doc.model_summary or {}).get("inputs", [{}])[0].get("name") == "pixels",
        120,
        "the model to load again with its declared inputs",
    )
    assert _table(sig.inputs_table) == [["pixels", "1×1×28×28", "float32", "—", "—"]]
    saved = tomllib.loads(doc.recipe.to_toml())["model"]
    assert saved["inputs"][0]["name"] == "pixels" and "input_shape" not in saved
    assert window.problems.rows() == []


def _seg_recipe(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    images = np.clip(rng.standard_normal((24, 1, 28, 28)), -1, 3).astype(np.float32)
    masks = np.where(images > 1.5, 2, np.where(images > 0.2, 1, 0)).astype(np.int64)[:, 0]
    masks[:, :3, :3] = 1  # not the model's own rule everywhere: the metric is not perfect
    np.savez(tmp_path / "seg.npz", image=images, masks=masks)
    model = {
        "source": f"{MODELS_PY}:TinySeg",
        "inputs": [{"name": "image", "shape": [1, 1, 28, 28]}],
    }
    return write_recipe(
        tmp_path / "seg.toml",
        model,
        SEG_VARIANTS,
        name="seg",
        data={"source": f"npz:{tmp_path / 'seg.npz'}", **SMALL},
        benchmark=FAST,
    )


def test_the_charts_and_the_table_show_a_segmenters_metric(window, tmp_path):
    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.recipe import load_recipe

    path = _seg_recipe(tmp_path)
    data = run_recipe(load_recipe(path), tmp_path / "out", isolate=False)
    report = Report.from_dict(data)
    assert report.task["name"] == "segmentation"
    open_recipe(window, path)
    charts, table = window.charts, window.variants_panel
    axis = charts.accuracy_plot.getAxis("bottom")
    # before any run: the loaded model's task (TinySeg's per-pixel output is guessed)
    wait_until(lambda: axis.labelText == "mean IoU %", 10, "the charts to name mean IoU")
    assert window.model_panel.signature.task_combo.currentText() == "Auto (guessed: segmentation)"
    # live: rows arrive one by one before the report exists
    window.doc.start_run(tmp_path / "live")
    eager = report.row("fp32-eager")
    window.doc.set_result("fp32-eager", eager)
    charts.refresh()
    assert table.cell("fp32-eager", COL_ACC) == fmt_pct(eager.metric)
    assert table.cell("fp32-eager", COL_AGREE) == fmt_pct(eager.agreement, 1)
    widths = charts.accuracy_bars.opts["width"]
    assert widths[0] == pytest.approx(eager.metric * 100)
    # the finished run
    window.doc.set_report(data, tmp_path / "out")
    charts.refresh()
    assert axis.labelText == "mean IoU %"
    assert charts.accuracy_plot.titleLabel.text == "Mean IoU"
    assert "mean IoU" in charts.pareto_plot.titleLabel.text
    assert charts.baseline_line.label.format == f"original {fmt_pct(report.baseline_metric)}"
    model = table.model
    assert model.header(COL_ACC) == "mean IoU" and model.header(COL_AGREE) == "Agree"
    assert "pixel agreement" in model._header_tip(COL_AGREE)
    for row in report.variants:
        assert table.cell(row.name, COL_ACC) == cell_text(row, COL_ACC, report.task)
        assert table.cell(row.name, COL_ACC) == fmt_pct(row.accuracy.value)
        assert table.cell(row.name, COL_AGREE) == fmt_pct(row.parity.agreement, 1)
    tip = model.index(model.row_of("fp32-onnx"), COL_ACC).data(3)  # ToolTipRole
    assert "mean IoU" in tip and "pixel accuracy" in tip
    _xs, ys = charts.pareto_scatter.getData()
    assert sorted(ys) == pytest.approx(sorted(r.metric * 100 for r in report.variants))
    window.resize(1400, 900)
    wait_until(lambda: charts.isVisible(), 10, "the charts")
    _shot(charts, "charts_segmentation.png")
    _shot(window, "window_segmentation.png")


def test_a_lower_is_better_metric_is_labelled_and_printed_as_a_number():
    mae = {"key": "mae", "label": "MAE", "higher_is_better": False, "unit": "float"}
    assert metric_axis(mae) == "MAE (lower is better)"
    assert fmt_metric(0.04123, mae) == "0.04123"
    top1 = {"key": "top1", "label": "top-1 accuracy", "higher_is_better": True, "unit": "percent"}
    assert metric_axis(top1) == "top-1 %" and fmt_metric(0.978, top1) == "97.80 %"


def test_the_builtin_menu_lists_the_demos_of_every_task(window, monkeypatch):
    from deploy_studio.gui.engine_calls import TORCHVISION_TASKS, task_demos

    demos = task_demos()
    names = {d.path.name for d in demos}
    assert "demo.toml" not in names
    actions = {a.objectName(): a for a in window.builtin_menu.actions()}
    for demo in demos:
        assert f"demo:{demo.path.stem}" in actions, demo
    opened: list[str] = []
    monkeypatch.setattr(window, "open_recipe", lambda p, on_done=None: opened.append(p))
    if demos:
        actions[f"demo:{demos[0].path.stem}"].trigger()
        assert opened == [str(demos[0].path)]
    sub = next(
        a.menu()
        for a in window.builtin_menu.actions()
        if a.menu() and a.text().startswith("torchvision segmentation")
    )
    assert [a.objectName() for a in sub.actions()] == [
        f"torchvision:{n}" for n in TORCHVISION_TASKS
    ]
