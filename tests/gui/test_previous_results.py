"""Previous results stay visible: a second run is compared with the first (within noise or
not), rows the build cache reused say so, and uncertain gates show as "?" (amber)."""

from __future__ import annotations

import json
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from deploy_studio.core.recipe import Gates
from deploy_studio.gui.formatting import fmt_ms
from deploy_studio.gui.panels.variants_panel import (
    AMBER,
    COL_GATES,
    COL_P50,
    COL_PREV,
    COL_STATUS,
    REUSED,
    p50_change,
)
from tests.gui.conftest import open_recipe, tiny_recipe_text, wait_until
from tests.support.recipes import EAGER, PTE

TWO = [EAGER, PTE]
NAMES = ["fp32-eager", "fp32-pte"]


def _run(window, out):
    assert window.start_run(str(out))
    wait_until(lambda: not window.run.running, 300, "the run")
    assert window.run.report is not None, window.problems.rows()
    return json.loads((out / "report.json").read_text())


def _cell(window, name, col, role=Qt.ItemDataRole.DisplayRole):
    m = window.variants_panel.model
    return m.index(m.row_of(name), col).data(role)


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_second_run_is_compared_with_the_first(window, tmp_path, tiny_model, monkeypatch):
    src = tmp_path / "two.toml"
    src.write_text(tiny_recipe_text(tiny_model, TWO, benchmark={"runs": 7}))
    open_recipe(window, src)
    monkeypatch.setenv("DEPLOY_STUDIO_BUILD_CACHE", "1")  # the window's builds use the build cache

    first = _run(window, tmp_path / "run1")
    assert window.doc.previous_results == {}
    for name in NAMES:
        assert window.variants_panel.cell(name, COL_PREV) == ""
    assert window.variants_panel.table.isColumnHidden(COL_PREV)  # nothing to compare yet

    # a second run: while it runs the first run's rows are kept to compare with
    assert window.start_run(str(tmp_path / "run2"))
    assert set(window.doc.previous_results) == set(NAMES)
    assert not window.variants_panel.table.isColumnHidden(COL_PREV)
    assert "not measured in this run yet" in _cell(
        window, "fp32-pte", COL_PREV, Qt.ItemDataRole.ToolTipRole
    )
    wait_until(lambda: not window.run.running, 300, "the second run")
    second = json.loads((tmp_path / "run2" / "report.json").read_text())
    for row in second["variants"]:  # nothing changed: the build cache reused both
        assert row.get("cached"), row["name"]
        assert window.variants_panel.cell(row["name"], COL_STATUS) == REUSED
        assert _cell(window, row["name"], COL_STATUS, Qt.ItemDataRole.ToolTipRole).startswith(
            "Reused (unchanged)"
        )
        assert window.variants_panel.cell(row["name"], COL_PREV) == "same"
    assert "(2 reused, unchanged)" in window.status_label.text()
    window.resize(1600, 960)
    QApplication.processEvents()
    window.grab().save("/tmp/main_window_two_runs.png")

    # a third run with fresh measurements: the change against the second, or "within noise"
    monkeypatch.setenv("DEPLOY_STUDIO_BUILD_CACHE", "0")
    third = _run(window, tmp_path / "run3")
    prev = {r["name"]: r for r in second["variants"]}
    for row in third["variants"]:
        name = row["name"]
        assert not row.get("cached")
        assert window.variants_panel.cell(name, COL_STATUS) == "done"
        assert window.variants_panel.cell(name, COL_P50) == fmt_ms(row["latency_ms"]["p50"])
        text = window.variants_panel.cell(name, COL_PREV)
        assert re.fullmatch(r"[▲▼≈]\d+(\.\d)?%", text), text
        # independent check of the noise rule: the two p50 95% intervals overlap
        a, b = prev[name]["latency_ms"]["p50_ci"], row["latency_ms"]["p50_ci"]
        overlap = a[0] <= b[1] and b[0] <= a[1]
        assert text.startswith("≈") == overlap, (text, a, b)
        assert p50_change(prev[name], row)[1] == overlap
        rel = row["latency_ms"]["p50"] / prev[name]["latency_ms"]["p50"] - 1
        pct = abs(rel) * 100
        assert text[1:] == (f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%")
        if not overlap:
            assert text[0] == ("▼" if rel < 0 else "▲")
        tip = _cell(window, name, COL_PREV, Qt.ItemDataRole.ToolTipRole)
        assert f"previous run: p50 {fmt_ms(prev[name]['latency_ms']['p50'])} ms" in tip
        assert f"this run: p50 {fmt_ms(row['latency_ms']['p50'])} ms" in tip
        assert ("within the measurement noise" in tip) == overlap
    assert first["variants"][0]["name"] == "fp32-eager"

    QApplication.processEvents()
    window.grab().save("/tmp/main_window_three_runs.png")

    # a latency limit inside a p50's interval: the gate is uncertain, "?" in amber, counted apart
    row = next(r for r in third["variants"] if r["name"] == "fp32-pte")
    lo, hi = row["latency_ms"]["p50_ci"]
    window.doc.set_gates(Gates(max_latency_ms=row["latency_ms"]["p50"]))
    verdict = next(g for g in window.doc.gates_of("fp32-pte") if g.gate == "max_latency_ms")
    assert lo <= verdict.limit <= hi and verdict.status == "uncertain" and verdict.passed is None
    assert window.variants_panel.cell("fp32-pte", COL_GATES).startswith("?")
    assert (
        _cell(window, "fp32-pte", COL_GATES, Qt.ItemDataRole.ForegroundRole).color().name() == AMBER
    )
    status = window.status_label.text()
    assert "uncertain (" in status and "fp32-pte" in status.split("uncertain (")[1]
    assert "failed (fp32-pte" not in status
    QApplication.processEvents()
    window.grab().save("/tmp/main_window_uncertain_gate.png")

    # a new recipe starts without previous results
    open_recipe(window, src)
    assert window.doc.previous_results == {}
    assert all(window.variants_panel.cell(n, COL_PREV) == "" for n in NAMES)
    assert window.variants_panel.table.isColumnHidden(COL_PREV)
