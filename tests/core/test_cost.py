"""The cost model (core/cost): FLOPs, weight bytes, achieved GFLOP/s and the host's roofline.

FLOPs are checked against the textbook formulas, weight bytes against the storage precision
of real quantized modules, and the report rows of real runs (eager in this process; the
ExecuTorch and ONNX int8 paths in a slow test) against their own numbers. No timing value is
asserted: only that the host limits were measured and the classification follows them.
"""

from __future__ import annotations

import copy
import json

import pytest
import torch
from torch import nn

from deploy_studio.core.cli import _print_results
from deploy_studio.core.cost import host as host_mod
from deploy_studio.core.cost import roofline, variant_cost
from deploy_studio.core.cost.count import count_flops, module_tensors, weight_bytes
from deploy_studio.core.engine import attach_host_limits, make_worker, run_recipe
from deploy_studio.core.progress import Reporter
from deploy_studio.core.report.model import Report, VariantResult
from deploy_studio.core.report.validate import validate_report
from tests.support.recipes import EAGER, variant


def _weight_bytes(module) -> int:
    return sum(t.numel() * t.element_size() for t in module_tensors(module))


def test_flops_of_conv_and_linear_follow_the_formula():
    conv = nn.Conv2d(3, 8, 3, stride=1, padding=1)
    fc = nn.Linear(8 * 16 * 16, 10)
    model = nn.Sequential(conv, nn.ReLU(), nn.Flatten(), fc).eval()
    x = torch.randn(1, 3, 16, 16)
    conv_macs = 8 * 16 * 16 * (3 * 3 * 3)  # outputs x (in_channels x kernel)
    fc_macs = 8 * 16 * 16 * 10
    assert count_flops(model, (x,)) == 2 * (conv_macs + fc_macs)  # a multiply-add is 2 FLOPs


def test_weight_bytes_follow_the_storage_precision():
    from deploy_studio.core.quantizers import torchao_int8

    model = nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)).eval()
    fp32 = _weight_bytes(model)
    assert fp32 == 4 * sum(p.numel() for p in model.parameters())
    assert _weight_bytes(copy.deepcopy(model).half()) == fp32 // 2
    int8 = copy.deepcopy(model)
    torchao_int8(int8, "weight-only")  # int8 per-channel weights + float scales
    assert 0.24 < _weight_bytes(int8) / fp32 < 0.30


def test_a_file_quantized_after_export_counts_its_weights_at_the_mode_size():
    """LiteRT and Core ML quantize the written file: the module keeps float32 weights (and a
    BatchNorm's int64 counter), so weight matrices count at the mode's element size."""
    from types import SimpleNamespace

    model = nn.Sequential(
        nn.Conv2d(3, 64, 3),
        nn.BatchNorm2d(64),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 256),
    )
    fp32 = _weight_bytes(model)
    for mode, ratio in (("int8-static", 0.25), ("fp16", 0.5)):
        ctx = SimpleNamespace(module=model, quantization={"mode": mode})
        wbytes, method = weight_bytes(ctx, None)
        assert mode in method and "weight matrices" in method
        assert wbytes / fp32 == pytest.approx(ratio, abs=0.1)
    plain = SimpleNamespace(module=model, quantization=None)
    assert weight_bytes(plain, None) == (fp32, "module tensors at their stored dtype")


def test_the_roofline_follows_intensity_against_balance():
    limits = {"peak_gflops": 100.0, "bandwidth_gbs": 10.0, "threads": 1}  # balance 10 FLOP/B
    light = variant_cost(flops=2_000_000, weight_bytes=1_000_000, p50_ms=1.0, method="m")
    heavy = variant_cost(flops=400_000_000, weight_bytes=1_000_000, p50_ms=10.0, method="m")
    assert light["gflops_per_s"] == pytest.approx(2.0) and light["intensity"] == 2.0
    low, high = roofline(light, limits), roofline(heavy, limits)
    assert low["bound"] == "memory" and high["bound"] == "compute"
    assert low["of_peak"] == pytest.approx(2.0 / (2.0 * 10.0))  # attainable = intensity x GB/s
    assert high["of_peak"] == pytest.approx(40.0 / 100.0)  # attainable = peak
    assert light["bound"] is None  # roofline returns a copy
    assert variant_cost(flops=None, weight_bytes=1, p50_ms=1.0, method="m") is None
    assert variant_cost(flops=10, weight_bytes=1, p50_ms=None, method="m") is None


def test_host_limits_are_measured_once_per_process():
    first = host_mod.host_limits(1)
    assert first["peak_gflops"] > 0 and first["bandwidth_gbs"] > 0 and first["threads"] == 1
    assert host_mod.host_limits(1) == first  # cached: not measured again


def test_no_limits_are_measured_without_a_costed_row(tiny_recipe):
    host_mod._CACHE.clear()
    recipe = tiny_recipe([EAGER])
    report = Report.from_dict(
        {
            "model": {"spec": "x", "weights": None, "params": 1, "input_shape": [1]}
            | {"output_shape": [1], "kind": "module"},
            "dataset": {"name": "d", "eval_samples": 0, "calibration_samples": 0}
            | {"labelled": False},
            "variants": [VariantResult("a", "coreml").to_dict()],
        }
    )
    worker = make_worker(isolate=False)
    try:
        attach_host_limits(recipe, report, Reporter(), worker)
    finally:
        worker.close()
    assert report.host_limits is None and host_mod._CACHE == {}


def _check_row_costs(report: dict) -> dict[str, dict]:
    limits = report["host_limits"]
    assert limits["peak_gflops"] > 0 and limits["bandwidth_gbs"] > 0
    assert limits["threads"] == report["benchmark"]["threads"]
    balance = limits["peak_gflops"] / limits["bandwidth_gbs"]
    costs = {}
    for row in report["variants"]:
        if not row.get("latency_ms"):
            assert "cost" not in row
            continue
        c = row["cost"]
        p50 = row["latency_ms"]["p50"]
        assert c["gflops_per_s"] == pytest.approx(c["flops"] / (p50 * 1e-3) / 1e9, rel=1e-3)
        assert c["intensity"] == pytest.approx(c["flops"] / c["weight_bytes"], rel=1e-3)
        assert c["bound"] == ("memory" if c["intensity"] < balance else "compute")
        attainable = min(limits["peak_gflops"], c["intensity"] * limits["bandwidth_gbs"])
        assert c["of_peak"] == pytest.approx(c["gflops_per_s"] / attainable, rel=1e-2)
        costs[row["name"]] = c
    return costs


PRUNED = variant(
    "pruned-eager",
    "eager",
    {"kind": "prune", "method": "structured-l1", "amount": 0.5, "finetune_epochs": 0},
)
INT8 = variant("int8-eager", "eager", {"kind": "quantize", "mode": "int8-weight-only"})


def test_a_run_reports_cost_and_host_limits(tiny_recipe, tmp_path, capsys):
    out = tmp_path / "run"
    report = run_recipe(tiny_recipe([EAGER, PRUNED, INT8]), out, isolate=False, cache=False)
    validate_report(json.loads((out / "report.json").read_text()))
    costs = _check_row_costs(report)
    assert set(costs) == {"fp32-eager", "pruned-eager", "int8-eager"}
    fp32, pruned, int8 = costs["fp32-eager"], costs["pruned-eager"], costs["int8-eager"]
    # TinyNet: conv 1->4 3x3 stride 2 on 28x28 (13x13 out), fc 676->10
    assert fp32["flops"] == 2 * (4 * 13 * 13 * 9 + 676 * 10)
    assert pruned["flops"] < fp32["flops"]
    assert int8["flops"] == fp32["flops"]  # quantizing keeps the arithmetic
    assert fp32["weight_bytes"] == 4 * 6810
    assert 0.2 < int8["weight_bytes"] / fp32["weight_bytes"] < 0.32
    html = (out / "report.html").read_text()
    for head in (
        "FLOPs",
        "weights MB",
        "GFLOP/s",
        "bound, of attainable",
        "host limits (1 thread)",
    ):
        assert head in html, head
    _print_results(report, out)
    printed = capsys.readouterr().out
    table = printed[printed.index("variant ") :].splitlines()
    assert "GFLOP/s" in table[0] and max(len(line) for line in table) <= 120
    assert any(line.startswith("host limits (1 thread): peak") for line in table)
    fp32_line = next(line for line in table if line.startswith("fp32-eager"))
    assert f"{fp32['gflops_per_s']:.2f}" in fp32_line and fp32["bound"] in fp32_line


@pytest.mark.slow  # lowers to ExecuTorch and quantizes with ONNX Runtime (> 10 s)
def test_int8_artifacts_read_a_quarter_of_the_weights(tiny_recipe, tmp_path):
    pte = variant("fp32-pte", "pte", convert="export")
    int8_pte = variant(
        "int8-pte", "pte", {"kind": "quantize", "mode": "int8-static"}, convert="export"
    )
    onnx = variant("fp32-onnx", "onnx", convert="export")
    int8_onnx = variant(
        "int8-onnx", "onnx", {"kind": "quantize", "mode": "int8-static"}, convert="export"
    )
    out = tmp_path / "run"
    recipe = tiny_recipe([pte, int8_pte, onnx, int8_onnx])
    report = run_recipe(recipe, out, isolate=True, cache=False)
    validate_report(json.loads((out / "report.json").read_text()))
    costs = _check_row_costs(report)
    for fmt, method in (("pte", "module tensors"), ("onnx", "ONNX initializers")):
        fp32, int8 = costs[f"fp32-{fmt}"], costs[f"int8-{fmt}"]
        assert int8["flops"] == fp32["flops"]
        assert 0.2 < int8["weight_bytes"] / fp32["weight_bytes"] < 0.35, fmt
        assert int8["method"].startswith(method)
