"""The wider ``tune`` search: successive halving, the prune prefix computed once for every
format, the keep_fp32 follow-up when int8 misses the budget, the time budget, and the
width-multiplier student of ``distill`` (issue 14)."""

from __future__ import annotations

import functools
import json
import tempfile
from pathlib import Path

import pytest

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.halving import halve
from deploy_studio.core.pareto import Budget, pareto_front
from deploy_studio.core.report.model import Accuracy, Latency, VariantResult
from deploy_studio.core.tune import search_space, tune
from tests.support.models import MODELS_PY, TINY_DIGITS_SHAPE
from tests.support.pipeline import tiny_digits_model
from tests.support.recipes import recipe as make_recipe
from tests.support.recipes import variant

DATA = {"calibration_samples": 32, "eval_samples": 200}
BENCH = {"warmup": 3, "runs": 15}


@pytest.fixture(scope="module")
def recipe():
    return make_recipe(
        tiny_digits_model(), [variant("a", "pte")], name="tiny search", data=DATA, benchmark=BENCH
    )


def _row(name: str, p50: float, size: int, top1: float) -> VariantResult:
    return VariantResult(
        name,
        "onnx",
        artifact=f"artifacts/{name}.onnx",
        size_bytes=size,
        runtime="onnxruntime",
        latency_ms=Latency(p10=p50, p50=p50, p90=p50, mean=p50, runs=5, threads=1, warmup=2),
        accuracy=Accuracy(top1=top1, samples=200),
    )


def test_halving_drops_a_dominated_candidate_and_keeps_the_front():
    rows = [
        _row("original-eager", 1.0, 1000, 0.95),
        _row("fast", 0.2, 300, 0.95),
        _row("slow-twin", 0.5, 300, 0.94),  # fast is as small, more accurate, 2.5x faster
        _row("close-twin", 0.21, 300, 0.95),  # within the 10% margin: not dropped on noise
        _row("small", 0.4, 100, 0.95),  # the smallest: on the front
        _row("broken", 0.1, 50, 0.60),  # fastest but far outside the budget
    ]
    budget = Budget("accuracy", 0.02, "")
    kept, dropped = halve(rows, 0.95, budget, keep=["original-eager"])
    assert set(dropped) == {"slow-twin", "broken"}
    assert dropped["slow-twin"].startswith("dominated by fast")
    assert "outside the accuracy budget" in dropped["broken"]
    front = pareto_front([r for r in rows if r.name != "broken"])
    assert set(front) <= set(kept) and {"fast", "small", "original-eager"} <= set(kept)
    # the same rows without a budget basis (random data): only domination drops
    kept, dropped = halve(rows, None, Budget(None, None, ""), keep=["original-eager"])
    assert set(dropped) == {"slow-twin"}


def test_search_space_is_wider_and_checks_amounts(recipe):
    names = [v.name for v in search_space(recipe, formats=["pte"])]
    assert "pte-fp32-pruned70" in names and "pte-int8-static-pruned70" in names
    assert (
        not [  # the numerical debugger runs only on a miss (tune_stages._diagnose)
            v.name
            for v in search_space(recipe, formats=["pte", "onnx"])
            for s in v.steps
            if s.kind == "quantize" and s.options.get("debug")
        ]
    )
    assert "pte-fp32-pruned80" in [v.name for v in search_space(recipe, amounts=[0.8])]
    with pytest.raises(RecipeError, match=r"between 0 and 0\.8"):
        search_space(recipe, amounts=[0.9])


def test_a_builtin_digits_model_gets_its_small_student():
    digits = make_recipe(
        {"source": "builtin:digits-cnn", "input_shape": [1, 1, 28, 28]},
        [variant("a", "onnx")],
    )
    space = search_space(digits, amounts=[0.0], modes=[None])
    distilled = [v for v in space if any(s.kind == "distill" for s in v.steps)]
    assert [v.name for v in distilled] == ["onnx-fp32-distilled"]
    assert distilled[0].steps[0].options["student"] == "builtin:digits-cnn-small"


def test_models_with_repeated_blocks_get_a_shallower_student_after_the_unpruned_group():
    resnet = make_recipe(
        {
            "source": "torchvision:resnet18",
            "input_shape": [1, 3, 64, 64],
            "init_args": {"num_classes": 10},
        },
        [variant("a", "onnx")],
    )
    space = search_space(resnet, amounts=[0.0, 0.5], modes=[None])
    assert [v.name for v in space] == [
        "original-eager",
        "onnx-fp32",
        "onnx-fp32-shallow50",  # cheap and, on small inputs, the fastest: before pruning
        "onnx-fp32-pruned50",  # (depth 0.25 cuts resnet18 as 0.5 does: not tried twice)
    ]
    (distill,) = space[2].steps
    assert distill.kind == "distill"
    assert distill.options["student"] == "torchvision:resnet18"
    assert distill.options["depth"] == 0.5 and distill.options["width"] == 1.0
    shufflenet = make_recipe(
        {"source": "torchvision:shufflenet_v2_x0_5", "input_shape": [1, 3, 64, 64]},
        [variant("a", "tflite")],
    )
    names = [v.name for v in search_space(shufflenet, amounts=[0.0], modes=[None])]
    assert names == [
        "original-eager",
        "tflite-fp32",
        "tflite-fp32-shallow50",
        "tflite-fp32-shallow25",
    ]
    assert search_space(resnet, amounts=[0.0], modes=[None], distill=False)[-1].name == "onnx-fp32"
    # no repeated shape-keeping blocks: no shallow group
    flat = search_space(
        make_recipe(tiny_digits_model(), [variant("a", "onnx")]), amounts=[0.0], modes=[None]
    )
    assert not any("-shallow" in v.name for v in flat)


def test_width_multiplier_students_of_torchvision_families():
    from deploy_studio.core.models.narrow import narrower, tune_student

    assert narrower("torchvision:mobilenet_v2", 0.5, {"num_classes": 10}) == (
        "torchvision:mobilenet_v2",
        {"num_classes": 10, "width_mult": 0.5},
    )
    assert narrower("torchvision:shufflenet_v2_x1_0", 0.5)[0] == "torchvision:shufflenet_v2_x0_5"
    assert narrower("torchvision:resnet50", 0.5)[1] == {"width_per_group": 32}
    assert tune_student("torchvision:mobilenet_v3_small", None) == (
        "torchvision:mobilenet_v3_small",
        0.5,
    )
    assert tune_student("torchvision:resnet18", None) is None  # BasicBlock has no width knob
    assert tune_student("torchvision:shufflenet_v2_x0_5", {"num_classes": 10}) is None  # narrowest
    assert tune_student("torchvision:shufflenet_v2_x1_0", None) == (
        "torchvision:shufflenet_v2_x1_0",
        0.5,
    )
    with pytest.raises(RecipeError, match="no width multiplier"):
        narrower("torchvision:resnet18", 0.5)


def test_distill_builds_a_narrower_torchvision_student():
    import torch
    import torchvision

    from deploy_studio.core.models import ModelSpec, load_model
    from deploy_studio.core.models.narrow import narrower

    source, args = narrower("torchvision:mobilenet_v2", 0.25, {"num_classes": 10})
    student = load_model(ModelSpec(source, input_shape=[1, 3, 64, 64], init_args=args))
    teacher = torchvision.models.mobilenet_v2(num_classes=10)
    n = sum(p.numel() for p in student.module.parameters())
    assert n < 0.5 * sum(p.numel() for p in teacher.parameters())
    assert student.module(torch.zeros(1, 3, 64, 64)).shape == (1, 10)


def test_the_suite_vit_gets_a_narrower_student():
    """benchmarks/suite_models.py:SmallViT names ``width`` in the suite's init_args, so tune
    searches a distilled half-width ViT."""
    import torch

    from deploy_studio.core.models import ModelSpec, load_model
    from deploy_studio.core.models.narrow import narrower, tune_student

    source = f"{Path(__file__).resolve().parents[2] / 'benchmarks' / 'suite_models.py'}:SmallViT"
    teacher_args = {"width": 1.0, "image_size": 64}
    assert tune_student(source, teacher_args) == (source, 0.5)
    student_source, args = narrower(source, 0.5, teacher_args)
    assert args == {"width": 0.5, "image_size": 64}
    shape = [1, 3, 64, 64]
    student = load_model(ModelSpec(student_source, input_shape=shape, init_args=args)).module
    teacher = load_model(ModelSpec(source, input_shape=shape, init_args=teacher_args)).module
    assert (
        student.hidden_dim == 64 and student.hidden_dim % student.encoder.layers[0].num_heads == 0
    )
    n = sum(p.numel() for p in student.parameters())
    assert n < 0.35 * sum(p.numel() for p in teacher.parameters())
    assert student(torch.zeros(*shape)).shape == (1, 10)


@pytest.mark.slow  # two tune runs' worth of builds
def test_the_pruned_prefix_is_computed_once_for_every_format(recipe, tmp_path):
    report = tune(
        recipe,
        tmp_path,
        max_accuracy_drop=0.5,  # nothing blocked: both formats get built
        formats=["pte", "onnx"],
        modes=[None],
        amounts=[0.3],
        distill=False,
        isolate=False,
        cache=False,
    )
    rows = {r["name"]: r for r in report["variants"]}
    prefix = {
        n: rows[n]["step_data"]["prefix"] for n in ("pte-fp32-pruned30", "onnx-fp32-pruned30")
    }
    assert [p["reused"] for p in prefix.values()] == [False, True]
    assert prefix["pte-fp32-pruned30"]["key"] == prefix["onnx-fp32-pruned30"]["key"]
    assert report["tune"]["prefix_cache"] == {"computed": 1, "reused": 1}
    pruned = [rows[n]["step_data"]["prune"] for n in prefix]
    assert pruned[0] == pruned[1]  # the same pruned, finetuned model in both artifacts
    assert rows["onnx-fp32-pruned30"]["params"] == rows["pte-fp32-pruned30"]["params"]
    stages = report["tune"]["stages"]
    assert [s["stage"] for s in stages] == [1, 2] and stages[0]["runs"] == 5
    assert stages[1]["runs"] == 15 and stages[0]["measured"] == len(rows)
    for name in stages[1]["kept"]:  # stage 2 measured the survivors with the full runs
        assert rows[name]["latency_ms"]["runs"] >= 15


@functools.cache
def _trained_one_sensitive_layer() -> Path:
    """OneSensitiveLayer trained on digits with fc2 frozen (its int8-ruining column stays)."""
    import torch

    from deploy_studio.core.data.datasets import load_dataset
    from deploy_studio.core.data.preprocess import Preprocess
    from deploy_studio.core.training import fit
    from tests.support.models import OneSensitiveLayer

    torch.manual_seed(0)
    module = OneSensitiveLayer()
    module.fc2.requires_grad_(False)
    dataset = load_dataset("builtin:digits", Preprocess.for_input_shape(TINY_DIGITS_SHAPE))
    train_idx, _ = dataset.split(32, 200)
    x, y = dataset.tensors(train_idx)
    fit(module, x, y, epochs=15, lr=3e-3, batch_size=64, seed=0)
    path = Path(tempfile.mkdtemp(prefix="ds-sensitive-")) / "sensitive.pth"
    torch.save(module.eval().state_dict(), path)
    return path


@pytest.mark.slow  # int8 builds with the numerical debugger
def test_int8_missing_the_budget_gets_a_keep_fp32_follow_up(tmp_path):
    sensitive = make_recipe(
        {
            "source": f"{MODELS_PY}:OneSensitiveLayer",
            "weights": str(_trained_one_sensitive_layer()),
            "input_shape": TINY_DIGITS_SHAPE,
        },
        [variant("a", "pte")],
        data=DATA,
        benchmark=BENCH,
    )
    report = tune(
        sensitive,
        tmp_path,
        max_accuracy_drop=0.03,
        formats=["pte"],
        modes=["int8-static"],
        amounts=[0.0],
        distill=False,
        isolate=False,
        cache=False,
    )
    rows = {r["name"]: r for r in report["variants"]}
    base = report["baseline"]["accuracy"]
    assert base > 0.8  # trained: the budget means something
    assert base - rows["pte-int8-static"]["accuracy"]["top1"] > 0.03  # fc2 ruined by int8
    assert report["tune"]["keep_fp32"] == {"pte-int8-static-keep-fc2": ["fc2"]}
    follow = rows["pte-int8-static-keep-fc2"]
    assert follow["steps"][0]["keep_fp32"] == ["fc2"]
    assert base - follow["accuracy"]["top1"] <= 0.03
    assert report["recommended"] in ("pte-int8-static-keep-fc2", "original-eager")
    dropped = report["tune"]["stages"][0]["dropped"]
    assert "outside the accuracy budget" in dropped["pte-int8-static"]


def test_a_zero_time_budget_stops_early_and_says_what_it_skipped(recipe, tmp_path):
    report = tune(
        recipe,
        tmp_path,
        formats=["onnx"],
        modes=[None, "int8-dynamic"],
        amounts=[0.0],
        distill=False,
        isolate=False,
        cache=False,
        time_budget=0,
    )
    assert [r["name"] for r in report["variants"]] == ["original-eager"]  # always measured
    skipped = report["tune"]["skipped"]
    assert set(skipped) == {"onnx-fp32", "onnx-int8-dynamic", "original-eager"}
    assert all("time budget" in why for why in skipped.values())
    assert report["tune"]["time_budget"] == 0 and report["tune"]["seconds"] >= 0
    saved = json.loads((tmp_path / "report.json").read_text())  # validated on write
    assert saved["tune"]["skipped"] == skipped
    html = (tmp_path / "report.html").read_text()
    assert "Skipped for the time budget" in html and "Stage 1" in html


def test_cli_rejects_a_negative_time_budget(recipe, tmp_path):
    from deploy_studio.core.cli import main

    path = recipe.save(tmp_path / "tiny.toml")
    assert main(["tune", str(path), "--out", str(tmp_path / "o"), "--time-budget", "-1"]) == 2
    assert main(["tune", str(path), "--out", str(tmp_path / "o"), "--prune-amounts", "x"]) == 2
    assert not (tmp_path / "o").exists()


def test_cancel_stops_the_search_and_writes_no_report(recipe, tmp_path):
    from deploy_studio.core.errors import Cancelled
    from deploy_studio.core.progress import CancelToken, Reporter

    token = CancelToken()
    events = []

    def on(event):
        events.append(event)
        if event.kind == "result":  # the original model is measured: cancel the search
            token.cancel()

    with pytest.raises(Cancelled):
        tune(
            recipe,
            tmp_path,
            formats=["onnx"],
            modes=[None, "int8-dynamic"],
            amounts=[0.0],
            distill=False,
            isolate=False,
            cache=False,
            reporter=Reporter(on, token),
        )
    assert [e.variant for e in events if e.kind == "result"] == ["original-eager"]
    assert any(e.kind == "progress" and e.stage == "overall" for e in events)
    assert not (tmp_path / "report.json").exists()
