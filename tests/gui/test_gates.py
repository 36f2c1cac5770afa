"""The Gates form: each limit optional, in the units users think in, saved in [gates]."""

from __future__ import annotations

from deploy_studio.core.recipe import load_recipe
from tests.gui.conftest import open_recipe, tiny_recipe_text
from tests.support.recipes import EAGER


def test_gates_form_edits_saves_and_reopens_the_recipes_gates(window, tmp_path, tiny_model):
    src = tmp_path / "r.toml"
    src.write_text(tiny_recipe_text(tiny_model, [EAGER], gates={"max_accuracy_drop": 0.02}))
    open_recipe(window, src)
    form = window.samples_panel.gates
    assert form.boxes["max_accuracy_drop"].isChecked()
    assert form.spins["max_accuracy_drop"].value() == 2.0  # percentage points, not a fraction
    assert form.spins["max_accuracy_drop"].suffix() == " points"
    assert (
        not form.boxes["max_size_bytes"].isChecked()
        and not form.spins["max_size_bytes"].isEnabled()
    )
    assert "Checked after Build" in form.result.text()
    form.spins["max_accuracy_drop"].setValue(0.5)
    form.boxes["max_size_bytes"].setChecked(True)
    form.spins["max_size_bytes"].setValue(1.25)
    form.boxes["max_latency_ms"].setChecked(True)
    form.spins["max_latency_ms"].setValue(2.5)
    g = window.doc.recipe.gates
    assert (g.max_accuracy_drop, g.max_size_bytes, g.max_latency_ms) == (0.005, 1_250_000, 2.5)
    assert window.doc.dirty
    saved = tmp_path / "saved.toml"
    window.files.ask_save_path = lambda: str(saved)
    assert window.files.save_as()
    back = load_recipe(saved).gates
    assert (back.max_accuracy_drop, back.max_size_bytes, back.max_latency_ms) == (
        0.005,
        1_250_000,
        2.5,
    )
    form.boxes["max_accuracy_drop"].setChecked(False)  # optional: unticked is no limit at all
    assert window.doc.recipe.gates.max_accuracy_drop is None
    assert window.files.save()
    assert "max_accuracy_drop" not in saved.read_text()
    open_recipe(window, saved)
    assert not form.boxes["max_accuracy_drop"].isChecked()
    assert (
        form.spins["max_size_bytes"].value() == 1.25 and form.spins["max_latency_ms"].value() == 2.5
    )
