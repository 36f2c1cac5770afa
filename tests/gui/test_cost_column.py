"""The variants table's GFLOP/s column: the achieved rate and the roofline verdict of each
row's cost (core/cost), with FLOPs, weights read and the share of the attainable rate in the
tooltip of the column and of the p50 cell."""

from __future__ import annotations

from PySide6.QtCore import Qt

from deploy_studio.core.report.model import Latency, VariantResult
from deploy_studio.gui.panels.variant_cells import COL_GFLOPS, COL_P50, COLUMNS
from tests.gui.conftest import open_recipe, tiny_recipe_text
from tests.support.recipes import EAGER

COST = {
    "flops": 109_000,
    "weight_bytes": 27_240,
    "gflops_per_s": 3.4567,
    "intensity": 4.0,
    "bound": "memory",
    "of_peak": 0.25,
    "method": "module tensors at their stored dtype",
}


def test_the_gflops_column_shows_rate_and_bound(window, tmp_path, tiny_model):
    p = tmp_path / "r.toml"
    p.write_text(tiny_recipe_text(tiny_model, [EAGER]))
    open_recipe(window, p)
    assert COLUMNS[COL_GFLOPS] == "GFLOP/s"
    window.doc.start_run(tmp_path / "live")
    lat = Latency(p10=0.03, p50=0.0315, p90=0.04, mean=0.033, runs=5, threads=1, warmup=2)
    row = VariantResult("fp32-eager", "eager", size_bytes=30_000, latency_ms=lat, cost=COST)
    window.doc.set_result("fp32-eager", row)
    table = window.variants_panel
    assert table.cell("fp32-eager", COL_GFLOPS) == "3.46 mem"
    model = table.model
    r = model.row_of("fp32-eager")
    for col in (COL_GFLOPS, COL_P50):
        tip = model.index(r, col).data(Qt.ItemDataRole.ToolTipRole)
        assert "0.11 MFLOP per inference, 3.46 GFLOP/s achieved" in tip
        assert "weights read: 27.2 kB" in tip
        assert "memory-bound on this host, at 25% of the attainable GFLOP/s" in tip
    window.doc.set_result("fp32-eager", VariantResult("fp32-eager", "eager", latency_ms=lat))
    assert table.cell("fp32-eager", COL_GFLOPS) == ""  # no cost (a row from before it existed)
    assert window.grab().save(str(tmp_path / "gflops-column.png"))
