"""`pip wheel .` gives a package that installs and runs anywhere: templates, resources and the
report schema ship as package data, one top-level name (deploy_studio), and the demo and the
window run from a folder outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=work,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    wheel = next((work / "dist").glob("deploy_studio-*.whl"))
    target = work / "site"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    outside = work / "elsewhere"
    outside.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "QT_QPA_PLATFORM": "offscreen",
        "DEPLOY_STUDIO_CACHE": str(work / "cache"),
        "XDG_CONFIG_HOME": str(work / "config"),
    }
    return wheel, target, outside, env


def test_the_wheel_holds_one_top_level_name_and_its_data(installed):
    wheel, target, _outside, _env = installed
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "deploy_studio",
        wheel.name.split("-py3")[0] + ".dist-info",
    }
    for needed in (
        "deploy_studio/resources/recipes/demo.toml",
        "deploy_studio/core/report/report.schema.json",
        "deploy_studio/mobile_templates/android/manifest.toml",
        "deploy_studio/mobile_templates/ios/__app__/Preprocess.swift",
        "deploy_studio/mobile_templates/web/preprocess.js",
        "deploy_studio/gui/launch.py",
        "deploy_studio/core/cli.py",
    ):
        assert needed in names, needed
    assert not (target / "core").exists() and not (target / "gui").exists()


def _run(env, cwd, *args, timeout=900):
    code = (
        "import sys, deploy_studio.core as c; assert c.__file__.startswith(sys.argv[1]), c.__file__; "
        "from deploy_studio.gui.launch import main; sys.exit(main(sys.argv[2:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, env["PYTHONPATH"], *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_installed_demo_runs_outside_the_checkout(installed):
    _wheel, _target, outside, env = installed
    r = _run(env, outside, "demo", "--out", "out")
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads((outside / "out" / "report.json").read_text())
    assert {t["platform"] for t in report["templates"] if t.get("path")} == {
        "android",
        "ios",
        "web",
    }
    assert (outside / "out" / "apps" / "web-onnxruntime-web" / "preprocess.js").is_file()


def test_the_installed_window_runs_offscreen_outside_the_checkout(installed):
    _wheel, target, outside, env = installed
    recipe = target / "deploy_studio" / "resources" / "recipes" / "demo.toml"
    r = _run(
        env,
        outside,
        "gui",
        str(recipe),
        "--run",
        "--out",
        "gui-out",
        "--screenshot",
        "shot.png",
        "--exit-when-done",
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert (outside / "gui-out" / "report.json").is_file() and (
        outside / "shot.png"
    ).stat().st_size > 20_000
