"""Variants: presets, the generated option forms, duplicate/remove/include, inline validation."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from tests.gui.conftest import open_recipe, tiny_recipe_text
from tests.support.recipes import EAGER


def _preset(window, name):
    return next(
        a for a in window.variants_panel.add_menu.actions() if a.objectName() == f"preset_{name}"
    )


def _open(window, tmp_path, tiny_model, variants=None):
    p = tmp_path / "r.toml"
    p.write_text(tiny_recipe_text(tiny_model, variants or [EAGER]))
    open_recipe(window, p)


def test_every_preset_adds_a_valid_variant(window, tmp_path, tiny_model):
    _open(window, tmp_path, tiny_model)
    names = [
        "fp32-pte",
        "int8-pte",
        "pruned-int8-pte",
        "student-pte",
        "fp32-onnx",
        "fp32-ptl",
        "fp32-coreml",
        "fp32-pte-coreml",
        "fp32-pte-vulkan",
    ]
    for n in names:
        _preset(window, n).trigger()
    assert [v.name for v in window.doc.variants] == ["fp32-eager", *names]
    for v in window.doc.variants:
        assert window.doc.problem_of(v) is None, (v.name, window.doc.problem_of(v))
    pruned = window.doc.variant("pruned-int8-pte")
    assert [s.kind for s in pruned.steps] == ["prune", "quantize"]
    assert (
        pruned.steps[0].options["amount"] == 0.5
        and pruned.steps[1].options["mode"] == "int8-static"
    )
    # adding the same preset twice gets a unique name
    _preset(window, "int8-pte").trigger()
    assert window.doc.variants[-1].name == "int8-pte-2"
    assert window.doc.dirty


def test_form_is_generated_from_the_steps_options(window, tmp_path, tiny_model):
    _open(window, tmp_path, tiny_model)
    _preset(window, "pruned-int8-pte").trigger()
    window.variants_panel.select("pruned-int8-pte")
    assert window.editor.name == "pruned-int8-pte"
    prune_form, quant_form = window.editor.forms
    from deploy_studio.core.registry import STEPS

    assert [o.key for o in prune_form.options] == [o.key for o in STEPS.get("prune").options]
    amount = prune_form.widget("amount")
    assert isinstance(amount, QDoubleSpinBox) and amount.maximum() == 0.95
    mode = quant_form.widget("mode")
    assert isinstance(mode, QComboBox) and mode.count() == len(
        STEPS.get("quantize").options[0].choices
    )
    amount.setValue(0.3)
    assert window.doc.variant("pruned-int8-pte").steps[0].options["amount"] == 0.3


def test_invalid_combination_is_explained_inline_before_running(window, tmp_path, tiny_model):
    _open(window, tmp_path, tiny_model)
    _preset(window, "int8-pte").trigger()
    window.variants_panel.select("int8-pte")
    ed = window.editor
    assert ed.problem.text().startswith("✓")
    ed.format_combo.setCurrentIndex(
        ed.format_combo.findData("ptl")
    )  # int8-static cannot go to .ptl
    spec = window.doc.variant("int8-pte")
    assert spec.format == "ptl" and spec.convert == "trace"
    assert ed.problem.text().startswith("⚠") and "ptl" in ed.problem.text()
    assert window.variants_panel.cell("int8-pte", 4) == "invalid"
    assert window.start_run(str(tmp_path / "out")) is False
    assert any("int8-pte" in where for _m, _h, where in window.problems.rows())
    assert not (tmp_path / "out").exists()
    # fixing it in the form clears the problem
    ed.forms[0].widget("mode").setCurrentText("int8-dynamic")
    assert window.editor.problem.text().startswith("✓")
    assert window.variants_panel.cell("int8-pte", 4) != "invalid"


def test_step_order_rules_are_explained(window, tmp_path, tiny_model):
    _open(window, tmp_path, tiny_model)
    _preset(window, "int8-pte").trigger()
    window.variants_panel.select("int8-pte")
    window.editor._on_add_step("prune")  # inserted before quantize: valid
    assert [s.kind for s in window.doc.variant("int8-pte").steps] == ["prune", "quantize"]
    window.editor._on_move_step(0, 1)  # quantize before prune: the engine refuses
    assert "quantize must come after prune" in window.editor.problem.text()


def test_duplicate_remove_and_rename(window, tmp_path, tiny_model):
    _open(window, tmp_path, tiny_model)
    panel = window.variants_panel
    panel.select("fp32-eager")
    panel.duplicate_action.trigger()
    assert [v.name for v in window.doc.variants] == ["fp32-eager", "fp32-eager-copy"]
    assert window.doc.color("fp32-eager") != window.doc.color("fp32-eager-copy")
    panel.select("fp32-eager-copy")
    window.editor.name_edit.setText("baseline-2")
    window.editor._on_rename()
    assert window.doc.variant("baseline-2") is not None
    window.editor.name_edit.setText("fp32-eager")  # taken: refused, explained
    window.editor._on_rename()
    assert window.doc.variant("baseline-2") is not None and "taken" in window.editor.problem.text()
    panel.select("baseline-2")
    panel.remove_action.trigger()
    assert [v.name for v in window.doc.variants] == ["fp32-eager"]


def test_format_options_are_a_form_from_the_format_contract(window, tmp_path, tiny_model):
    from PySide6.QtWidgets import QComboBox

    from deploy_studio.core.registry import FORMATS
    from deploy_studio.gui.panels.option_form import OptionForm

    _open(window, tmp_path, tiny_model)
    _preset(window, "fp32-pte").trigger()
    window.variants_panel.select("fp32-pte")
    form = window.editor.findChild(OptionForm, "formatOptions")
    assert form is not None
    assert [o.key for o in form.options] == [o.key for o in FORMATS.get("pte").obj.options]
    delegate = form.widget("delegate")
    assert isinstance(delegate, QComboBox) and delegate.currentText() == "xnnpack"
    assert window.doc.variant("fp32-pte").format_options == {}  # defaults are not written
    # choosing a value the user wants kept writes it; switching format drops it
    form.changed.emit({"delegate": "xnnpack"})
    window.variants_panel.select("fp32-pte")
    window.editor.format_combo.setCurrentIndex(window.editor.format_combo.findData("onnx"))
    v = window.doc.variant("fp32-pte")
    assert v.format == "onnx" and v.format_options == {} and v.convert == "export"
    assert window.editor.findChild(OptionForm, "formatOptions") is None
    assert window.doc.problem_of(v) is None


def test_delegate_presets_and_a_row_not_run_here(window, tmp_path, tiny_model):
    """The Core ML / Vulkan delegates come as presets and as choices of the generated form; a
    built row this host cannot run shows its size and partition coverage, and "not measured
    here" (the reason as tooltip) for latency, in the table and in the latency chart."""
    from PySide6.QtCore import Qt

    from deploy_studio.core.formats.pte_delegates import DELEGATES
    from deploy_studio.core.report.model import VariantResult
    from deploy_studio.gui.panels.option_form import OptionForm
    from deploy_studio.gui.panels.variant_cells import (
        COL_P50,
        COL_SIZE,
        NOT_MEASURED,
        NOT_RUN_CELL,
    )

    _open(window, tmp_path, tiny_model)
    _preset(window, "fp32-pte-vulkan").trigger()
    window.variants_panel.select("fp32-pte-vulkan")
    form = window.editor.findChild(OptionForm, "formatOptions")
    combo = form.widget("delegate")
    assert combo.currentText() == "vulkan"
    assert [combo.itemText(i) for i in range(combo.count())] == ["xnnpack", "coreml", "vulkan"]
    assert window.doc.variant("fp32-pte-vulkan").format_options == {"delegate": "vulkan"}

    window.doc.start_run(tmp_path / "live")
    reason = DELEGATES["vulkan"].not_runnable
    row = VariantResult(
        "fp32-pte-vulkan",
        "pte",
        convert="export",
        artifact="artifacts/fp32-pte-vulkan.pte",
        files=["artifacts/fp32-pte-vulkan.pte"],
        size_bytes=123_456,
        delegates=["vulkan"],
        not_runnable=reason,
        coverage={
            "delegate": "vulkan",
            "ops_delegated": 9,
            "ops_total": 10,
            "flops_delegated_share": 0.98,
            "undelegated": {"aten.cumsum.default": 1},
        },
    )
    window.doc.set_result("fp32-pte-vulkan", row)
    window.charts.refresh()
    table = window.variants_panel
    assert table.cell("fp32-pte-vulkan", COL_P50) == NOT_RUN_CELL
    assert table.cell("fp32-pte-vulkan", COL_SIZE) != ""
    model = table.model
    r = model.row_of("fp32-pte-vulkan") if hasattr(model, "row_of") else None
    if r is None:
        r = [model.index(i, 1).data() for i in range(model.rowCount())].index("fp32-pte-vulkan")
    tip = model.index(r, COL_P50).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == f"not measured on this host: {reason}"
    size_tip = model.index(r, COL_SIZE).data(Qt.ItemDataRole.ToolTipRole)
    assert "123,456 bytes" in size_tip and "vulkan took 9/10 ops, 98.0% of FLOPs" in size_tip
    assert "aten.cumsum.default x1" in size_tip
    labels = [t.toPlainText() for t in window.charts.latency_labels.items if t.isVisible()]
    assert NOT_MEASURED in labels
    shot = tmp_path / "not-measured-here.png"
    assert window.grab().save(str(shot))
