"""Apps of delegated ExecuTorch programs, through a real run: the iOS app ships the Core
ML-delegated .pte and links ``backend_coreml``; the Android app never ships it (an XNNPACK
fp32 .pte is built for it) and a Vulkan-delegated one brings the Vulkan-enabled AAR."""

from __future__ import annotations

import json
import tomllib

import pytest

from deploy_studio.core.engine import run_recipe
from tests.support.recipes import recipe, variant

pytestmark = pytest.mark.slow


def _pte(name: str, delegate: str) -> dict:
    return variant(name, "pte", convert="export", format_options={"delegate": delegate})


def test_ios_ships_core_ml_android_ships_xnnpack_or_vulkan(tmp_path):
    out = tmp_path / "out"
    r = recipe(
        "builtin:digits-cnn",
        [_pte("cm", "coreml")],
        export={"templates": [{"platform": "ios"}, {"platform": "android"}]},
    )
    report = run_recipe(r, out, isolate=False)
    apps = {t["platform"]: t for t in report["templates"]}
    assert not apps["ios"].get("error") and not apps["android"].get("error"), apps
    assert apps["ios"]["variant"] == "cm"
    assert apps["android"]["variant"] != "cm"
    rows = {v["name"]: v for v in report["variants"]}
    assert rows["cm"]["not_runnable"] and rows["cm"]["latency_ms"] is None
    assert rows[apps["android"]["variant"]].get("delegates") == ["xnnpack"]
    pbx = next((out / apps["ios"]["path"]).rglob("project.pbxproj")).read_text("utf-8")
    assert "backend_coreml" in pbx
    readme = (out / apps["ios"]["path"] / "README.md").read_text("utf-8")
    assert "Core ML delegate" in readme and "never run here" in readme
    # the iOS self-test compares with the original model's outputs (the program cannot run here)
    html = (out / "report.html").read_text("utf-8")
    assert "not measured here" in html and "partition: coreml took" in html


def test_a_named_core_ml_variant_is_refused_for_android_and_vulkan_brings_its_aar(tmp_path):
    out = tmp_path / "out"
    r = recipe(
        "builtin:digits-cnn",
        [_pte("cm", "coreml"), _pte("vk", "vulkan")],
        export={
            "templates": [
                {"platform": "android", "variant": "cm"},
                {"platform": "android", "runtime": "executorch", "variant": "vk"},
            ]
        },
    )
    report = run_recipe(r, out, isolate=False)
    refused, vulkan = report["templates"]
    assert "cannot ship 'cm'" in refused["error"]
    assert 'delegate = "xnnpack" or delegate = "vulkan"' in refused["error"]
    assert not vulkan.get("error"), vulkan
    toml = (out / vulkan["path"] / "gradle/libs.versions.toml").read_text("utf-8")
    libs = tomllib.loads(toml)["libraries"]
    assert libs["executorch-android"]["name"] == "executorch-android-vulkan"
    assert json.loads(
        (out / vulkan["path"] / "app/src/main/assets/expected.json").read_text("utf-8")
    )
