"""The Preprocessing form: where the spec came from, edits that reach the recipe (and so the CLI
and the apps), a live preview, and the one-click normalisation check; the notes banner and the
recommendation (or why there is none)."""

from __future__ import annotations

import pytest

from deploy_studio.core.recipe import load_recipe
from tests.gui.conftest import FOUR_VARIANTS, open_recipe, tiny_recipe_text, wait_until


def test_guessed_spec_is_marked_edits_go_into_the_recipe_and_the_check_offers_candidates(
    window, tmp_path, tiny_model
):
    src = tmp_path / "r.toml"
    src.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS))
    open_recipe(window, src)
    form = window.samples_panel.preprocess
    assert form.origin.property("guessed") is True and "Guessed" in form.origin.text()
    assert "Preprocessing is guessed" in window.notes_banner.label.text()
    wait_until(lambda: window.samples_panel.samples is not None, 120, "samples")
    wait_until(
        lambda: form.preview.pixmap() is not None and not form.preview.pixmap().isNull(),
        120,
        "preview",
    )
    assert "model input 1×28×28" in form.stats.text()
    before = form.stats.text()

    form.mean_edit.setText("0.5")
    form.std_edit.setText("0.5")
    form.std_edit.editingFinished.emit()
    assert window.doc.recipe.preprocess == {"mean": [0.5], "std": [0.5]}
    assert window.doc.dirty and form.origin.property("guessed") is False
    assert "From the recipe (mean, std)" in form.origin.text()
    assert form.stats.text() != before  # the preview follows the new normalisation
    saved = tmp_path / "saved.toml"
    window.files.ask_save_path = lambda: str(saved)
    assert window.files.save_as()
    assert load_recipe(saved).preprocess == {
        "mean": [0.5],
        "std": [0.5],
    }  # what `deploy-studio run` uses

    form.check_button.click()
    wait_until(
        lambda: form.table.isVisible() and form.table.rowCount() >= 5,
        120,
        "the normalisation check",
    )
    names = [form.table.item(r, 0).text() for r in range(form.table.rowCount())]
    assert "current" in names and "MNIST statistics" in names and "0..1 (ToTensor only)" in names
    row = names.index("MNIST statistics")
    form.table.cellWidget(row, 2).click()  # Use
    assert window.doc.recipe.preprocess == {}  # back to the model's own spec: nothing to override


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_random_data_run_says_no_variant_is_recommended(window, tmp_path, tiny_model):
    src = tmp_path / "r.toml"
    src.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS, data="random"))
    open_recipe(window, src)
    assert window.start_run(str(tmp_path / "out"))
    wait_until(lambda: not window.run.running and window.doc.report is not None, 300, "the run")
    banner = window.notes_banner
    assert banner.isVisible() and banner.recommended is None
    assert "No variant recommended" in banner.label.text() and "random" in banner.label.text()
    assert any("random data" in n for n in banner.notes)
    form = window.samples_panel.gates
    assert (
        form.boxes["min_top1_agreement"].isChecked()
        and form.spins["min_top1_agreement"].value() == 90.0
    )
    assert (
        window.doc.recipe.gates.min_top1_agreement is None
    )  # the default: the recipe says nothing
    form.boxes["min_snr_db"].setChecked(False)
    assert window.doc.recipe.gates.min_snr_db is False
    assert all(g.gate != "min_snr_db" for g in window.doc.gate_results)
