"""Cancel mid-run: the run stops and leaves no partial files behind.

How fast it stops (from the click) is measured by benchmarks/responsiveness.py."""

from __future__ import annotations

from tests.gui.conftest import open_recipe, tiny_recipe_text, wait_until
from tests.support.recipes import EAGER, ONNX, PTE

VARIANTS = [EAGER, PTE, ONNX]


def test_cancel_mid_run_stops_and_leaves_no_partial_files(window, tmp_path, tiny_model):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(tiny_recipe_text(tiny_model, VARIANTS))
    open_recipe(window, recipe)
    out = tmp_path / "out"
    assert window.start_run(str(out))
    # wait until the second variant is being built (after the first finished)
    wait_until(
        lambda: (
            "fp32-eager" in window.doc.results
            and "fp32-pte" in window.doc.progress
            and window.doc.progress["fp32-pte"][1] not in ("queued",)
        ),
        600,
        "the second variant to start",
    )
    window.cancel_button.click()
    wait_until(lambda: not window.run.running, 120, "the run to stop")
    assert window.run.cancelled and window.run.report is None
    assert "Cancelled" in window.status_label.text()
    # nothing half-written: no temporary names, only artifacts of finished variants, no report
    assert [p for p in out.rglob("*") if p.name.startswith(".")] == []
    finished = {f for row in window.doc.results.values() for f in row.files}
    on_disk = {p.relative_to(out).as_posix() for p in (out / "artifacts").rglob("*") if p.is_file()}
    assert on_disk <= finished, on_disk - finished
    assert not (out / "report.json").exists()
    assert window.doc.progress["fp32-pte"][1] == "cancelled"
    assert window.variants_panel.cell("fp32-pte", 4) == "cancelled"
    # the window is usable again
    assert window.run_action.isEnabled()
