"""The prune step on a tiny trained CNN: structured-l1 really removes parameters and bytes
(and finetuning wins the accuracy back); l1-unstructured zeroes weights and says plainly that
the dense artifact is not smaller."""

from __future__ import annotations

import pytest
import torch

from deploy_studio.core.errors import Cancelled, RecipeError
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.recipe import parse_recipe
from deploy_studio.core.steps import _harness as h
from deploy_studio.core.training import accuracy


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny():
    return h.trained_tiny_model()


def _ctx(tiny, tmp_path, fmt, *steps, data=None, reporter=None):
    model, dataset = tiny
    return h.make_context(
        model,
        h.variant(f"p-{fmt}", fmt, *steps),
        tmp_path,
        data=data or dataset,
        calibration_samples=64,
        eval_samples=300,
        **({"reporter": reporter} if reporter else {}),
    )


def test_structured_l1_removes_params_and_bytes_and_finetune_recovers(tiny, tmp_path):
    model, _ = tiny
    events = []
    ctx = _ctx(
        tiny,
        tmp_path,
        "pte",
        {"kind": "prune", "method": "structured-l1", "amount": 0.5, "finetune_epochs": 6},
        reporter=Reporter(events.append),
    )
    h.run_steps(ctx)
    params = sum(p.numel() for p in ctx.module.parameters())
    assert params <= 0.6 * model.params
    assert (
        ctx.module.conv1.out_channels == 4 and ctx.module.fc2.out_features == 10
    )  # classifier kept

    x, y = ctx.eval_tensors()
    base = accuracy(model.module, x, y)
    # a 18k-param net cut to 0.26x its params: finetuning wins back all but a few points
    assert accuracy(ctx.module, x, y) >= base - 0.04
    info = ctx.state["prune"]
    assert info["params_after"] == params and info["accuracy_after"] >= info["accuracy_pruned"]
    history = ctx.state["prune"]["history"]
    assert [r["epoch"] for r in history] == [1, 2, 3, 4, 5, 6] and all(
        "eval_accuracy" in r for r in history
    )
    assert any(e.kind == "progress" and e.stage == "finetune" for e in events)

    pruned = h.write_artifact(ctx)
    dense = h.write_artifact(_ctx(tiny, tmp_path / "dense", "pte"))
    assert pruned.size_bytes <= 0.6 * dense.size_bytes
    out = h.outputs(h.runner(pruned), x[:50])
    assert float((out.argmax(1) == h.outputs(ctx.module, x[:50]).argmax(1)).float().mean()) >= 0.98


def test_l1_unstructured_zeroes_weights_but_says_the_artifact_is_not_smaller(tiny, tmp_path):
    model, _ = tiny
    ctx = _ctx(
        tiny, tmp_path, "onnx", {"kind": "prune", "method": "l1-unstructured", "amount": 0.5}
    )
    h.run_steps(ctx)
    info = ctx.state["prune"]
    assert 0.49 <= info["sparsity"] <= 0.51
    assert info["params_after"] == model.params
    assert info["compressed_weight_ratio"] < 0.8
    assert not any(
        n.endswith("weight_orig") for n, _ in ctx.module.named_parameters()
    )  # masks folded
    note = next(n for n in ctx.notes if n.startswith("l1-unstructured"))
    assert "not smaller" in note and "compressed size" in note

    sparse = h.write_artifact(ctx)
    dense = h.write_artifact(_ctx(tiny, tmp_path / "dense", "onnx"))
    assert abs(sparse.size_bytes - dense.size_bytes) <= 0.02 * dense.size_bytes
    x, _ = ctx.eval_tensors()
    agree = h.outputs(h.runner(sparse), x[:100]).argmax(1) == h.outputs(
        model.module, x[:100]
    ).argmax(1)
    assert float(agree.float().mean()) >= 0.85  # 50% of weights gone, no finetune


def test_prune_then_int8_static_runs_in_executorch(tiny, tmp_path):
    ctx = _ctx(
        tiny,
        tmp_path,
        "pte",
        {"kind": "prune", "method": "structured-l1", "amount": 0.5, "finetune_epochs": 2},
        {"kind": "quantize", "mode": "int8-static"},
    )
    h.run_steps(ctx)
    art = h.write_artifact(ctx)
    x, y = ctx.eval_tensors()
    out = h.outputs(h.runner(art), x[:100])
    assert float((out.argmax(1) == y[:100]).float().mean()) >= 0.85


def test_finetune_on_random_data_is_a_clear_error(tiny, tmp_path):
    ctx = _ctx(tiny, tmp_path, "pte", {"kind": "prune", "finetune_epochs": 1}, data="random")
    with pytest.raises(RecipeError, match="no labels") as e:
        h.run_steps(ctx)
    assert "finetune_epochs = 0" in e.value.hint


def test_cancel_stops_finetuning(tiny, tmp_path):
    token = CancelToken()

    def on_event(e):
        if e.kind == "progress" and e.stage == "finetune":
            token.cancel()

    ctx = _ctx(
        tiny,
        tmp_path,
        "pte",
        {"kind": "prune", "finetune_epochs": 5},
        reporter=Reporter(on_event, token),
    )
    with pytest.raises(Cancelled):
        h.run_steps(ctx)


def test_recipe_errors():
    base = {"name": "r", "model": {"source": "builtin:digits-cnn"}}

    def variant(*steps):
        return {**base, "variant": [{"name": "a", "format": "pte", "steps": list(steps)}]}

    with pytest.raises(RecipeError, match="allowed values: structured-l1, l1-unstructured"):
        parse_recipe(variant({"kind": "prune", "method": "random"}))
    with pytest.raises(RecipeError, match="amount must be > 0"):
        parse_recipe(variant({"kind": "prune", "amount": 0.0}))
    with pytest.raises(RecipeError, match="amount must be <= 0.95"):
        parse_recipe(variant({"kind": "prune", "amount": 1.0}))
    with pytest.raises(RecipeError, match="prune must come after distill"):
        parse_recipe(
            variant({"kind": "prune"}, {"kind": "distill", "student": "builtin:digits-cnn-small"})
        )
    with pytest.raises(RecipeError, match="finetune_epochs must be int"):
        parse_recipe(variant({"kind": "prune", "finetune_epochs": 1.5}))


def test_identical_prune_steps_are_reused_not_redone(tiny, tmp_path):
    step = {"kind": "prune", "method": "structured-l1", "amount": 0.3, "finetune_epochs": 1}
    first = _ctx(tiny, tmp_path, "pte", step)
    h.run_steps(first)
    events = []
    second = _ctx(
        tiny, tmp_path, "onnx", step, {"kind": "quantize"}, reporter=Reporter(events.append)
    )
    h.run_steps(second)
    assert any("reused" in e.message for e in events if e.kind == "progress")
    assert second.state["prune"] == first.state["prune"] and second.notes[0] == first.notes[0]
    assert second.module.fc1.weight.shape == first.module.fc1.weight.shape == torch.Size([44, 176])
