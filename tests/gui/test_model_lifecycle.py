"""Opening a model starts a new recipe made for it; a failed load changes nothing; built-in
recipes open as untitled copies and nothing is written into the package's resources/."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication

from deploy_studio.core.recipe import ExportSpec, load_recipe
from deploy_studio.gui.main_window import DEMO_RECIPE
from deploy_studio.gui.recipe_files import resources_dir
from tests.gui.conftest import FOUR_VARIANTS, open_recipe, tiny_recipe_text, wait_until
from tests.support.recipes import variant

DISTILL = variant(
    "student-pte",
    "pte",
    {"kind": "distill", "student": "builtin:digits-cnn-small", "epochs": 1},
    convert="export",
)


def _builtin_action(window, spec: str):
    return next(a for a in window.builtin_menu.actions() if a.objectName() == spec)


def _torchvision_action(window, arch: str):
    tv = next(a.menu() for a in window.builtin_menu.actions() if a.menu() is not None)
    return next(a for a in tv.actions() if a.text() == arch)


def _preset(window, name):
    return next(
        a for a in window.variants_panel.add_menu.actions() if a.objectName() == f"preset_{name}"
    )


def _digits_recipe(window, tmp_path, tiny_model) -> Path:
    """The tiny model on builtin:digits with four variants, a distilled student and apps."""
    src = tmp_path / "digits.toml"
    src.write_text(
        tiny_recipe_text(tiny_model, [*FOUR_VARIANTS, DISTILL], export={"templates": ["android"]})
    )
    open_recipe(window, src)
    return src


def test_torchvision_model_after_the_digits_recipe_gets_a_new_recipe_that_fits_it(
    window, tmp_path, tiny_model
):
    _digits_recipe(window, tmp_path, tiny_model)
    doc, samples = window.doc, window.samples_panel
    assert doc.recipe.data.source == "builtin:digits" and doc.variant("student-pte") is not None
    wait_until(
        lambda: samples.grid.count() > 0 and samples.preds.rowCount() > 0, 120, "the digits samples"
    )
    at_load = []
    window.loader.loaded.connect(
        lambda _info: at_load.append((samples.grid.count(), samples.preds.rowCount()))
    )

    _torchvision_action(window, "mobilenet_v3_small").trigger()
    wait_until(
        lambda: (doc.model_summary or {}).get("spec") == "torchvision:mobilenet_v3_small",
        120,
        "mobilenet",
    )

    r = doc.recipe
    assert r.model.source == "torchvision:mobilenet_v3_small"
    assert r.name == "mobilenet_v3_small" and r.path is None and not doc.dirty
    assert r.data.source == "random"  # 1000 ImageNet classes: the digits do not fit it
    assert [v.name for v in r.variants] == ["fp32-eager", "fp32-pte", "int8-pte"]
    assert not any(
        s.kind == "distill" for v in r.variants for s in v.steps
    )  # no student of the old recipe
    assert vars(r.export) == vars(ExportSpec())  # export settings start over
    assert doc.results == {} and doc.previous_results == {}
    assert samples.source_combo.currentData() == "random"  # the Samples panel shows it
    assert window.model_panel.title.text() == "torchvision:mobilenet_v3_small"
    assert window.model_panel.fields["Output"].text() == "1 × 1000"
    assert window.windowTitle().startswith("mobilenet_v3_small")
    # the digits samples and their predictions were gone the moment the new model was taken
    assert at_load == [(0, 0)]
    wait_until(
        lambda: samples.samples is not None and samples.grid.count() > 0, 120, "the new samples"
    )
    assert samples.samples.images.shape[1:3] == (224, 224)
    # the distillation preset no longer offers the digits student either
    _preset(window, "student-pte").trigger()
    student = doc.variant("student-pte").steps[0].options["student"]
    assert student != "builtin:digits-cnn-small"
    assert window.problems.rows() == []


def test_builtin_digits_model_gets_digits_data(window):
    _builtin_action(window, "builtin:digits-cnn-small").trigger()
    wait_until(lambda: window.doc.model_summary is not None, 120, "the model")
    r = window.doc.recipe
    assert r.data.source == "builtin:digits"  # takes an image, 10 outputs
    assert [v.name for v in r.variants] == ["fp32-eager", "fp32-pte", "int8-pte"]
    assert window.samples_panel.source_combo.currentData() == "builtin:digits"


def test_recipe_from_a_file_loads_its_own_model_into_it(window, tmp_path, tiny_model):
    src = _digits_recipe(window, tmp_path, tiny_model)
    r = window.doc.recipe
    assert r.path == src and not window.doc.dirty
    assert [v.name for v in r.variants] == [
        "fp32-eager",
        "fp32-pte",
        "fp32-onnx",
        "fp32-ptl",
        "student-pte",
    ]
    assert window.doc.model_summary["spec"].endswith("tiny.py:TinyNet")
    assert [(t.platform, t.runtime) for t in r.export.templates] == [("android", "executorch")]


def test_failed_load_leaves_recipe_model_and_build_target_unchanged(window, tmp_path, tiny_model):
    src = _digits_recipe(window, tmp_path, tiny_model)
    doc, panel = window.doc, window.model_panel
    recipe, before = doc.recipe, doc.recipe.to_dict()
    summary = doc.model_summary
    title, layers = panel.title.text(), panel.layers.rowCount()
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"this is not a model at all")

    window.open_dropped(str(bad))  # as a drop does
    wait_until(lambda: window.problems.rows() and not window.loader.loading, 120, "the failure")

    assert "broken.pt" in window.problems.rows()[0][0]
    assert (
        doc.recipe is recipe
        and doc.recipe.to_dict() == before
        and doc.path == src
        and not doc.dirty
    )
    assert doc.model_summary is summary
    assert panel.title.text() == title == summary["spec"]  # the header names the current model
    assert panel.layers.rowCount() == layers > 0
    assert panel.status.text() == "Loaded and validated with a forward pass."
    assert panel.notice.isVisibleTo(panel)
    assert (
        "could not load" in panel.notice_text.text().lower()
        and "broken.pt" in panel.notice_text.text()
    )
    status = window.status_label.text()
    assert "broken.pt" in status and summary["spec"] in status  # which model is current
    window.model_dock.raise_()
    QApplication.processEvents()
    panel.grab().save("/tmp/model_panel_failed_load.png")
    panel.notice_close.click()
    assert not panel.notice.isVisibleTo(panel)

    # Build still builds the recipe's own model
    for v in doc.variants:
        doc.set_enabled(v.name, v.name == "fp32-eager")
    out = tmp_path / "out"
    assert window.start_run(str(out))
    wait_until(lambda: not window.run.running, 300, "the run")
    report = json.loads((out / "report.json").read_text())
    assert report["model"]["spec"] == recipe.model.source
    assert [v["name"] for v in report["variants"]] == ["fp32-eager"]


def test_failed_load_with_nothing_open_says_so(window, tmp_path):
    bad = tmp_path / "garbage.pt"
    bad.write_bytes(b"\x00garbage")
    window.open_model_path(str(bad))
    wait_until(lambda: window.problems.rows() and not window.loader.loading, 120, "the failure")
    assert window.doc.recipe is None and window.doc.model_summary is None
    assert window.model_panel.title.text() == "No model"
    assert (
        "garbage.pt" in window.status_label.text()
        and "no model is open" in window.status_label.text()
    )


def test_unsaved_changes_are_asked_about_before_a_model_replaces_the_recipe(
    window, tmp_path, tiny_model
):
    _digits_recipe(window, tmp_path, tiny_model)
    _preset(window, "int8-onnx").trigger()
    assert window.doc.dirty
    recipe, job = window.doc.recipe, window.loader.job
    answers = []
    window.files.ask_unsaved = lambda: answers.append("asked") or "cancel"
    _builtin_action(window, "builtin:digits-cnn-small").trigger()
    window.open_model_path(str(tiny_model))  # a drop or File ▸ Open Model asks too
    assert answers == ["asked", "asked"]
    assert window.loader.job is job  # nothing was even loaded
    assert (
        window.doc.recipe is recipe
        and window.doc.variant("int8-onnx") is not None
        and window.doc.dirty
    )

    window.files.ask_unsaved = lambda: answers.append("asked") or "discard"
    _builtin_action(window, "builtin:digits-cnn-small").trigger()
    wait_until(
        lambda: window.doc.recipe is not recipe and window.doc.model_summary is not None,
        120,
        "the new recipe",
    )
    assert len(answers) == 3
    assert window.doc.recipe.model.source == "builtin:digits-cnn-small"
    assert window.doc.variant("int8-onnx") is None and window.doc.variant("student-pte") is None


def _resource_state() -> dict[str, tuple[int, int]]:
    return {
        str(p): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in resources_dir().rglob("*")
        if p.is_file()
    }


def test_demo_opens_as_an_untitled_copy_and_is_never_written(window, tmp_path):
    demo_bytes = DEMO_RECIPE.read_bytes()
    resources = _resource_state()
    runs = []
    window.start_run = lambda *a, **k: (
        runs.append(a) or False
    )  # the demo's own run is not the point here
    window.try_demo()
    wait_until(lambda: runs, 120, "the demo recipe")
    doc = window.doc
    assert doc.path is None and doc.copy_of == DEMO_RECIPE and not doc.dirty
    assert doc.recipe.name == "digits demo"
    assert window.windowTitle().startswith("digits demo (copy)")
    assert str(DEMO_RECIPE.resolve()) not in window.files.recent()
    wait_until(
        lambda: doc.model_summary is not None or window.problems.rows(), 300, "the demo model"
    )
    assert window.problems.rows() == []

    _preset(window, "fp32-onnx").trigger()
    asked = []
    target = tmp_path / "my-demo.toml"
    window.files.ask_save_path = lambda: asked.append(1) or str(target)
    assert window.files.save()  # Save of the untitled copy is Save As
    assert asked == [1] and doc.path == target and not doc.dirty and doc.copy_of is None
    assert window.windowTitle().startswith("my-demo.toml")
    assert load_recipe(target).variants[-1].name == "fp32-onnx-2"  # the demo has an fp32-onnx

    # the guard: a path inside resources/ is refused with a Problems row
    inside = resources_dir() / "recipes" / "mine.toml"
    window.files.ask_save_path = lambda: str(inside)
    assert not window.files.save_as()
    assert not window.files._write(DEMO_RECIPE)
    rows = [r for r in window.problems.rows() if "resources" in r[0]]
    assert len(rows) == 2 and "Save As" in rows[0][1]
    assert not inside.exists()
    assert DEMO_RECIPE.read_bytes() == demo_bytes
    assert _resource_state() == resources
    assert doc.path == target
