"""GUI test setup: offscreen Qt, a private cache and config folder, a tiny model and recipe.

``QT_QPA_PLATFORM`` and the folders are set before anything imports Qt or the engine. Runs
use a tiny ``nn.Module`` written to a temporary folder, builtin:digits data, 50 held-out
samples and 5 benchmark runs: real engine, real runtimes, no mocks.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="deploy-studio-gui-tests-"))
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault(
    "DEPLOY_STUDIO_CACHE", str(_ROOT / "cache")
)  # tests/conftest.py sets one per session
os.environ["XDG_CONFIG_HOME"] = str(_ROOT / "config")
os.environ["DEPLOY_STUDIO_THEME"] = "light"

import pytest  # noqa: E402

TINY_MODEL = '''
import torch
import torch.nn as nn


class Tiny(nn.Module):
    """A 1x28x28 -> 10 classifier small enough to build in a second."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)  # same weights in every process (the engine does not seed user classes)
        self.conv = nn.Conv2d(1, 4, 3, stride=2)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        return self.fc(self.relu(self.conv(x)).flatten(1))
'''


def tiny_recipe_text(model_py: Path, variants: str) -> str:
    """A recipe on the tiny model with the given ``[[variant]]`` tables."""
    return f'''name = "tiny"
[model]
source = "{model_py}:Tiny"
input_shape = [1, 1, 28, 28]
[data]
source = "builtin:digits"
calibration_samples = 32
eval_samples = 50
[benchmark]
threads = 1
warmup = 2
runs = 5
{variants}
[export]
templates = []
app_name = "Tiny Reader"
'''


FOUR_VARIANTS = """
[[variant]]
name = "fp32-eager"
format = "eager"
[[variant]]
name = "fp32-pte"
convert = "export"
format = "pte"
[[variant]]
name = "fp32-onnx"
convert = "export"
format = "onnx"
[[variant]]
name = "fp32-ptl"
convert = "trace"
format = "ptl"
"""


@pytest.fixture(scope="session")
def root() -> Path:
    return _ROOT


@pytest.fixture(scope="session")
def tiny_model(root: Path) -> Path:
    p = root / "models" / "tiny.py"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(TINY_MODEL)
    return p


@pytest.fixture()
def tiny_recipe_file(tmp_path: Path, tiny_model: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS))
    return p


def wait_until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    """Process Qt events until ``predicate()`` is true (fails the test after ``timeout`` s)."""
    from PySide6.QtWidgets import QApplication

    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        QApplication.processEvents()
        time.sleep(0.01)


def make_window():
    """A shown MainWindow with the engine imported; prompts answer 'discard' by default."""
    from deploy_studio.gui.main_window import MainWindow

    w = MainWindow()
    w.files.ask_unsaved = lambda: "discard"
    w.show()
    w.start_engine()
    wait_until(lambda: w.info is not None, 120, "the engine to start")
    return w


def close_window(w) -> None:
    w.run.cancel()
    w.runner.cancel_all()
    w.runner.wait(10000)
    w.sample_runner.wait(10000)
    w.doc.set_dirty(False)
    w.close()
    w.deleteLater()


@pytest.fixture()
def window(qtbot):
    w = make_window()
    qtbot.addWidget(w)
    yield w
    close_window(w)


def open_recipe(w, path: Path) -> None:
    """Open ``path`` and wait for the recipe and the model summary."""
    done = []
    w.open_recipe(str(path), on_done=done.append)
    wait_until(lambda: done, 60, "the recipe to open")
    assert done == [True], w.problems.rows()
    wait_until(lambda: w.doc.model_summary is not None, 60, "the model summary")
