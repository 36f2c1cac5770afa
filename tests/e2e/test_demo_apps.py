"""The built-in demo of every task exports Android, iOS and Web projects that work.

Each demo (tabular breast-cancer MLP, token-id LSTM, stroke segmentation, scene detector) runs
through ``deploy-studio run`` with every platform and runtime in ``[export] templates`` and a
hostile app name (tests/e2e/demo_runs.py). Then, on the real exported projects:

- Web: the page runs in headless Chromium and its self-test on the bundled sample passes
  against the desktop's outputs (onnxruntime-web in the browser).
- Android: aapt compiles every project's resources and ONE kotlinc run type-checks the Kotlin
  of all twelve projects (three runtimes x four demos; each demo's package, suffixed per
  runtime so they compile side by side) against the stubs of the published APIs.
- iOS: the chroot's swiftc type-checks every project's non-UI Swift against the ExecuTorch and
  Core ML stubs (UI files are parsed by the template tests only).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.e2e import templates_support as ts
from tests.e2e.demo_runs import APP_TEMPLATES, DEMO_APP_NAMES
from tests.e2e.test_swift_typecheck import IMPORT, UI_MODULES, swift  # noqa: F401 (fixture)
from tests.e2e.test_templates_android import KOTLINC, STUBS, _aapt, with_package_suffix
from tests.e2e.test_templates_web import _open_in_chromium

pytestmark = pytest.mark.slow

DEMOS = list(DEMO_APP_NAMES)


def _apps(task_demo_runs, name: str) -> dict[tuple[str, str], Path]:
    out, report = task_demo_runs.get(name)
    apps = {(t["platform"], t["runtime"]): t for t in report["templates"]}
    assert set(apps) == set(APP_TEMPLATES)
    failed = {k: t["error"] for k, t in apps.items() if t.get("error")}
    assert not failed, failed
    return {k: out / t["path"] for k, t in apps.items()}


@pytest.mark.parametrize("name", DEMOS)
def test_demo_exports_every_platform_and_runtime(task_demo_runs, name):
    apps = _apps(task_demo_runs, name)
    _out, report = task_demo_runs.get(name)
    task = report["model"]["task"]["name"]
    for (platform, runtime), project in apps.items():
        assets = {
            "android": project / "app/src/main/assets",
            "ios": next(project.glob("*/Resources"), project),
            "web": project / "assets",
        }[platform]
        expected = json.loads((assets / "expected.json").read_text("utf-8"))
        assert expected.get("task", "classification") == task, (platform, runtime)
        # the app states its tolerance or agreement floor and why
        assert expected.get("tolerance") or expected.get("agreement"), (platform, runtime)
        readme = (project / "README.md").read_text("utf-8")
        assert DEMO_APP_NAMES[name].splitlines()[0].split(" ")[0] in readme


@pytest.mark.parametrize("name", DEMOS)
def test_demo_web_page_passes_its_self_test_in_chromium(task_demo_runs, name, tmp_path):
    project = _apps(task_demo_runs, name)[("web", "onnxruntime-web")]
    page = _open_in_chromium(project, tmp_path / "page.png")
    assert page["consoleErrors"] == []
    result = page["result"]
    assert "error" not in result, result
    assert result["selftest"] == "passed", result
    assert (tmp_path / "page.png").stat().st_size > 5_000
    expected = json.loads((project / "assets" / "expected.json").read_text("utf-8"))
    if expected["task"] == "classification":  # fed tensors: the top classes come first
        labels = json.loads((project / "assets" / "labels.json").read_text("utf-8"))
        logits = expected["outputs"][expected["task_output"]]["data"]
        assert page["top3"][0] == labels[max(range(len(logits)), key=logits.__getitem__)]


def test_demo_android_projects_compile(task_demo_runs, tmp_path):
    """aapt per project, then one kotlinc over every project's Kotlin and R.java + the stubs."""
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    sources = []
    for name in DEMOS:
        apps = _apps(task_demo_runs, name)
        for (platform, runtime), project in apps.items():
            if platform != "android":
                continue
            # the three runtimes of a demo share its package: each compiles in its own
            work = tmp_path / f"{name}-{runtime}"
            copy = with_package_suffix(project, work / "project", runtime.replace("-", "_"))
            proc, gen, _apk = _aapt(copy, work)
            assert proc.returncode == 0, f"{name}/{runtime}: aapt failed:\n{proc.stderr}"
            sources += sorted(copy.rglob("*.kt")) + sorted(gen.rglob("R.java"))
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    proc = ts.run(
        [KOTLINC, "-d", tmp_path / "classes", "-jvm-target", "11", "-no-reflect", *sources, *stubs],
        timeout=1500,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-6000:]


@pytest.mark.parametrize("name", DEMOS)
def test_demo_ios_non_ui_swift_typechecks(task_demo_runs, swift, name):  # noqa: F811
    apps = _apps(task_demo_runs, name)
    for runtime in ("executorch", "coreml"):
        project = apps[("ios", runtime)]
        (xcodeproj,) = project.glob("*.xcodeproj")
        module = xcodeproj.stem
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", module), module
        plain = []
        for path in sorted((project / module).glob("*.swift")):
            if not set(IMPORT.findall(path.read_text("utf-8"))) & UI_MODULES:
                target = swift.work / name / runtime / path.name  # under the mounted folder
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
                plain.append(target)
        assert plain
        proc = swift.typecheck(plain, module)
        assert proc.returncode == 0, f"{name}/{runtime}: swiftc -typecheck failed:\n{proc.stderr}"
