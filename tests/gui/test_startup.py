"""Start-up: the window appears without torch on the main thread, on an empty state.

How fast it appears is measured by benchmarks/responsiveness.py."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from PySide6.QtGui import QPalette

from tests.gui.conftest import wait_until

PROBE = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from deploy_studio.gui import theme
    theme.apply(app, False)
    from deploy_studio.gui.main_window import MainWindow
    w = MainWindow()
    w.show()
    app.processEvents()
    visible = w.isVisible()
    torch_loaded = "torch" in sys.modules
    w.start_engine()
    end = time.monotonic() + 600
    while w.info is None and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)
    print(json.dumps({"visible": visible, "torch_before_show": torch_loaded, "ready": w.info is not None,
                      "empty_state": w.stack.currentWidget() is w.empty}))
""")


def test_window_is_visible_before_torch_loads_in_the_background():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["visible"] and info["torch_before_show"] is False, info
    assert info["ready"] and info["empty_state"], info


def test_empty_state_offers_three_ways_to_start(window):
    assert window.stack.currentWidget() is window.empty
    texts = [
        b.text()
        for b in (window.empty.model_button, window.empty.recipe_button, window.empty.demo_button)
    ]
    assert texts[0].startswith("Open model…")
    assert texts[1].startswith("Open recipe…")
    assert texts[2].startswith("Try the digits demo")


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_dark_theme_changes_palette_and_chart_backgrounds(window):
    window.set_theme(True)
    wait_until(lambda: True)
    pal = window.palette()
    assert pal.color(QPalette.ColorRole.Window).lightness() < 80
    bg = window.charts.size_widget.backgroundBrush().color()
    assert bg.lightness() < 80
    window.set_theme(False)
    assert window.palette().color(QPalette.ColorRole.Window).lightness() > 200
    assert window.charts.size_widget.backgroundBrush().color().lightness() > 200


@pytest.mark.slow
def test_try_the_digits_demo_opens_and_runs_with_one_click(window):
    window.empty.demo_button.click()
    wait_until(lambda: window.run.running, 120, "the demo run to start")
    assert window.doc.recipe.name == "digits demo"
    assert len(window.doc.recipe.enabled_variants()) >= 4
    assert window.stack.currentWidget() is window.workspace
    wait_until(lambda: len(window.doc.results) >= 1, 600, "the first demo variant")
    window.run.cancel()
    wait_until(lambda: not window.run.running, 120, "the cancel")
