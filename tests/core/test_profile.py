"""Per-operator profiles, memory and load time (core/profile, issue 13), on real runtimes.

Tolerances on "the ops fit in the run": rows never overlap and are nested inside the run's own
event on the same trace, so their sum is at most the total, except for rounding of the
runtimes' integer ticks: XNNPACK's delegate events and ONNX Runtime's trace durations are
whole microseconds, so each timed event may add up to 1 us (``TICK_MS``) per call.
No wall-clock value is compared with a fixed limit.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.profile import measure_memory, portable_hints, profile

TICK_MS = 0.001


class CumsumNet(torch.nn.Module):
    """conv -> relu (XNNPACK) -> cumsum (portable kernels) -> global mean -> fc."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)
        self.fc = torch.nn.Linear(8, 4)

    def forward(self, x):
        y = torch.cumsum(self.conv(x).relu(), dim=1)
        return self.fc(y.mean((2, 3)))


class Mlp(torch.nn.Module):
    """Two linear layers of ``width``: the same architecture at two sizes."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.up = torch.nn.Linear(256, width)
        self.down = torch.nn.Linear(width, 256)

    def forward(self, x):
        return self.down(self.up(x).relu())


def _inputs(shape) -> list[np.ndarray]:
    return [np.random.default_rng(0).standard_normal(shape).astype(np.float32)]


def write_pte(module, x: np.ndarray, path, etrecord: bool = True):
    """Lower ``module`` to XNNPACK as core/formats/pte.py does, with the ETRecord beside it."""
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    from deploy_studio.core.formats.pte import write_etrecord
    from deploy_studio.core.formats.pte_coverage import partition_coverage

    ep = torch.export.export(module.eval(), (torch.from_numpy(x),))
    edge = to_edge_transform_and_lower(
        ep, partitioner=[XnnpackPartitioner()], generate_etrecord=etrecord
    )
    coverage = partition_coverage(edge.exported_program(), "xnnpack")
    prog = edge.to_executorch()
    path.write_bytes(prog.buffer)
    if etrecord:
        write_etrecord(prog, path)
    return coverage


def _delegate_calls(prof) -> int:
    return sum(r.calls for r in prof.rows if r.delegate not in ("portable", None))


def test_executorch_profile_names_the_undelegated_op_as_portable(tmp_path):
    x = _inputs((1, 3, 16, 16))
    pte = tmp_path / "cumsum.pte"
    coverage = write_pte(CumsumNet(), x[0], pte)
    assert "aten.cumsum.default" in coverage["undelegated"]
    assert (tmp_path / "cumsum.etrecord").exists()

    prof = profile("executorch", pte, x, threads=1, runs=5, warmup=2)
    assert prof.source == "etdump" and prof.runs == 5
    by_op = {r.op: r for r in prof.rows}
    cumsum = by_op["aten.cumsum.default"]
    assert cumsum.delegate == "portable" and cumsum.calls == 5 and cumsum.layer == ""
    conv = [r for r in prof.rows if r.delegate == "XnnpackBackend" and r.layer == "conv"]
    assert conv, [r.to_dict() for r in prof.rows]
    assert any(r.layer == "fc" for r in prof.rows)
    # the rows fit in Method::execute (see the module docstring for the tick allowance)
    assert 0 < prof.ops_ms <= prof.total_ms + TICK_MS * _delegate_calls(prof)
    assert abs(sum(r.share for r in prof.rows) - prof.ops_ms / prof.total_ms) < 1e-9
    # the report's hint for it
    assert any(
        h.startswith("aten.cumsum.default x1 runs on portable kernels")
        for h in portable_hints(coverage)
    )


def test_executorch_profile_without_etrecord_still_names_the_kernel(tmp_path):
    x = _inputs((1, 3, 16, 16))
    pte = tmp_path / "bare.pte"
    write_pte(CumsumNet(), x[0], pte, etrecord=False)
    prof = profile("executorch", pte, x, threads=1, runs=3, warmup=1)
    assert prof.source.startswith("etdump (no ETRecord")
    assert any(r.op == "aten.cumsum" and r.delegate == "portable" for r in prof.rows)


def test_onnxruntime_profile_rows_map_to_the_models_layers(tmp_path):
    x = _inputs((1, 3, 16, 16))
    path = tmp_path / "m.onnx"
    torch.onnx.export(CumsumNet().eval(), (torch.from_numpy(x[0]),), str(path), dynamo=True)
    prof = profile("onnxruntime", path, x, threads=1, runs=5, warmup=2)
    assert prof.source == "onnxruntime profiling" and prof.runs == 5
    assert all(r.delegate == "CPUExecutionProvider" for r in prof.rows)
    # every node ORT ran maps to a layer, fused ones through the tensors they compute
    assert all(r.layer is not None for r in prof.rows), [r.to_dict() for r in prof.rows]
    assert any(r.op.startswith("Gemm") and r.layer == "fc" for r in prof.rows)
    assert any(r.op.startswith("CumSum") for r in prof.rows)
    calls = sum(r.calls for r in prof.rows)
    assert 0 < prof.ops_ms <= prof.total_ms + TICK_MS * calls


def test_onnx_nodes_ort_renamed_map_to_the_node_they_came_from():
    from deploy_studio.core.profile.onnxruntime_prof import _original_names

    assert "node_linear" in _original_names("fused node_linear")
    assert "node_conv2d" in _original_names("node_conv2d_token_1")


def test_eager_profile_maps_aten_ops_to_modules():
    x = _inputs((1, 3, 16, 16))
    prof = profile("eager", None, x, threads=1, runs=4, warmup=1, module=CumsumNet().eval())
    assert prof.source == "torch.profiler"
    layers = {r.op: r.layer for r in prof.rows}
    assert layers["aten::conv2d"] == "conv" and layers["aten::linear"] == "fc"
    assert layers["aten::cumsum"] == ""  # called in the model's own forward
    assert 0 < prof.ops_ms <= prof.total_ms  # same clock, nested ranges: no allowance


def test_litert_profile_says_why_it_is_not_available():
    prof = profile("litert", "unused.tflite", [], threads=1)
    assert not prof.available and "no op profiler" in prof.source
    assert prof.to_dict()["rows"] == []


class MeanNet(torch.nn.Module):
    def __init__(self, keepdim: bool) -> None:
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x):
        return x.mean((2, 3), keepdim=self.keepdim)


def test_the_mean_hint_is_what_xnnpack_takes(tmp_path):
    """The hint for a portable ``aten.mean.dim`` (keepdim=True) lowers to XNNPACK."""
    x = _inputs((1, 8, 14, 14))[0]
    portable = write_pte(MeanNet(False), x, tmp_path / "a.pte", etrecord=False)
    assert portable["undelegated"] == {"aten.mean.dim": 1}
    assert "keepdim=True" in portable_hints(portable)[0]
    delegated = write_pte(MeanNet(True), x, tmp_path / "b.pte", etrecord=False)
    assert delegated["undelegated"] == {} and delegated["ops_delegated"] == 1


def test_lite_interpreter_profile_has_aten_ops_without_layers(tmp_path):
    x = _inputs((1, 3, 16, 16))
    model = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()))
    model._save_for_lite_interpreter(str(tmp_path / "m.ptl"))
    prof = profile("torchscript-lite", tmp_path / "m.ptl", x, threads=1, runs=3, warmup=1)
    assert prof.source == "torch.profiler"
    assert {"aten::conv2d", "aten::relu"} <= {r.op for r in prof.rows}
    assert all(r.layer is None for r in prof.rows)
    assert 0 < prof.ops_ms <= prof.total_ms


def test_a_delegate_blocks_layer_lists_few_layers_and_names_the_ancestor_of_many():
    from deploy_studio.core.profile.executorch_prof import _layer

    def chain(path):
        return {"L__self__": ("", "M"), "L__self__x": (path, "Conv2d")}

    assert _layer(None) is None
    assert _layer({"a": {"L__self__": ("", "M")}}) == ""
    assert _layer({"a": chain("conv"), "b": chain("relu")}) == "conv, relu"
    many = {str(i): chain(f"features.3.block.{i}") for i in range(5)}
    assert _layer(many) == "features.3.block"
    assert _layer({**many, "x": chain("classifier.0")}) == ""


def test_hints_name_only_ops_that_have_one():
    hints = portable_hints({"undelegated": {"aten.cumsum.default": 2, "aten.foo.default": 1}})
    assert len(hints) == 1 and hints[0].startswith("aten.cumsum.default x2 runs on portable")
    assert portable_hints(None) == []


@pytest.mark.slow  # two lowerings and two probe processes (> 6 s on two cores)
def test_peak_memory_grows_with_the_model(tmp_path):
    x = _inputs((1, 256))
    measured = {}
    for width in (64, 4096):
        pte = tmp_path / f"mlp{width}.pte"
        write_pte(Mlp(width), x[0], pte, etrecord=False)
        measured[width] = measure_memory("executorch", pte, x, threads=1, runs=3)
    small, big = measured[64], measured[4096]
    for m in (small, big):
        mem = m["memory"]
        assert mem["peak_rss_bytes"] >= mem["baseline_rss_bytes"] > 0
        assert m["load_ms"]["cold"] > 0 and m["load_ms"]["warm"] > 0
        assert mem["planned_bytes"] > 0
    grow = {
        w: m["memory"]["peak_rss_bytes"] - m["memory"]["baseline_rss_bytes"]
        for w, m in measured.items()
    }
    # the big MLP's weights are 2 x 256 x 4096 float32 = 8 MiB; the small one's 128 KiB
    assert grow[4096] - grow[64] > 4 * 2**20, grow
    # the whole MLP runs in XNNPACK, which allocates its own workspace: the program's plan
    # holds the tensors between the delegate and the runtime (here the 256-float input and
    # output), the same for both sizes
    for m in (small, big):
        assert m["memory"]["planned_bytes"] >= 2 * 256 * 4
    assert big["memory"]["method"].startswith("Linux VmHWM")


def test_onnx_memory_probe_has_no_planned_bytes(tmp_path):
    x = _inputs((1, 256))
    path = tmp_path / "mlp.onnx"
    torch.onnx.export(Mlp(64).eval(), (torch.from_numpy(x[0]),), str(path), dynamo=True)
    m = measure_memory("onnxruntime", path, x, threads=1, runs=2)
    assert m["memory"]["planned_bytes"] is None and m["load_ms"]["cold"] > 0


def test_recipe_profile_switch_is_validated():
    from deploy_studio.core.recipe import parse_recipe

    base = {"model": {"source": "builtin:digits-cnn"}}
    assert parse_recipe(base).benchmark.profile is False
    assert parse_recipe({**base, "benchmark": {"profile": True}}).benchmark.profile is True
    with pytest.raises(RecipeError, match="profile"):
        parse_recipe({**base, "benchmark": {"profile": "yes"}})


@pytest.mark.slow  # builds and measures three variants in the worker (> 6 s)
def test_profiled_run_writes_a_valid_report(tiny_model_file, tmp_path):
    import json

    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.report.writer import render_html
    from tests.support.recipes import EAGER, ONNX, PTE, recipe

    model = {"source": f"{tiny_model_file}:PortableCumsum"}
    r = recipe(model, [EAGER, PTE, ONNX], benchmark={"profile": True})
    run_recipe(r, tmp_path, isolate=True, templates=False)  # validated as it is written
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["benchmark"]["profile"] is True
    rows = {v["name"]: v for v in report["variants"]}
    sources = {name: v["profile"]["source"] for name, v in rows.items()}
    assert sources == {
        "fp32-eager": "torch.profiler",
        "fp32-pte": "etdump",
        "fp32-onnx": "onnxruntime profiling",
    }
    for name, v in rows.items():
        assert v["error"] is None and v["profile"]["rows"], name
        assert v["profile"]["ops_ms"] > 0 and v["profile"]["runs"] > 0
    for name in ("fp32-pte", "fp32-onnx"):
        assert rows[name]["load_ms"]["cold"] > 0 and rows[name]["memory"]["peak_rss_bytes"] > 0
    assert rows["fp32-onnx"]["memory"]["planned_bytes"] is None
    assert rows["fp32-pte"]["memory"]["planned_bytes"] > 0
    assert "memory" not in rows["fp32-eager"] and "load_ms" not in rows["fp32-eager"]
    # the cumsum: outside the delegate, with a hint, and profiled on the portable kernels
    pte = rows["fp32-pte"]
    assert pte["coverage"]["undelegated"] == {"aten.cumsum.default": 1}
    (hint,) = pte["coverage"]["hints"]
    assert hint.startswith("aten.cumsum.default x1 runs on portable kernels")
    assert pte["profile"]["hints"] == [hint]
    portable = [x for x in pte["profile"]["rows"] if x["delegate"] == "portable"]
    assert [(x["op"], x["layer"]) for x in portable] == [("aten.cumsum.default", "")]
    layers = {x["layer"] for x in pte["profile"]["rows"]}
    assert {"conv, relu", "fc"} <= layers, layers  # the two XNNPACK blocks around the cumsum
    # the ETRecord sits beside the .pte for the profiler and is not an artifact file
    assert (tmp_path / pte["artifact"]).with_suffix(".etrecord").exists()
    assert not any(f.endswith(".etrecord") for f in pte["files"])
    # report.html shows the hint under its variant, escaped
    assert "hint: " + hint.replace("'", "&#x27;") in render_html(report)


@pytest.mark.slow  # a torchvision mobilenet_v3_small in three runtimes with profiles (~1 min)
def test_mobilenet_v3_small_profiles_map_to_its_nested_layers(tmp_path):
    import json

    from deploy_studio.core.engine import run_recipe
    from tests.support.recipes import EAGER, ONNX, PTE, recipe

    model = {"source": "torchvision:mobilenet_v3_small", "input_shape": [1, 3, 224, 224]}
    r = recipe(
        model,
        [EAGER, PTE, ONNX],
        data={"source": "random", "calibration_samples": 2, "eval_samples": 2},
        benchmark={"threads": [1, 2], "warmup": 1, "runs": 3, "profile": True},
    )
    run_recipe(r, tmp_path, isolate=True, templates=False)  # validated as it is written
    rows = {v["name"]: v for v in json.loads((tmp_path / "report.json").read_text())["variants"]}
    for name, v in rows.items():
        assert v["error"] is None, (name, v["error"])
        assert len(v["profile"]["rows"]) >= 5 and [t["threads"] for t in v["threads_scaling"]] == [
            1,
            2,
        ]
        assert v["profile"]["ops_ms"] <= v["profile"]["total_ms"] * 1.01 + 0.01 * len(
            v["profile"]["rows"]
        )
    # ONNX Runtime and eager name the model's own nested modules (features.N...), once each
    for name in ("fp32-eager", "fp32-onnx"):
        layers = [x["layer"] for x in rows[name]["profile"]["rows"] if x["layer"]]
        assert any(layer.startswith("features.") for layer in layers), (name, layers)
        assert not any(layer.startswith("features.features") for layer in layers), layers
    pte = rows["fp32-pte"]
    assert pte["coverage"]["flops_delegated_share"] == 1.0
    assert pte["memory"]["planned_bytes"] > 0 and pte["load_ms"]["warm"] > 0
