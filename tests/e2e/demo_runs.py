"""The built-in demos of every task, run once per test session through the real CLI.

Each demo's own recipe (``resources/recipes/NAME.toml``) runs unchanged except for its
benchmark (fewer timed runs) and its ``[export]``: every platform and runtime, under an app
name a developer could type and a code generator could trip on (framework names, ``%%``,
``${x}``, quotes, a backslash, a newline, non-ASCII). Tests read the report and the projects.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy_studio.core.fsutil import resource_path
from deploy_studio.core.recipe import ExportSpec, TemplateSpec, load_recipe
from tests.conftest import run_cli

DEMO_APP_NAMES = {
    "breast-cancer-mlp": "ExecuTorch",
    "digit-rows-lstm": 'Zähler "Rows" \\ ${x} %% 100%',
    "digit-strokes-seg": "CoreML\nStrokes ✓",
    "digit-scenes-ssd": "Foundation $(y) 'Scenes'",
}
"""Demo -> the app name its projects are exported under (each gives its own package id)."""

APP_TEMPLATES = [
    ("android", "executorch"),
    ("android", "onnxruntime"),
    ("android", "pytorch-lite"),
    ("ios", "executorch"),
    ("ios", "coreml"),
    ("web", "onnxruntime-web"),
]


class DemoRuns:
    """``get(name) -> (out_dir, report)``: the demo's run, made on first use."""

    def __init__(self, root: Path):
        self.root = root
        self._done: dict[str, tuple[Path, dict]] = {}

    def get(self, name: str) -> tuple[Path, dict]:
        if name not in self._done:
            self._done[name] = self._run(name)
        return self._done[name]

    def _run(self, name: str) -> tuple[Path, dict]:
        recipe = load_recipe(resource_path("recipes", f"{name}.toml"))
        recipe.benchmark.warmup, recipe.benchmark.runs = 2, 10
        recipe.export = ExportSpec(
            templates=[TemplateSpec(p, r) for p, r in APP_TEMPLATES],
            app_name=DEMO_APP_NAMES[name],
        )
        path = recipe.save(self.root / f"{name}.toml")
        out = self.root / name
        r = run_cli("run", str(path), "--out", str(out), timeout=2400)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert "Traceback" not in r.stderr
        return out, json.loads((out / "report.json").read_text("utf-8"))
