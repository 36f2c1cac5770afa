"""The contract: ``deploy-studio gui RECIPE --run --out DIR --screenshot PNG --exit-when-done``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.gui.conftest import tiny_recipe_text
from tests.support.recipes import EAGER, ONNX

VARIANTS = [EAGER, ONNX]


def _gui(*args, timeout=600):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "deploy_studio.gui.launch", "gui", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


@pytest.mark.slow
def test_gui_run_writes_the_cli_report_and_a_screenshot(tmp_path, tiny_model):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(tiny_recipe_text(tiny_model, VARIANTS))
    out, png = tmp_path / "out", tmp_path / "shot.png"
    r = _gui(str(recipe), "--run", "--out", str(out), "--screenshot", str(png), "--exit-when-done")
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["schema"] == 1 and [v["name"] for v in report["variants"]] == [
        "fp32-eager",
        "fp32-onnx",
    ]
    assert all(v["error"] is None for v in report["variants"])
    assert (out / "report.html").exists()
    assert png.stat().st_size > 20_000


def test_gui_with_a_bad_recipe_exits_2_with_a_screenshot(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 3\n")
    png = tmp_path / "shot.png"
    r = _gui(str(bad), "--run", "--screenshot", str(png), "--exit-when-done", timeout=180)
    assert r.returncode == 2, r.stderr[-3000:]
    assert png.exists()
