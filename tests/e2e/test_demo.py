"""`deploy-studio demo` end to end: the report's artifacts, re-run here in their own runtimes,
agree with each other and with eager on real held-out samples."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import run_cli

# trains the built-in digits CNN (once per cache) and builds and measures the demo's eight
# variants (~75 s): `make test-all`; the wheel tests run the demo too
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    r = run_cli("demo", "--out", str(out), timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    return out


def test_demo_report(demo_out):
    report = json.loads((demo_out / "report.json").read_text())
    names = {v["name"] for v in report["variants"]}
    assert {
        "fp32-eager",
        "fp32-pte",
        "fp32-ptl",
        "fp32-onnx",
        "int8-pte",
        "pruned-int8-pte",
        "student-pte",
    } <= names
    assert (
        report["model"]["spec"] == "builtin:digits-cnn" and report["dataset"]["eval_samples"] == 500
    )
    assert report["baseline"]["accuracy"] > 0.95
    for v in report["variants"]:
        assert v["error"] is None, v
        assert (demo_out / v["artifact"]).exists()
    assert all(g["passed"] for g in report["gates"])
    platforms = {t["platform"]: t for t in report["templates"]}
    assert set(platforms) == {"android", "ios", "web"}
    for t in platforms.values():
        assert t.get("error") is None and (demo_out / t["path"]).is_dir()
    assert (demo_out / "report.html").read_text().count("<tr>") >= 8
    rows = {v["name"]: v for v in report["variants"]}
    fp32, int8 = rows["fp32-pte"], rows["int8-pte"]
    assert int8["size_bytes"] <= 0.30 * fp32["size_bytes"]
    assert rows["pruned-int8-pte"]["params"] <= 0.6 * fp32["params"]
    assert rows["student-pte"]["params"] <= 0.25 * fp32["params"]
    assert rows["student-pte"]["accuracy"]["top1"] >= 0.95
    assert report["baseline"]["accuracy"] - int8["accuracy"]["top1"] <= 0.01


def test_demo_artifacts_agree_in_their_own_runtimes(demo_out):
    from deploy_studio.core.models import ModelSpec
    from deploy_studio.core.recipe import DataSpec
    from deploy_studio.core.runtimes import open_runner
    from deploy_studio.core.session import open_session

    report = json.loads((demo_out / "report.json").read_text())
    session = open_session(
        ModelSpec("builtin:digits-cnn", input_shape=[1, 1, 28, 28]),
        DataSpec("builtin:digits", 128, 500),
    )
    xs = session.eval_x[:100]
    outputs = {}
    for v in report["variants"]:
        if v["format"] in ("pte", "ptl", "onnx"):
            runner = open_runner(v["runtime"], demo_out / v["artifact"], threads=1)
            outputs[v["name"]] = np.stack([runner.run(xs[i : i + 1])[0] for i in range(len(xs))])
    assert {"fp32-pte", "fp32-ptl", "fp32-onnx"} <= set(outputs)
    ref = session.reference[:100]
    fp32 = [n for n in outputs if n.startswith("fp32-")]
    assert set(fp32) == {"fp32-pte", "fp32-ptl", "fp32-onnx"}
    for name in fp32:  # float artifacts: the same numbers as eager and as each other
        assert np.abs(outputs[name] - ref).max() < 1e-3, name
        for other in fp32:
            assert (outputs[name].argmax(1) == outputs[other].argmax(1)).all()
    rows = {v["name"]: v for v in report["variants"]}
    for name, out in outputs.items():  # optimized ones: what the report claims, re-measured here
        agree = float((out.argmax(1) == ref.argmax(1)).mean())
        assert agree >= 0.95, name
        assert abs(agree - rows[name]["parity"]["top1_agreement"]) <= 0.06, name
