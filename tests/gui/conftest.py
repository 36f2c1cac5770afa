"""GUI test setup: offscreen Qt, a private cache and config folder, a tiny model and recipe.

``QT_QPA_PLATFORM`` and the folders are set before anything imports Qt or the engine. Runs
use the tiny ``TinyNet`` (tests/support/models.py) written to a temporary folder,
builtin:digits data, 50 held-out samples and 5 benchmark runs: real engine, real runtimes,
no mocks.
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

from tests.support.recipes import FP32, recipe_toml  # noqa: E402

FOUR_VARIANTS = FP32
"""fp32 eager, pte, onnx and ptl."""


def tiny_recipe_text(model_py: Path, variants: list[dict], **tables) -> str:
    """A recipe on the tiny model with ``variants`` (tests/support/recipes.py), 50 held-out
    samples and no app templates unless ``tables`` say otherwise."""
    data = tables.pop("data", {})
    data = {"eval_samples": 50, **({"source": data} if isinstance(data, str) else data)}
    export = {"templates": [], "app_name": "Tiny Reader", **tables.pop("export", {})}
    return recipe_toml(model_py, variants, data=data, export=export, **tables)


@pytest.fixture(scope="session")
def root() -> Path:
    return _ROOT


@pytest.fixture(scope="session")
def tiny_model(root: Path) -> Path:
    from tests.support.models import write_models

    return write_models(root / "models" / "tiny.py", "TinyNet")


@pytest.fixture()
def tiny_recipe_file(tmp_path: Path, tiny_model: Path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS))
    return p


def wait_until(predicate, timeout: float = 120.0, what: str = "condition") -> None:
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
    wait_until(lambda: done, 120, "the recipe to open")
    assert done == [True], w.problems.rows()
    wait_until(lambda: w.doc.model_summary is not None, 120, "the model summary")
