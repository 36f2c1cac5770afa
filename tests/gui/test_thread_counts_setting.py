"""The window's Threads box with ``[benchmark] threads = [1, 2, 4]``: it shows the headline
count, and editing it changes the headline only (the other counts stay in the recipe)."""

from __future__ import annotations

import pytest

from tests.gui.conftest import FOUR_VARIANTS, open_recipe, tiny_recipe_text


@pytest.mark.slow  # opens a recipe in the window (model load)
def test_the_threads_box_edits_the_headline_count(window, tmp_path, tiny_model):
    path = tmp_path / "scaling.toml"
    path.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS, benchmark={"threads": [2, 1, 4]}))
    open_recipe(window, path)
    panel = window.samples_panel
    assert panel.threads_spin.value() == 2
    panel.threads_spin.setValue(4)
    panel._on_settings_edited()
    assert window.doc.recipe.benchmark.threads == [4, 2, 1]
    assert window.doc.dirty
