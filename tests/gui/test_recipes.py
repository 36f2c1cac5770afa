"""Recipes: New / Open / Save / Save As, recent files, the unsaved-changes prompt, and the
same variants and numbers when a window-saved recipe is run by the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from deploy_studio.core.recipe import load_recipe
from tests.gui.conftest import FOUR_VARIANTS, open_recipe, tiny_recipe_text, wait_until


def _preset(window, name):
    return next(
        a for a in window.variants_panel.add_menu.actions() if a.objectName() == f"preset_{name}"
    )


def test_save_as_writes_a_recipe_the_engine_reads_back(window, tmp_path, tiny_recipe_file):
    open_recipe(window, tiny_recipe_file)
    assert not window.doc.dirty and window.windowTitle().startswith("tiny.toml")
    _preset(window, "int8-pte").trigger()
    assert window.doc.dirty and "*" in window.windowTitle()
    window.samples_panel.runs_spin.setValue(7)
    window.samples_panel._on_settings_edited()
    target = tmp_path / "saved.toml"
    window.files.ask_save_path = lambda: str(target.with_suffix(""))  # ".toml" is added
    assert window.files.save_as()
    assert not window.doc.dirty and window.windowTitle().startswith("saved.toml")
    back = load_recipe(target)
    assert back.to_dict() == window.doc.recipe.to_dict()
    assert [v.name for v in back.variants][-1] == "int8-pte"
    assert back.benchmark.runs == 7
    assert str(target.resolve()) == window.files.recent()[0]
    assert window.recent_menu.actions()[0].text() == "saved.toml"


def test_unsaved_changes_prompt_guards_open_and_new(window, tmp_path, tiny_recipe_file):
    open_recipe(window, tiny_recipe_file)
    _preset(window, "fp32-onnx").trigger()
    answers = []
    window.files.ask_unsaved = lambda: answers.append("asked") or "cancel"
    window.files.open_path(str(tiny_recipe_file))
    window.files.new()
    assert answers == ["asked", "asked"]
    assert window.doc.variant("fp32-onnx") is not None  # nothing was replaced
    window.files.ask_unsaved = lambda: "save"  # saved to its own file, then replaced
    window.files.new()
    assert 'name = "fp32-onnx"' in tiny_recipe_file.read_text()
    assert window.doc.variants == [] and not window.doc.dirty
    assert window.doc.recipe.model.source.endswith(":TinyNet")


def test_bad_recipe_goes_to_problems(window, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[model]\nsource = "builtin:digits-cnn"\ncolour = "red"\n')
    done = []
    window.open_recipe(str(bad), on_done=done.append)
    wait_until(lambda: done, 120, "the recipe error")
    assert done == [False]
    message, hint, where = window.problems.rows()[0]
    assert "unknown key 'colour'" in message and "allowed keys" in hint and "bad.toml" in where
    assert window.doc.recipe is None


@pytest.mark.slow
def test_window_saved_recipe_gives_the_same_numbers_in_the_cli(window, tmp_path, tiny_model):
    src = tmp_path / "tiny.toml"
    src.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS))
    open_recipe(window, src)
    _preset(window, "int8-pte").trigger()
    saved = tmp_path / "saved.toml"
    window.files.ask_save_path = lambda: str(saved)
    assert window.files.save_as()
    gui_out = tmp_path / "gui"
    assert window.start_run(str(gui_out))
    wait_until(lambda: not window.run.running, 600, "the window's run")
    gui = json.loads((gui_out / "report.json").read_text())
    cli_out = tmp_path / "cli"
    r = subprocess.run(
        [sys.executable, "-m", "deploy_studio.core.cli", "run", str(saved), "--out", str(cli_out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode in (0, 1), r.stderr[-2000:]
    cli = json.loads((cli_out / "report.json").read_text())
    assert [v["name"] for v in gui["variants"]] == [v["name"] for v in cli["variants"]]
    for g, c in zip(gui["variants"], cli["variants"], strict=True):
        assert g["format"] == c["format"] and g["params"] == c["params"]
        assert g["accuracy"]["top1"] == pytest.approx(c["accuracy"]["top1"], abs=0.021)
        assert g["size_bytes"] == pytest.approx(c["size_bytes"], rel=0.02)
        assert g["parity"]["top1_agreement"] == pytest.approx(
            c["parity"]["top1_agreement"], abs=0.021
        )
