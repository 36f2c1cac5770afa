"""The quantize step on a tiny trained CNN: each mode's artifact runs in its real runtime,
is smaller than float, and agrees with the float model; bad combinations are rejected."""

from __future__ import annotations

import onnx
import pytest
import torch

from deploy_studio.core.errors import Cancelled, RecipeError
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.recipe import parse_recipe
from deploy_studio.core.steps import _harness as h
from deploy_studio.core.steps.quantize import Quantize

AGREEMENT = 0.95  # top-1 agreement of a quantized artifact with the float model
EVAL = 150  # held-out samples compared


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic and fast on a busy 2-core machine
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny():
    return h.trained_tiny_model()


def _build(tiny, tmp_path, fmt, *steps, data=None, reporter=None):
    model, dataset = tiny
    ctx = h.make_context(
        model,
        h.variant(f"v-{fmt}", fmt, *steps),
        tmp_path,
        data=data or dataset,
        calibration_samples=64,
        eval_samples=EVAL,
        **({"reporter": reporter} if reporter else {}),
    )
    h.run_steps(ctx)
    return ctx, h.write_artifact(ctx)


def _agreement(tiny, artifact, ctx):
    model, _ = tiny
    x, _ = ctx.eval_tensors()
    x = x[:EVAL]
    ref = h.outputs(model.module, x)
    out = h.outputs(h.runner(artifact), x)
    return float((out.argmax(1) == ref.argmax(1)).float().mean()), float((out - ref).abs().max())


_FLOAT: dict = {}


def _float_artifact(tiny, tmp_path, fmt):
    """The unquantized artifact in ``fmt`` (built once per module)."""
    if fmt not in _FLOAT:
        _FLOAT[fmt] = _build(tiny, tmp_path / "float", fmt)[1]
    return _FLOAT[fmt]


def test_int8_static_pte_is_smaller_and_agrees(tiny, tmp_path):
    ctx, art = _build(tiny, tmp_path, "pte", {"kind": "quantize", "mode": "int8-static"})
    fp32 = _float_artifact(tiny, tmp_path, "pte")
    ratio = art.size_bytes / fp32.size_bytes
    assert ratio <= 0.45, f"int8 pte is {ratio:.2f}x the float pte"
    agreement, _ = _agreement(tiny, art, ctx)
    assert agreement >= AGREEMENT
    assert any("calibrated on 64 real samples" in n for n in ctx.notes)


def test_int8_static_onnx_uses_qdq_and_agrees(tiny, tmp_path):
    ctx, art = _build(tiny, tmp_path, "onnx", {"kind": "quantize", "mode": "int8-static"})
    fp32 = _float_artifact(tiny, tmp_path, "onnx")
    ops = {n.op_type for n in onnx.load(str(art.path)).graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert art.size_bytes / fp32.size_bytes <= 0.45
    agreement, _ = _agreement(tiny, art, ctx)
    assert agreement >= AGREEMENT


def test_keep_fp32_leaves_the_named_layer_float(tiny, tmp_path):
    ctx, art = _build(
        tiny, tmp_path, "pte", {"kind": "quantize", "mode": "int8-static", "keep_fp32": ["fc1"]}
    )
    quantized_linears = []
    for node in ctx.module.graph.nodes:
        if node.op == "call_function" and "linear" in str(node.target):
            stack = [v[0] for v in node.meta.get("nn_module_stack", {}).values()]
            weight = node.args[1]
            quantized_linears.append(
                (stack[-1] if stack else "", "dequantize" in str(weight.target))
            )
    assert ("fc1", False) in quantized_linears and ("fc2", True) in quantized_linears
    full = _build(tiny, tmp_path / "full", "pte", {"kind": "quantize", "mode": "int8-static"})[1]
    assert art.size_bytes > full.size_bytes  # fc1 (the biggest layer) kept its float weights
    assert _agreement(tiny, art, ctx)[0] >= AGREEMENT

    # the same option on ONNX excludes the layer's nodes from QDQ
    _, onnx_art = _build(
        tiny,
        tmp_path / "o",
        "onnx",
        {"kind": "quantize", "mode": "int8-static", "keep_fp32": ["fc1"]},
    )
    graph = onnx.load(str(onnx_art.path)).graph
    producers = {o: n for n in graph.node for o in n.output}
    gemms = [n for n in graph.node if n.op_type in ("Gemm", "MatMul")]
    weight_is_int8 = [
        producers.get(n.input[1]) is not None
        and producers[n.input[1]].op_type == "DequantizeLinear"
        for n in gemms
    ]
    assert weight_is_int8.count(False) == 1 and weight_is_int8.count(True) == len(gemms) - 1


def test_sensitivity_table_lists_every_layer(tiny, tmp_path):
    ctx, _ = _build(
        tiny, tmp_path, "pte", {"kind": "quantize", "mode": "int8-static", "sensitivity": True}
    )
    rows = ctx.state["quantize"]["sensitivity"]
    assert {r["layer"] for r in rows} == {"conv1", "conv2", "fc1", "fc2"}
    for r in rows:
        assert set(r) >= {"layer", "accuracy", "accuracy_drop", "max_abs_diff", "top1_agreement"}
        assert 0 <= r["accuracy"] <= 1
        assert r["max_abs_diff"] > 1e-4  # the layer really was quantized (incl. conv + ReLU module)
    drops = [r["accuracy_drop"] for r in rows]
    assert drops == sorted(drops, reverse=True)


def test_random_data_is_said(tiny, tmp_path):
    model, _ = tiny
    ctx = h.make_context(
        model,
        h.variant("r", "pte", {"kind": "quantize"}),
        tmp_path,
        data="random",
        calibration_samples=16,
        eval_samples=8,
    )
    h.run_steps(ctx)
    assert any("random data" in n for n in ctx.notes)


@pytest.mark.parametrize("fmt", ["pte", "onnx"])
def test_int8_dynamic_shrinks_linear_weights(tiny, tmp_path, fmt):
    ctx, art = _build(tiny, tmp_path, fmt, {"kind": "quantize", "mode": "int8-dynamic"})
    fp32 = _float_artifact(tiny, tmp_path, fmt)
    assert art.size_bytes / fp32.size_bytes <= 0.5  # Linear layers hold ~90% of the weights
    assert _agreement(tiny, art, ctx)[0] >= AGREEMENT


def test_int8_dynamic_ptl_runs_in_the_lite_interpreter(tiny, tmp_path):
    ctx, art = _build(tiny, tmp_path, "ptl", {"kind": "quantize", "mode": "int8-dynamic"})
    fp32 = _float_artifact(tiny, tmp_path, "ptl")
    assert art.size_bytes < 0.6 * fp32.size_bytes
    assert _agreement(tiny, art, ctx)[0] >= AGREEMENT


@pytest.mark.parametrize("fmt", ["pte", "onnx"])
def test_fp16_halves_the_artifact(tiny, tmp_path, fmt):
    ctx, art = _build(tiny, tmp_path, fmt, {"kind": "quantize", "mode": "fp16"})
    fp32 = _float_artifact(tiny, tmp_path, fmt)
    # fp16 halves the weights; on a model this small, Cast nodes and graph metadata (which
    # holds source paths, so its size varies by machine) add a few kB on top.
    assert art.size_bytes / fp32.size_bytes <= 0.65
    agreement, max_diff = _agreement(tiny, art, ctx)
    assert agreement >= 0.99 and max_diff < 0.05


def test_int8_weight_only_eager_agrees(tiny, tmp_path):
    model, dataset = tiny
    ctx = h.make_context(
        model,
        h.variant("w", "eager", {"kind": "quantize", "mode": "int8-weight-only"}),
        tmp_path,
        data=dataset,
        eval_samples=EVAL,
    )
    h.run_steps(ctx)
    x, _ = ctx.eval_tensors()
    ref, out = h.outputs(model.module, x), h.outputs(ctx.module, x)
    assert float((out.argmax(1) == ref.argmax(1)).float().mean()) >= AGREEMENT


def test_cancel_stops_calibration(tiny, tmp_path):
    token = CancelToken()
    seen = []

    def on_event(e):
        if e.kind == "progress" and e.stage == "calibrate":
            seen.append(e.fraction)
            if len(seen) == 3:
                token.cancel()

    with pytest.raises(Cancelled):
        _build(tiny, tmp_path, "pte", {"kind": "quantize"}, reporter=Reporter(on_event, token))
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("fmt", "options", "words"),
    [
        ("ptl", {"mode": "int8-static"}, ["int8-static", "'ptl'", "int8-dynamic, fp16"]),
        ("onnx", {"mode": "int8-weight-only"}, ["int8-weight-only", "'onnx'", "int8-static"]),
        ("pte", {"mode": "fp16", "keep_fp32": ["fc1"]}, ["keep_fp32", "int8-static"]),
        ("pte", {"mode": "int8-dynamic", "sensitivity": True}, ["sensitivity"]),
    ],
)
def test_unsupported_combinations_are_rejected_up_front(fmt, options, words):
    v = h.variant(
        "bad", fmt, {"kind": "quantize", **options}, convert="trace" if fmt == "ptl" else "export"
    )
    with pytest.raises(RecipeError) as e:
        Quantize.check(v, 0, v.steps[0].options)
    text = str(e.value)
    for w in words:
        assert w in text


def test_recipe_rejects_bad_quantize_steps():
    base = {"name": "r", "model": {"source": "builtin:digits-cnn"}}
    with pytest.raises(RecipeError, match="allowed values: int8-static"):
        parse_recipe(
            {
                **base,
                "variant": [
                    {"name": "a", "format": "pte", "steps": [{"kind": "quantize", "mode": "int4"}]}
                ],
            }
        )
    with pytest.raises(RecipeError, match="quantize must come after prune"):
        parse_recipe(
            {
                **base,
                "variant": [
                    {
                        "name": "a",
                        "format": "pte",
                        "steps": [
                            {"kind": "quantize"},
                            {"kind": "prune", "method": "structured-l1"},
                        ],
                    }
                ],
            }
        )
    with pytest.raises(RecipeError, match="unknown option 'bits'"):
        parse_recipe(
            {
                **base,
                "variant": [
                    {"name": "a", "format": "pte", "steps": [{"kind": "quantize", "bits": 4}]}
                ],
            }
        )


def test_unknown_keep_fp32_layer_names_real_layers(tiny, tmp_path):
    with pytest.raises(RecipeError) as e:
        _build(tiny, tmp_path, "pte", {"kind": "quantize", "keep_fp32": ["classifier"]})
    assert "'classifier'" in str(e.value) and "'fc1'" in str(e.value)
