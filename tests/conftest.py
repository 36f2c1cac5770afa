"""Shared fixtures: an isolated user cache per test session, tiny models, a tiny recipe."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# One cache for the whole session (children inherit it): builtin:digits-cnn trains once.
os.environ.setdefault("DEPLOY_STUDIO_CACHE", tempfile.mkdtemp(prefix="ds-test-cache-"))
# Every test builds for real unless it turns the build cache on itself (tests/core/test_build_cache.py).
os.environ["DEPLOY_STUDIO_BUILD_CACHE"] = "0"
# Every report.json a test writes is validated against core/report/report.schema.json.
os.environ["DEPLOY_STUDIO_VALIDATE_REPORTS"] = "1"

TINY_MODEL_SRC = '''
import torch
import torch.nn as nn


class TinyNet(nn.Module):
    """A 1x28x28 -> 10 classifier small enough for fast tests."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2)
        self.relu = nn.ReLU()
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        return self.fc(self.relu(self.conv(x)).flatten(1))


class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 2)


class DataDependent(nn.Module):
    """Control flow on tensor values: torch.export cannot capture it."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        y = self.fc(x.flatten(1))
        if y.sum() > 0:
            return y * 2
        return y


class Unscriptable(nn.Module):
    """Python that torch.jit.script cannot compile (variadic arguments)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x, *extra):
        return self.fc(x.flatten(1))


class Crashes(nn.Module):
    """Kills its own process when traced in the worker (a native crash in one conversion)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        import multiprocessing
        import os
        import signal

        if torch.jit.is_tracing() and multiprocessing.current_process().name == "deploy-studio-worker":
            os.kill(os.getpid(), signal.SIGSEGV)
        return self.fc(x.flatten(1))


class CrashesOnLoad(nn.Module):
    """Kills its own process on the first forward pass in the worker (while the model loads)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        import multiprocessing
        import os
        import signal

        if multiprocessing.current_process().name == "deploy-studio-worker":
            os.kill(os.getpid(), signal.SIGSEGV)
        return self.fc(x.flatten(1))
'''


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory) -> Path:
    """A user model file defining TinyNet (and some broken models)."""
    path = tmp_path_factory.mktemp("models") / "tiny.py"
    path.write_text(TINY_MODEL_SRC)
    return path


@pytest.fixture()
def tiny_recipe(tiny_model_file):
    """A small recipe over TinyNet (fast to build and measure)."""
    from deploy_studio.core.recipe import parse_recipe

    def make(variants, **extra):
        d = {
            "name": "tiny",
            "model": {"source": f"{tiny_model_file}:TinyNet", "input_shape": [1, 1, 28, 28]},
            "data": {"source": "builtin:digits", "calibration_samples": 32, "eval_samples": 60},
            "benchmark": {"threads": 1, "warmup": 2, "runs": 5},
            "variant": variants,
        }
        d.update(extra)
        return parse_recipe(d)

    return make


def run_cli(*args: str, timeout: int = 300):
    """Run the real ``deploy-studio`` CLI in a subprocess; returns CompletedProcess."""
    import subprocess

    return subprocess.run(
        [sys.executable, "-m", "deploy_studio.core.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
