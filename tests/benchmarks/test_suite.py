"""benchmarks/suite.py: the target arithmetic (fast), and one real quick run on digits (slow)."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import suite


def _row(size, p50_1, top1, p50_4=None):
    return {"size_bytes": size, "p50_ms": {1: p50_1, 4: p50_4 or p50_1}, "top1": top1}


def test_targets_use_the_best_peer_within_budget_and_the_int8_floor():
    rows = {
        "ExecuTorch/XNNPACK fp32": _row(6_000_000, 4.0, 0.990),
        "ExecuTorch/XNNPACK int8": _row(1_700_000, 3.0, 0.985),
        "ONNX Runtime int8": _row(1_800_000, 1.0, 0.950),  # fastest, but 4 points lost
        "studio tune: pte-int8-static-pruned30": _row(1_200_000, 1.5, 0.984),
    }
    out = suite.targets(rows, "studio tune: pte-int8-static-pruned30", 0.990, int8_chosen=True)
    speed, size, drop = out
    assert speed["value"] == pytest.approx(3.0 / 1.5) and speed["status"] == "PASS"
    assert size["value"] == pytest.approx(1_200_000 / 1_700_000) and size["status"] == "PASS"
    assert drop["value"] == pytest.approx(0.6) and drop["status"] == "PASS"


def test_targets_say_miss_and_na():
    rows = {
        "ONNX Runtime fp32": _row(6_000_000, 2.0, 0.99),
        "ONNX Runtime int8": _row(1_000_000, 1.0, 0.99),
        "studio tune: onnx-fp32": _row(6_000_000, 1.9, 0.97),
    }
    speed, size, drop = suite.targets(rows, "studio tune: onnx-fp32", 0.99, int8_chosen=False)
    assert speed["status"] == "MISS" and speed["value"] == pytest.approx(1.0 / 1.9)
    assert size["status"] == "n/a" and size["value"] is None
    assert drop["status"] == "MISS" and drop["value"] == pytest.approx(2.0)


def test_bad_model_name_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        suite.main(["--models", "alexnet"])
    assert e.value.code == 2
    assert "unknown model" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_quick_suite_on_digits(tmp_path, capsys):
    out = tmp_path / "suite"
    argv = ["--quick", "--data", "digits", "--models", "mobilenet_v3_small", "--size", "32"]
    argv += ["--formats", "pte", "--amounts", "0", "--runs", "5", "--warmup", "1"]
    assert suite.main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "scikit-learn digits" in printed and "p50@1 ms" in printed
    result = json.loads((out / "suite.json").read_text())
    (model,) = result["models"]
    rows = model["rows"]
    studio = model["studio_row"]
    assert studio and studio.startswith("studio tune: ")
    peers = {k: r for k, r in rows.items() if k != studio}
    assert {"ExecuTorch/XNNPACK fp32", "ExecuTorch/XNNPACK int8"} <= set(peers)
    assert {"ONNX Runtime fp32", "ONNX Runtime int8"} <= set(peers)
    for r in rows.values():
        assert r["size_bytes"] > 0 and 0 <= r["top1"] <= 1
        assert r["p50_ms"]["1"] > 0 and r["p50_ms"]["4"] > 0
    ref = model["eager_fp32_top1"]
    speed = next(t for t in model["targets"] if t["target"].startswith("best peer"))
    within = [r["p50_ms"]["1"] for r in peers.values() if ref - r["top1"] <= 0.01 + 1e-9]
    assert speed["value"] == pytest.approx(min(within) / rows[studio]["p50_ms"]["1"])
    assert speed["status"] in ("PASS", "MISS") and speed["status"] in printed
    drop = next(t for t in model["targets"] if "accuracy drop" in t["target"])
    assert drop["value"] == pytest.approx(100 * (ref - rows[studio]["top1"]))
    clock = next(t for t in model["targets"] if "--time-budget" in t["target"])
    assert model["tune"]["time_budget"] == 300.0  # --quick's default budget
    assert clock["value"] == pytest.approx(model["tune"]["seconds"] / 300.0)
