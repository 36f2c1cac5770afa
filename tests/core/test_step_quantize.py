"""The quantize step on a tiny trained CNN, built and measured by the real pipeline: each mode's
artifact runs in its real runtime, is smaller than float, and agrees with the float model;
bad combinations are rejected before any work.

The tests read what a run reports (the variant's row: size, parity with the original model,
notes, step data) and the artifact files, never the quantizer's internals."""

from __future__ import annotations

import onnx
import pytest
import torch

from deploy_studio.core.errors import Cancelled, RecipeError
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.recipe import parse_recipe
from tests.support.pipeline import Pipeline, steps_recipe
from tests.support.recipes import variant

AGREEMENT = 0.95  # top-1 agreement of a quantized artifact with the float model
EVAL = 150  # held-out samples compared


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # deterministic and fast on a busy 2-core machine
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline()


def _recipe(fmt, *steps, name=None, data="builtin:digits"):
    name = name or f"v-{fmt}"
    convert = "trace" if fmt == "ptl" else "export"
    return steps_recipe(
        variant(name, fmt, *steps, convert=convert),
        data=data,
        calibration_samples=64,
        eval_samples=EVAL,
    ), name


def _measure(pipeline, tmp_path, fmt, *steps, reporter=None):
    """The variant's report row (built and measured as a run does)."""
    recipe, name = _recipe(fmt, *steps)
    row = pipeline.measure(recipe, name, tmp_path, reporter)
    assert row.error is None
    return row


@pytest.fixture(scope="module")
def float_row(pipeline, tmp_path_factory):
    """The unquantized variant's row in a format (built once per format)."""
    rows: dict = {}

    def get(fmt):
        if fmt not in rows:
            rows[fmt] = _measure(pipeline, tmp_path_factory.mktemp(f"float-{fmt}"), fmt)
        return rows[fmt]

    return get


def _onnx_graph(tmp_path, row):
    return onnx.load(str(tmp_path / row.artifact)).graph


def test_int8_static_pte_is_smaller_and_agrees(pipeline, tmp_path, float_row):
    row = _measure(pipeline, tmp_path, "pte", {"kind": "quantize", "mode": "int8-static"})
    ratio = row.size_bytes / float_row("pte").size_bytes
    assert ratio <= 0.45, f"int8 pte is {ratio:.2f}x the float pte"
    assert row.parity.samples == EVAL  # run in ExecuTorch on every held-out sample
    assert row.parity.top1_agreement >= AGREEMENT
    assert any("calibrated on 64 real samples" in n for n in row.notes)


def test_int8_static_onnx_uses_qdq_and_agrees(pipeline, tmp_path, float_row):
    row = _measure(pipeline, tmp_path, "onnx", {"kind": "quantize", "mode": "int8-static"})
    ops = {n.op_type for n in _onnx_graph(tmp_path, row).node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    assert row.size_bytes / float_row("onnx").size_bytes <= 0.45
    assert row.parity.top1_agreement >= AGREEMENT


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_keep_fp32_leaves_the_named_layer_float(pipeline, tmp_path, float_row):
    keep = {"kind": "quantize", "mode": "int8-static", "keep_fp32": ["fc1"]}
    kept = _measure(pipeline, tmp_path / "keep", "pte", keep)
    full = _measure(pipeline, tmp_path / "full", "pte", {"kind": "quantize", "mode": "int8-static"})
    fc1 = pipeline.session(_recipe("pte")[0]).model.module.fc1.weight.numel()
    # fc1 (the biggest layer) kept its float weights: 4 bytes each instead of 1
    assert kept.size_bytes - full.size_bytes >= 0.8 * 3 * fc1
    assert kept.size_bytes < float_row("pte").size_bytes  # the other layers are int8
    assert kept.parity.top1_agreement >= AGREEMENT

    # the same option on ONNX excludes the layer's nodes from QDQ
    onnx_row = _measure(pipeline, tmp_path / "o", "onnx", keep)
    graph = _onnx_graph(tmp_path / "o", onnx_row)
    producers = {o: n for n in graph.node for o in n.output}
    gemms = [n for n in graph.node if n.op_type in ("Gemm", "MatMul")]
    weight_is_int8 = [
        producers.get(n.input[1]) is not None
        and producers[n.input[1]].op_type == "DequantizeLinear"
        for n in gemms
    ]
    assert weight_is_int8.count(False) == 1 and weight_is_int8.count(True) == len(gemms) - 1


def test_sensitivity_table_lists_every_layer(pipeline, tmp_path):
    row = _measure(
        pipeline, tmp_path, "pte", {"kind": "quantize", "mode": "int8-static", "sensitivity": True}
    )
    rows = row.step_data["quantize"]["sensitivity"]  # what report.json and the window show
    assert {r["layer"] for r in rows} == {"conv1", "conv2", "fc1", "fc2"}
    for r in rows:
        assert set(r) >= {"layer", "accuracy", "accuracy_drop", "max_abs_diff", "top1_agreement"}
        assert 0 <= r["accuracy"] <= 1
        assert r["max_abs_diff"] > 1e-4  # the layer really was quantized (incl. conv + ReLU module)
    drops = [r["accuracy_drop"] for r in rows]
    assert drops == sorted(drops, reverse=True)


def test_random_data_is_said(pipeline, tmp_path):
    recipe = steps_recipe(
        variant("r", "pte", {"kind": "quantize"}),
        data="random",
        calibration_samples=16,
        eval_samples=8,
    )
    row = pipeline.measure(recipe, "r", tmp_path)
    assert row.error is None and any("random data" in n for n in row.notes)


@pytest.mark.parametrize("fmt", ["pte", "onnx"])
def test_int8_dynamic_shrinks_linear_weights(pipeline, tmp_path, float_row, fmt):
    row = _measure(pipeline, tmp_path, fmt, {"kind": "quantize", "mode": "int8-dynamic"})
    assert row.size_bytes / float_row(fmt).size_bytes <= 0.5  # Linear layers: ~90% of weights
    assert row.parity.top1_agreement >= AGREEMENT


def test_int8_dynamic_ptl_runs_in_the_lite_interpreter(pipeline, tmp_path, float_row):
    row = _measure(pipeline, tmp_path, "ptl", {"kind": "quantize", "mode": "int8-dynamic"})
    assert row.parity.samples == EVAL  # run in the lite interpreter on every held-out sample
    assert row.size_bytes < 0.6 * float_row("ptl").size_bytes
    assert row.parity.top1_agreement >= AGREEMENT


@pytest.mark.parametrize("fmt", ["pte", "onnx"])
def test_fp16_halves_the_artifact(pipeline, tmp_path, float_row, fmt):
    row = _measure(pipeline, tmp_path, fmt, {"kind": "quantize", "mode": "fp16"})
    # fp16 halves the weights; on a model this small, Cast nodes and graph metadata (which
    # holds source paths, so its size varies by machine) add a few kB on top.
    assert row.size_bytes / float_row(fmt).size_bytes <= 0.65
    assert row.parity.top1_agreement >= 0.99 and row.parity.max_abs_diff < 0.05


def test_int8_weight_only_eager_agrees(pipeline, tmp_path):
    row = _measure(pipeline, tmp_path, "eager", {"kind": "quantize", "mode": "int8-weight-only"})
    assert row.parity.samples == EVAL
    assert row.parity.top1_agreement >= AGREEMENT


def test_cancel_stops_calibration(pipeline, tmp_path):
    token = CancelToken()
    seen = []

    def on_event(e):
        if e.kind == "progress" and e.stage == "calibrate":
            seen.append(e.fraction)
            if len(seen) == 3:
                token.cancel()

    recipe, name = _recipe("pte", {"kind": "quantize"})
    with pytest.raises(Cancelled):
        pipeline.build(recipe, name, tmp_path, Reporter(on_event, token))
    assert len(seen) == 3
    assert not list(tmp_path.glob("*.pte"))


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
    """The recipe is refused when it is read, before any model is loaded."""
    convert = "trace" if fmt == "ptl" else "export"
    with pytest.raises(RecipeError) as e:
        parse_recipe(
            {
                "name": "r",
                "model": {"source": "builtin:digits-cnn"},
                "variant": [variant("bad", fmt, {"kind": "quantize", **options}, convert=convert)],
            }
        )
    text = str(e.value)
    for w in words:
        assert w in text


def test_recipe_rejects_bad_quantize_steps():
    base = {"name": "r", "model": {"source": "builtin:digits-cnn"}}

    def recipe_with(*steps):
        return {**base, "variant": [variant("a", "pte", *steps)]}

    with pytest.raises(RecipeError, match="allowed values: int8-static"):
        parse_recipe(recipe_with({"kind": "quantize", "mode": "int4"}))
    with pytest.raises(RecipeError, match="quantize must come after prune"):
        parse_recipe(
            recipe_with({"kind": "quantize"}, {"kind": "prune", "method": "structured-l1"})
        )
    with pytest.raises(RecipeError, match="unknown option 'bits'"):
        parse_recipe(recipe_with({"kind": "quantize", "bits": 4}))


def test_unknown_keep_fp32_layer_names_real_layers(pipeline, tmp_path):
    recipe, name = _recipe("pte", {"kind": "quantize", "keep_fp32": ["classifier"]})
    with pytest.raises(RecipeError) as e:
        pipeline.build(recipe, name, tmp_path)
    assert "'classifier'" in str(e.value) and "'fc1'" in str(e.value)
