"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import pytest

from tests.e2e.demo_runs import DemoRuns


@pytest.fixture(scope="session")
def task_demo_runs(tmp_path_factory) -> DemoRuns:
    """The built-in task demos run once each through ``deploy-studio run`` (lazily: a test
    that needs one demo runs only that one), with every app template exported."""
    return DemoRuns(tmp_path_factory.mktemp("task-demos"))
