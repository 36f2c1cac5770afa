"""The Export dialog: which variant each app ships (the engine's ship_choice by default, or
the user's pick), the legacy-runtime warning, and the choices saved in the recipe so that
``deploy-studio run`` of the saved recipe renders the same apps."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QApplication

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.gates import failed_variants
from deploy_studio.core.pareto import ship_choice
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import load_recipe
from tests.gui.conftest import close_window, make_window, open_recipe, tiny_recipe_text, wait_until
from tests.support.recipes import EAGER, ONNX, PTE, PTL, variant

VARIANTS = [
    EAGER,
    PTE,
    variant("int8-pte", "pte", {"kind": "quantize", "mode": "int8-static"}, convert="export"),
    ONNX,
    PTL,
]


@pytest.fixture(scope="module")
def built(qapp, tmp_path_factory, tiny_model):
    """(window, folder) after building and measuring the five variants once."""
    folder = tmp_path_factory.mktemp("export-choices")
    recipe = folder / "tiny.toml"
    recipe.write_text(tiny_recipe_text(tiny_model, VARIANTS))
    w = make_window()
    open_recipe(w, recipe)
    assert w.start_run(str(folder / "run"))
    wait_until(lambda: not w.run.running and w.run.report is not None, 300, "the run")
    yield w, folder
    close_window(w)


def _dialog(w):
    w._on_export()
    dlg = w.export_dialog
    assert dlg.isVisible()
    return dlg


def test_each_app_defaults_to_the_engines_ship_choice_and_says_why(built):
    w, _folder = built
    dlg = _dialog(w)
    rows = [w.doc.results[v.name] for v in w.doc.variants]
    failed = failed_variants(w.doc.gate_results)
    for platform in dlg.platform_boxes:
        fmt = dlg.format_of(platform)
        expected = ship_choice(rows, fmt, failed)
        combo = dlg.variant_combos[platform]
        assert combo.currentData() == expected.name, platform
        # only the variants in the runtime's format, with their size and p50
        assert [combo.itemData(i) for i in range(combo.count())] == [
            v.name for v in w.doc.variants if v.format == fmt
        ]
        text = combo.currentText()
        assert text.startswith(expected.name) and " kB" in text and "p50" in text
        assert f"{expected.p50:.3f} ms" in text
        reason = dlg.reason_labels[platform].text()
        assert reason.startswith("The ") and fmt in reason, reason
    # a pick of the user's own is called that, next to the rule's pick
    combo = dlg.variant_combos["android"]
    rule = combo.currentData()
    other = next(combo.itemData(i) for i in range(combo.count()) if combo.itemData(i) != rule)
    combo.setCurrentIndex(combo.findData(other))
    assert (
        dlg.reason_labels["android"].text() == f"Your choice; the engine's rule would ship {rule}."
    )
    dlg.reject()


def test_pytorch_lite_is_marked_legacy(built):
    w, _folder = built
    dlg = _dialog(w)
    note = dlg.legacy_labels["android"]
    assert not note.isVisibleTo(dlg)
    runtime = dlg.runtime_combos["android"]
    runtime.setCurrentIndex(runtime.findData("pytorch-lite"))
    assert note.isVisibleTo(dlg)
    assert (
        "pytorch_android_lite 2.1.0" in note.text()
        and "16 KB" in note.text()
        and "targetSdk 35" in note.text()
    )
    assert "legacy" in runtime.currentText()
    # the variants follow the runtime's format (ptl)
    combo = dlg.variant_combos["android"]
    assert [combo.itemData(i) for i in range(combo.count())] == ["fp32-ptl"]
    assert dlg.reason_labels["android"].text() == "The only ptl variant built."
    QApplication.processEvents()  # let the layout take the note in before the picture
    dlg.grab().save("/tmp/export_dialog_pytorch_lite.png")
    dlg.platform_boxes["android"].setChecked(False)
    assert not note.isVisibleTo(dlg)
    dlg.reject()


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_export_choices_are_saved_in_the_recipe_and_run_by_the_cli(built, tmp_path):
    w, _folder = built
    dlg = _dialog(w)
    dlg.resize(900, 760)
    for p, cb in dlg.platform_boxes.items():
        cb.setChecked(p in ("android", "web"))
    combo = dlg.variant_combos["android"]
    rule = combo.currentData()
    chosen = (
        "fp32-pte" if rule != "fp32-pte" else "int8-pte"
    )  # not the default: the choice must travel
    combo.setCurrentIndex(combo.findData(chosen))
    web_variant = dlg.variant_combos["web"].currentData()
    assert web_variant == "fp32-onnx"
    dlg.app_name.setText("Digit Checker")
    dlg.set_output_dir(str(tmp_path / "export"))
    QApplication.processEvents()
    dlg.grab().save("/tmp/export_dialog.png")
    dlg.export_button.click()
    wait_until(lambda: dlg.job is not None and dlg.job.done, 300, "the export")
    wait_until(
        lambda: dlg.result is not None or dlg.status.text().startswith("Export failed"),
        120,
        "the summary",
    )
    assert dlg.result is not None, (dlg.status.text(), w.problems.rows())
    apps = {
        t["platform"]: t
        for t in json.loads((tmp_path / "export" / "report.json").read_text())["templates"]
    }
    assert apps["android"]["variant"] == chosen and apps["android"]["path"]
    assert apps["web"]["variant"] == "fp32-onnx"
    dlg.grab().save("/tmp/export_dialog_done.png")
    dlg.reject()

    # the choices are in the recipe (and the document is dirty until saved)
    ex = w.doc.recipe.export
    assert [(t.platform, t.runtime, t.variant) for t in ex.templates] == [
        ("android", "executorch", chosen),
        ("web", "onnxruntime-web", "fp32-onnx"),
    ]
    assert ex.app_name == "Digit Checker" and w.doc.dirty

    # reopened, the dialog starts from what the recipe says
    again = _dialog(w)
    assert {p for p, cb in again.platform_boxes.items() if cb.isChecked()} == {"android", "web"}
    assert again.variant_combos["android"].currentData() == chosen
    assert again.app_name.text() == "Digit Checker"
    again.reject()

    # saved and opened again: same choices
    saved = tmp_path / "saved.toml"
    w.files.ask_save_path = lambda: str(saved)
    assert w.files.save_as()
    back = load_recipe(saved)
    assert [(t.platform, t.runtime, t.variant) for t in back.export.templates] == [
        ("android", "executorch", chosen),
        ("web", "onnxruntime-web", "fp32-onnx"),
    ]
    assert back.export.app_name == "Digit Checker"

    # deploy-studio run of the saved recipe renders the apps with the chosen variants
    out = tmp_path / "cli"
    report = run_recipe(back, out, reporter=Reporter())
    cli_apps = {t["platform"]: t for t in report["templates"]}
    assert cli_apps["android"]["variant"] == chosen, cli_apps
    assert (out / cli_apps["android"]["path"]).is_dir()
    assert cli_apps["web"]["variant"] == "fp32-onnx"

    # and the window, opening the saved recipe (nothing built yet), shows the same choices
    open_recipe(w, saved)
    fresh = _dialog(w)
    assert {p for p, cb in fresh.platform_boxes.items() if cb.isChecked()} == {"android", "web"}
    assert fresh.variant_combos["android"].currentData() == chosen
    assert "not built yet" in fresh.variant_combos["android"].currentText()
    assert fresh.app_name.text() == "Digit Checker"
    fresh.reject()


def test_execution_provider_follows_the_runtime_and_is_saved(built):
    """Android / iOS offer their ONNX Runtime execution providers only while the app's runtime
    is ONNX Runtime; the pick goes into [export] onnxruntime_providers (default cpu: none)."""
    w, _folder = built
    dlg = _dialog(w)
    assert set(dlg.provider_combos) == {"android", "ios"}  # Web: onnxruntime-web, no choice
    android, ios = dlg.provider_combos["android"], dlg.provider_combos["ios"]
    assert [android.itemData(i) for i in range(android.count())] == ["cpu", "nnapi", "xnnpack"]
    assert [ios.itemData(i) for i in range(ios.count())] == ["cpu", "coreml"]
    for p in ("android", "ios"):  # an earlier test may have saved them unticked
        dlg.platform_boxes[p].setChecked(True)
    assert not android.isEnabled() and not ios.isEnabled()  # ExecuTorch by default
    for p in ("android", "ios"):
        runtime = dlg.runtime_combos[p]
        runtime.setCurrentIndex(runtime.findData("onnxruntime"))
    assert android.isEnabled() and ios.isEnabled()
    android.setCurrentIndex(android.findData("nnapi"))
    ios.setCurrentIndex(ios.findData("coreml"))
    assert dlg.chosen_providers() == {"android": "nnapi", "ios": "coreml"}
    dlg.platform_boxes["ios"].setChecked(False)
    assert not ios.isEnabled() and dlg.chosen_providers() == {"android": "nnapi"}
    saved = w.doc.recipe.copy()
    try:
        assert dlg.save_choices()
        assert w.doc.recipe.export.onnxruntime_providers == {"android": "nnapi"}
        again = load_recipe_text(w.doc.recipe.to_dict())
        assert again.export.onnxruntime_providers == {"android": "nnapi"}
        runtime = dlg.runtime_combos["android"]
        runtime.setCurrentIndex(runtime.findData("executorch"))
        assert not android.isEnabled() and dlg.chosen_providers() is None
    finally:
        w.doc.recipe = saved
        dlg.reject()


def load_recipe_text(d: dict):
    from deploy_studio.core.recipe import parse_recipe

    return parse_recipe(d)


def test_litert_accelerator_shows_for_the_android_litert_app_and_is_saved(built):
    """The Android LiteRT app's accelerator (CPU or GPU with CPU fallback) takes the provider
    column while the runtime is LiteRT; the pick goes into [export] litert_accelerator."""
    w, _folder = built
    dlg = _dialog(w)
    combo, provider = dlg.litert_combo, dlg.provider_combos["android"]
    assert combo is not None
    assert [combo.itemData(i) for i in range(combo.count())] == ["cpu", "gpu"]
    dlg.platform_boxes["android"].setChecked(True)  # an earlier test may have saved it unticked
    runtime = dlg.runtime_combos["android"]
    runtime.setCurrentIndex(runtime.findData("executorch"))
    assert not combo.isEnabled()
    runtime.setCurrentIndex(runtime.findData("litert"))
    assert combo.isEnabled() and not provider.isEnabled()
    assert not combo.isHidden() and provider.isHidden()
    combo.setCurrentIndex(combo.findData("gpu"))
    saved = w.doc.recipe.copy()
    try:
        assert dlg.save_choices()
        assert w.doc.recipe.export.litert_accelerator == "gpu"
        assert load_recipe_text(w.doc.recipe.to_dict()).export.litert_accelerator == "gpu"
        runtime.setCurrentIndex(runtime.findData("onnxruntime"))
        assert combo.isHidden() and not provider.isHidden() and provider.isEnabled()
    finally:
        w.doc.recipe = saved
        dlg.reject()
