"""``tune`` on a tiny trained model and a tiny search space: every combination is built and
measured through the engine, and report.json/html get the Pareto front and the fastest
variant within the accuracy budget."""

from __future__ import annotations

import json

import pytest

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.gates import failed_variants
from deploy_studio.core.pareto import accuracy_drop, dominates
from deploy_studio.core.tune import search_space, tune
from tests.support.models import TINY_DIGITS_SHAPE
from tests.support.pipeline import tiny_digits_model
from tests.support.recipes import recipe as make_recipe
from tests.support.recipes import variant


@pytest.fixture(scope="module")
def recipe():
    """The trained tiny digits CNN (tests/support) with two variants tune starts from."""
    return make_recipe(
        tiny_digits_model(),
        [variant("a", "pte"), variant("b", "onnx")],
        name="tiny tune",
        data={"calibration_samples": 32, "eval_samples": 200},
        benchmark={"warmup": 3, "runs": 15},
    )


def test_search_space_is_bounded_and_skips_unsupported(recipe):
    names = [v.name for v in search_space(recipe)]
    assert names[0] == "original-eager" and len(names) == len(set(names)) <= 40
    assert "pte-int8-static-pruned50" in names and "onnx-fp16" in names
    ptl = [v.name for v in search_space(recipe, formats=["ptl"])]
    assert "ptl-int8-static" not in ptl and "ptl-int8-dynamic" in ptl
    pruned = next(v for v in search_space(recipe) if v.name == "pte-fp32-pruned30")
    assert pruned.steps[0].options["finetune_epochs"] == 1
    with pytest.raises(RecipeError, match="searches formats"):
        search_space(recipe, formats=["coreml"])


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_tune_writes_pareto_and_recommendation(recipe, tmp_path):
    report = tune(
        recipe,
        tmp_path,
        max_accuracy_drop=0.02,
        formats=["pte", "onnx"],
        modes=[None, "int8-static"],
        amounts=[0.0, 0.5],
        isolate=False,
    )

    rows = {r["name"]: r for r in report["variants"]}
    stage1 = report["tune"]["stages"][0]
    space = {
        "original-eager",
        "pte-fp32",
        "pte-int8-static",
        "pte-fp32-pruned50",
        "pte-int8-static-pruned50",
        "onnx-fp32",
        "onnx-int8-static",
        "onnx-fp32-pruned50",
        "onnx-int8-static-pruned50",
    }
    # every candidate was built, or not built for a stated reason (its prefix missed the
    # budget); keep_fp32 follow-ups come on top
    assert space <= set(rows) | set(stage1["dropped"])
    assert set(rows) - space == set(report["tune"]["keep_fp32"])
    assert not [n for n, r in rows.items() if r["error"]]
    # optimizations had real effects in the measurements
    assert rows["pte-int8-static"]["size_bytes"] < 0.5 * rows["pte-fp32"]["size_bytes"]
    assert rows["pte-fp32-pruned50"]["params"] < 0.6 * rows["pte-fp32"]["params"]

    front = report["pareto"]
    assert front and set(front) <= set(rows)
    assert set(front) <= set(stage1["kept"])  # the front is over the fully measured survivors
    for name in front:  # nothing on the front is dominated
        assert not any(
            dominates(o, rows[name], ["latency", "size", "accuracy"])
            for o in rows.values()
            if o["name"] != name and o["name"] in stage1["kept"]
        )
    baseline = report["baseline"]["accuracy"]
    best = report["recommended"]
    assert best in rows and accuracy_drop(rows[best], baseline) <= 0.02
    failed = failed_variants(report["gates"])
    within = [
        r
        for r in rows.values()
        if accuracy_drop(r, baseline) <= 0.02
        and r["name"] not in failed
        and r["name"] in stage1["kept"]  # the recommendation comes from the full measurements
    ]
    assert rows[best]["latency_ms"]["p50"] == min(r["latency_ms"]["p50"] for r in within)

    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["pareto"] == front and saved["recommended"] == best
    assert saved["tune"]["max_accuracy_drop"] == 0.02 and saved["tune"]["basis"] == "accuracy"
    html = (tmp_path / "report.html").read_text()
    assert "Pareto front" in html and best in html


def test_tune_on_random_data_recommends_nothing_and_says_why(recipe, tmp_path):
    """The issue's case: on random inputs a broken pruned int8 model looked "fastest within the
    accuracy budget". Without labels and without real inputs nothing can be vouched for."""
    rnd = recipe.copy()
    rnd.data.source = "random"
    report = tune(
        rnd, tmp_path, formats=["onnx"], modes=[None, "int8-dynamic"], amounts=[0.0], isolate=False
    )
    assert report["recommended"] is None and report["tune"]["basis"] is None
    assert (
        "no variant is recommended" in report["tune"]["note"] and "random" in report["tune"]["note"]
    )
    assert report["tune"]["max_accuracy_drop"] is None  # never claims an accuracy budget
    html = (tmp_path / "report.html").read_text()
    assert "No variant is recommended" in html or "no variant is recommended" in html
    assert "Recommended: <b>none</b>" in html


def test_tune_on_unlabelled_real_images_uses_a_fidelity_budget(recipe, tmp_path):
    from PIL import Image

    from deploy_studio.core.data.datasets import load_dataset
    from deploy_studio.core.data.preprocess import Preprocess

    digits = load_dataset("builtin:digits", Preprocess.for_input_shape(TINY_DIGITS_SHAPE))
    folder = tmp_path / "unlabelled"
    folder.mkdir()
    for i in range(120):  # real digits, no class folders: no labels
        Image.fromarray(digits.images[i][:, :, 0], mode="L").save(folder / f"{i:03d}.png")
    real = recipe.copy()
    real.data.source = f"imagefolder:{folder}"
    real.data.eval_samples = 60
    report = tune(
        real,
        tmp_path / "out",
        formats=["onnx"],
        modes=[None, "int8-static"],
        amounts=[0.0],
        isolate=False,
    )
    assert report["dataset"]["labelled"] is False and report["baseline"]["accuracy"] is None
    assert report["tune"]["basis"] == "fidelity" and report["tune"]["min_top1_agreement"] == 0.99
    assert report["tune"]["max_accuracy_drop"] is None
    assert "no labels, so there is no accuracy budget" in report["tune"]["note"]
    best = next(r for r in report["variants"] if r["name"] == report["recommended"])
    assert best["parity"]["top1_agreement"] >= 0.99


def test_negative_budget_is_rejected(recipe, tmp_path):
    with pytest.raises(RecipeError, match="max-accuracy-drop"):
        tune(recipe, tmp_path, max_accuracy_drop=-0.1)


@pytest.mark.slow
def test_cli_tune_default_space(recipe, tmp_path):
    from tests.conftest import run_cli

    path = recipe.save(tmp_path / "tiny.toml")
    out = tmp_path / "out"
    proc = run_cli("tune", str(path), "--out", str(out), "--max-accuracy-drop", "0.02", timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text())
    assert report["recommended"] in report["pareto"]  # the fastest within budget is never dominated
    assert f"recommended: {report['recommended']}" in proc.stdout
    assert report["tune"]["variants"] == len(report["variants"]) >= 10
    assert report["tune"]["space"] >= 30  # amounts 0/0.3/0.5/0.7 x 4 modes x pte, onnx
    assert "stage 1 (warmup 2, runs 5): measured" in proc.stdout
    assert "tune wall time:" in proc.stdout
