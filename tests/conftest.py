"""Shared fixtures: an isolated user cache per test session, the tiny model file, a tiny recipe.

The models and the recipe builder live in tests/support/ (each defined once)."""

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


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory) -> Path:
    """A user model file, tiny.py, holding TinyNet and the trap models (tests/support/models.py)."""
    from tests.support.models import write_models

    return write_models(tmp_path_factory.mktemp("models") / "tiny.py")


@pytest.fixture()
def tiny_recipe(tiny_model_file):
    """``tiny_recipe(variants, **tables)``: a small parsed recipe over TinyNet (fast to build
    and measure); see tests/support/recipes.py for the defaults and how tables merge."""
    from tests.support.recipes import recipe

    def make(variants, **tables):
        return recipe(tiny_model_file, variants, **tables)

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
