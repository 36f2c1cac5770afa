"""ExecuTorch delegates as pte format options: Core ML and Vulkan beside XNNPACK.

Core ML and Vulkan programs are lowered here with ExecuTorch's own partitioners (both work
on Linux), their partition coverage is reported, and their rows are not run (no Core ML or
Vulkan backend in the desktop runtime): size and coverage, no latency, the reason recorded.
Modes a delegate does not lower are rejected at recipe validation, naming the alternatives.
"""

from __future__ import annotations

import json

import pytest

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.formats.pte_coverage import coverage_text
from deploy_studio.core.formats.pte_delegates import DELEGATES
from deploy_studio.core.registry import FORMATS
from deploy_studio.core.report.model import VariantResult
from tests.support.pipeline import Pipeline
from tests.support.recipes import recipe, variant

DIGITS = "builtin:digits-cnn"
MOBILENET = {"source": "torchvision:mobilenet_v3_small", "input_shape": [1, 3, 64, 64]}
QUANT_FP16 = {"kind": "quantize", "mode": "fp16"}
FORMATS.get("pte")  # the delegates register with the pte format


def pte(name: str, delegate: str, *steps: dict) -> dict:
    return variant(name, "pte", *steps, convert="export", format_options={"delegate": delegate})


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline()


def _validated(row: VariantResult) -> dict:
    """The row as report.json has it, checked against the report schema's variant item."""
    from deploy_studio.core.report.validate import validate_variant_row

    data = json.loads(json.dumps(row.to_dict()))
    validate_variant_row(data)
    return data


def _check_not_runnable(row: VariantResult, delegate: str) -> dict:
    assert row.error is None
    assert row.runtime is None and row.latency_ms is None and row.accuracy is None
    assert row.not_runnable == DELEGATES[delegate].not_runnable
    assert row.size_bytes and row.size_bytes > 0
    assert row.delegates == [delegate]
    cov = row.coverage
    assert cov["delegate"] == delegate
    assert 0 < cov["ops_delegated"] <= cov["ops_total"]
    assert cov["flops_delegated_share"] is not None and 0 < cov["flops_delegated_share"] <= 1
    return _validated(row)


# --- recipe validation: before any work -----------------------------------------------------


@pytest.mark.parametrize(
    ("delegate", "mode", "alternatives"),
    [
        ("coreml", "int8-dynamic", "int8-static, fp16"),
        ("coreml", "int8-weight-only", "int8-static, fp16"),
        ("vulkan", "int8-static", "int8-weight-only, fp16"),
        ("vulkan", "int8-dynamic", "int8-weight-only, fp16"),
    ],
)
def test_modes_a_delegate_does_not_lower_are_rejected_naming_the_alternatives(
    delegate, mode, alternatives
):
    label = DELEGATES[delegate].label
    with pytest.raises(RecipeError) as e:
        recipe(DIGITS, [pte("q", delegate, {"kind": "quantize", "mode": mode})])
    assert f"the {label} delegate does not lower {mode} graphs" in e.value.message
    assert f"for pte use mode {alternatives}" in e.value.hint
    assert f"{mode} works with format" in e.value.hint


def test_xnnpack_keeps_its_own_weight_only_reason():
    with pytest.raises(RecipeError) as e:
        recipe(DIGITS, [pte("q", "xnnpack", {"kind": "quantize", "mode": "int8-weight-only"})])
    assert "XNNPACK mis-lowers torchao weight-only int8" in e.value.message
    assert "for pte use mode int8-static, int8-dynamic, fp16" in e.value.hint


def test_delegate_contract_platforms_and_libraries():
    from deploy_studio.core.registry import FORMATS

    fmt = FORMATS.get("pte").obj
    assert list(DELEGATES) == ["xnnpack", "coreml", "vulkan"]
    assert fmt.app_libraries("ios", ["coreml"]) == ["backend_coreml"]
    assert fmt.app_libraries("android", ["vulkan"]) == ["executorch-android-vulkan"]
    assert fmt.app_libraries("android", ["coreml"]) == []
    assert DELEGATES["coreml"].platforms == ("ios",)
    assert DELEGATES["vulkan"].platforms == ("android",)
    assert not DELEGATES["xnnpack"].not_runnable
    assert fmt.quantizer("fp16", {"delegate": "coreml"}).description == (
        "Core ML FLOAT16 compute precision"
    )


# --- lowering, coverage, not runnable --------------------------------------------------------


@pytest.mark.slow  # > 6 s on two cores (builds the digits CNN twice)
def test_xnnpack_digits_coverage_and_an_op_xnnpack_leaves_outside(pipeline, tmp_path):
    """fp32 digits CNN on XNNPACK: every conv and linear goes to the delegate (all FLOPs); a
    model ending in an op XNNPACK does not take (cumsum) shows it under ``undelegated``."""
    r = recipe(DIGITS, [pte("x", "xnnpack")])
    row = pipeline.measure(r, "x", tmp_path / "x")
    cov = row.coverage
    assert row.runtime == "executorch" and row.latency_ms is not None and not row.not_runnable
    assert cov["delegate"] == "xnnpack" and cov["flops_delegated_share"] == 1.0
    assert not any("conv" in op or "linear" in op or "addmm" in op for op in cov["undelegated"])
    _validated(row)


def test_coverage_counts_an_undelegated_op(tmp_path):
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    from deploy_studio.core.formats.pte_coverage import partition_coverage

    class ConvCumsum(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)

        def forward(self, x):
            return self.conv(x).flatten(1).cumsum(1)

    ep = torch.export.export(ConvCumsum().eval(), (torch.randn(1, 1, 8, 8),))
    edge = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()])
    cov = partition_coverage(edge.exported_program(), "xnnpack")
    assert cov["undelegated"].get("aten.cumsum.default") == 1
    assert cov["ops_delegated"] >= 1 and cov["ops_delegated"] < cov["ops_total"]
    assert cov["flops_delegated_share"] == 1.0  # cumsum counts no multiply-add FLOPs
    assert "aten.cumsum.default x1" in coverage_text(cov)


@pytest.mark.slow  # > 6 s on two cores (Vulkan lowering of the digits CNN)
@pytest.mark.parametrize("delegate", ["coreml", "vulkan"])
def test_digits_lowers_and_is_not_run_here(pipeline, tmp_path, delegate):
    r = recipe(DIGITS, [pte("fp32", delegate), pte("fp16", delegate, QUANT_FP16)])
    fp32 = pipeline.measure(r, "fp32", tmp_path / "a")
    data = _check_not_runnable(fp32, delegate)
    assert data["not_runnable"] and data["coverage"]["ops_total"] >= 5
    assert fp32.coverage["flops_delegated_share"] == 1.0
    fp16 = pipeline.measure(r, "fp16", tmp_path / "b")
    _check_not_runnable(fp16, delegate)
    if delegate == "coreml":  # float16 weights in the Core ML partition: a smaller program
        assert fp16.size_bytes < fp32.size_bytes
    assert any("float16" in n for n in fp16.notes)


@pytest.mark.slow
@pytest.mark.parametrize("delegate", ["coreml", "vulkan"])
def test_mobilenet_v3_small_lowers_and_is_not_run_here(pipeline, tmp_path, delegate):
    r = recipe(MOBILENET, [pte("fp32", delegate), pte("fp16", delegate, QUANT_FP16)])
    for name in ("fp32", "fp16"):
        row = pipeline.measure(r, name, tmp_path / name)
        _check_not_runnable(row, delegate)
        assert row.coverage["ops_total"] > 100
        assert row.coverage["flops_delegated_share"] > 0.9


@pytest.mark.slow
def test_digits_int8_on_coreml_and_vulkan(pipeline, tmp_path):
    """Core ML lowers int8-static (CoreMLQuantizer q/dq patterns); Vulkan int8 weights."""
    r = recipe(
        DIGITS,
        [
            pte("cm-int8", "coreml", {"kind": "quantize", "mode": "int8-static"}),
            pte("vk-int8", "vulkan", {"kind": "quantize", "mode": "int8-weight-only"}),
            pte("vk-fp32", "vulkan"),
        ],
    )
    cm = pipeline.measure(r, "cm-int8", tmp_path / "cm")
    _check_not_runnable(cm, "coreml")
    assert any("CoreMLQuantizer" in n for n in cm.notes)
    assert "quantized_decomposed" not in json.dumps(cm.coverage["undelegated"])
    vk = pipeline.measure(r, "vk-int8", tmp_path / "vk")
    _check_not_runnable(vk, "vulkan")
    assert any("VulkanQuantizer" in n for n in vk.notes)
    fp32 = pipeline.measure(r, "vk-fp32", tmp_path / "vk32")
    assert vk.size_bytes < fp32.size_bytes * 0.5  # int8 weights


# --- apps, tune, report.html ----------------------------------------------------------------


def test_apps_never_pick_a_program_whose_delegate_does_not_run_on_the_platform():
    from deploy_studio.core.app_routes import delegate_refusal, variant_delegates
    from deploy_studio.core.apps import pick_variant

    def row(name, delegate, size, p50=None):
        lat = {"p50": p50, "p10": p50, "p90": p50, "mean": p50} if p50 else None
        return {
            "name": name,
            "format": "pte",
            "artifact": f"artifacts/{name}.pte",
            "size_bytes": size,
            "delegates": [delegate],
            "latency_ms": lat and {**lat, "runs": 5, "threads": 1, "warmup": 2},
        }

    rows = [row("cm", "coreml", 10), row("vk", "vulkan", 20), row("x", "xnnpack", 90, 1.0)]
    assert pick_variant(rows, "pte", None, platform="android")["name"] in ("vk", "x")
    assert pick_variant(rows, "pte", "cm", platform="android")["name"] != "cm"
    assert pick_variant(rows, "pte", "cm", platform="ios")["name"] == "cm"
    assert pick_variant(rows[:1], "pte", None, platform="android") is None  # built for the app
    why = delegate_refusal("android", ["coreml"])
    assert "Core ML-delegated program runs on ios only, not android" in why
    assert 'delegate = "xnnpack" or delegate = "vulkan"' in why
    assert 'delegate = "xnnpack" or delegate = "coreml"' in delegate_refusal("ios", ["vulkan"])
    assert delegate_refusal("ios", ["xnnpack"]) is None
    assert variant_delegates("pte", {"delegate": "coreml"}) == ["coreml"]
    assert variant_delegates("pte", {}) == ["xnnpack"] and variant_delegates("onnx", {}) == []


def test_the_ios_project_links_backend_coreml_for_a_core_ml_program():
    from deploy_studio.core.registry import FORMATS
    from deploy_studio.core.templates.context import ios_context

    fmt = FORMATS.get("pte").obj
    ctx = {
        "type_name": "App",
        "runtime": "executorch",
        "format": "pte",
        "executorch_products": ["executorch", "backend_xnnpack"],
        "delegate_libraries": fmt.app_libraries("ios", ["coreml"]),
    }
    names = [p["name"] for p in ios_context(ctx, [])["packages"]]
    assert names == ["executorch", "backend_xnnpack", "backend_coreml"]


def test_tune_searches_only_delegates_it_can_measure():
    from deploy_studio.core.tune import search_space

    r = recipe(DIGITS, [pte("cm", "coreml"), pte("vk", "vulkan")])
    space = search_space(r, amounts=(0.0,))
    ptes = [v for v in space if v.format == "pte"]
    assert ptes and all(not v.format_options for v in ptes)  # the default: XNNPACK


def test_report_html_shows_coverage_and_not_measured_here():
    from deploy_studio.core.report.writer import _p50_cell
    from deploy_studio.core.report.writer import coverage_text as html_coverage

    row = VariantResult(
        "vk",
        "pte",
        artifact="artifacts/vk.pte",
        size_bytes=10,
        not_runnable=DELEGATES["vulkan"].not_runnable,
        coverage={
            "delegate": "vulkan",
            "ops_delegated": 3,
            "ops_total": 4,
            "flops_delegated_share": 0.5,
            "undelegated": {"aten.cumsum.default": 1},
        },
    )
    cell = _p50_cell(row)
    assert ">not measured here<" in cell and "desktop pip runtime has no Vulkan" in cell
    assert html_coverage(row.coverage) == (
        "vulkan took 3/4 ops, 50.0% of FLOPs; outside: aten.cumsum.default x1"
    )
    _validated(row)


def test_a_delegate_that_cannot_lower_here_says_why_and_what_to_use(pipeline, tmp_path):
    from deploy_studio.core.errors import StudioError
    from deploy_studio.core.formats.pte_delegates import Delegate, register_delegate

    @register_delegate("missing")
    class MissingDelegate(Delegate):
        label = "Missing"
        modes = ()

        def partitioners(self, ctx):
            raise ImportError("No module named 'executorch.backends.missing'")

    try:
        r = recipe(DIGITS, [pte("m", "missing")])
        with pytest.raises(StudioError) as e:
            pipeline.build(r, "m", tmp_path)
    finally:
        DELEGATES.pop("missing")
    assert "the Missing delegate cannot lower on this host" in e.value.message
    assert "executorch.backends.missing" in e.value.message
    assert 'delegate = "xnnpack"' in e.value.hint


@pytest.mark.slow
@pytest.mark.parametrize(
    ("delegate", "mode"), [("vulkan", "int8-weight-only"), ("coreml", "int8-static")]
)
def test_mobilenet_v3_small_int8(pipeline, tmp_path, delegate, mode):
    r = recipe(MOBILENET, [pte("q", delegate, {"kind": "quantize", "mode": mode})])
    row = pipeline.measure(r, "q", tmp_path)
    _check_not_runnable(row, delegate)
    assert row.coverage["flops_delegated_share"] > 0.9


def test_app_selftest_bound_of_a_delegated_program_not_run_here_is_relative():
    """The app compares a Core ML / Vulkan program (never run here) with the original model:
    same top-1 and a bound relative to the logit range, as for Core ML packages and fp16."""
    from deploy_studio.core.templates.tolerance import selftest_tolerance

    logits = [0.0, 4.0, 1.0]
    for delegate, words in (("coreml", "float16 on the GPU"), ("vulkan", "Vulkan")):
        t = selftest_tolerance({"format": "pte", "delegates": [delegate]}, logits)
        assert t["kind"] == "top1+relative" and words in t["reason"], t
    fp32 = selftest_tolerance({"format": "pte", "delegates": ["xnnpack"]}, logits)
    assert fp32["kind"] == "absolute"


@pytest.mark.slow
def test_core_ml_int8_keeps_layers_in_float_and_quantizes_one_layer_alone():
    """keep_fp32 leaves a layer in float; ``only`` (the sensitivity table) quantizes one
    layer with its weights and the ReLU after it, as the XNNPACK quantizer does."""
    import torch
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    from deploy_studio.core.formats.pte_delegate_coreml import coreml_quantizer

    class ConvLinear(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c = torch.nn.Conv2d(1, 4, 3)
            self.l = torch.nn.Linear(4 * 6 * 6, 3)

        def forward(self, x):
            return self.l(torch.relu(self.c(x)).flatten(1))

    x = (torch.randn(1, 1, 8, 8),)

    def order(**kw) -> list[str]:
        graph = torch.export.export(ConvLinear().eval(), x).module()
        prepared = prepare_pt2e(graph, coreml_quantizer(**kw))
        prepared(*x)
        nodes = convert_pt2e(prepared).graph.nodes
        return [n.name for n in nodes if n.op == "call_function"]

    kept = order(keep_fp32=["c"])
    assert kept.index("conv2d") < kept.index("quantize_per_tensor_default")  # conv input float
    assert "quantize_per_tensor_default" in kept[kept.index("flatten") :]  # linear input int8
    alone = order(only="c")
    assert alone.index("quantize_per_tensor_default") < alone.index("conv2d")
    assert not any("quantize" in n for n in alone[alone.index("flatten") :])  # linear float
