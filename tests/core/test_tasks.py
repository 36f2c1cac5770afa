"""Tasks: each has its metric on labelled data and its fidelity against the original model.

Unit figures on hand-made outputs (top-1/top-5, mean IoU and pixel accuracy, MAE/RMSE, the
guess from output shapes), then runs: a segmentation model on npz masks and a regression model
on npz targets through pte, onnx and ptl (fp32 and int8), each artifact run in its own runtime
and scored by its task; ``max_metric_drop`` judges the task's metric.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from deploy_studio.core.cli import main as cli
from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import DataError, RecipeError
from deploy_studio.core.recipe import parse_recipe
from deploy_studio.core.tasks import Targets, guess_task, make_task
from tests.conftest import run_cli
from tests.support.models import MODELS_PY
from tests.support.recipes import recipe, recipe_dict, variant

INT8 = {"kind": "quantize", "mode": "int8-static"}
SMALL = {"calibration_samples": 16, "eval_samples": 16}
FAST = {"warmup": 1, "runs": 2}
FORMATS = [
    variant("e", "eager"),
    variant("p", "pte"),
    variant("o", "onnx"),
    variant("l", "ptl", convert="trace"),
    variant("p8", "pte", INT8),
    variant("o8", "onnx", INT8),
]


# --- metrics on hand-made outputs -------------------------------------------------------------


def test_classification_scores_top1_top5_and_agreement():
    task = make_task("classification")
    logits = np.tile(np.arange(10, dtype=np.float32), (4, 1))  # best: 9, then 8, 7, 6, 5
    s = task.score([logits], Targets(labels=np.array([9, 8, 5, 0])))
    assert s.metrics == {"top1": 0.25, "top5": 0.75}
    assert task.agreement([logits], [logits[:, ::-1]]) == 0.0
    assert task.agreement([logits], [logits + 1]) == 1.0


def test_segmentation_scores_mean_iou_pixel_accuracy_and_pixel_agreement():
    task = make_task("segmentation")
    truth = np.zeros((1, 2, 2), np.int64)
    truth[0, 0, 0] = 1  # one pixel of class 1
    logits = np.zeros((1, 2, 2, 2), np.float32)
    logits[0, 0] = 1.0  # predicts class 0 everywhere
    s = task.score([logits], Targets(masks=truth))
    assert s.metrics["pixel_accuracy"] == 0.75
    assert s.metrics["miou"] == pytest.approx((3 / 4 + 0 / 1) / 2)  # class 0: 3/4, class 1: 0/1
    perfect = np.stack([1 - truth, truth], 1).astype(np.float32)
    assert task.score([perfect], Targets(masks=truth)).metrics == {
        "miou": 1.0,
        "pixel_accuracy": 1.0,
    }
    ignored = truth.copy()
    ignored[0, 0, 0] = 255  # not scored
    assert task.score([logits], Targets(masks=ignored)).metrics["pixel_accuracy"] == 1.0
    assert task.agreement([logits], [perfect]) == 0.75


def test_regression_scores_mae_and_rmse_lower_is_better():
    task = make_task("regression")
    s = task.score([np.array([[1.0], [2.0]])], Targets(values=np.array([1.0, 4.0])))
    assert s.metrics == {"mae": 1.0, "rmse": pytest.approx(np.sqrt(2.0))}
    assert task.metric.drop(1.0, 1.5) == 0.5  # an increase of the error is a drop
    assert make_task("segmentation").metric.drop(0.8, 0.75) == pytest.approx(0.05)


@pytest.mark.parametrize(
    "shapes,names,targets,task",
    [
        ([[1, 10]], ["output"], None, "classification"),
        ([[1, 1]], ["output"], None, "regression"),
        ([[1, 21, 64, 64]], ["out"], None, "segmentation"),
        ([[1, 10], [1, 32]], ["logits", "embedding"], None, "classification"),
        ([[1, 100, 4], [1, 100, 11]], ["boxes", "scores"], None, "detection"),
        ([[1, 5]], ["output"], Targets(values=np.zeros((3, 5))), "regression"),
        ([[1, 8, 8, 3]], ["output"], None, "generic"),
    ],
)
def test_the_task_is_guessed_from_the_outputs_and_the_data(shapes, names, targets, task):
    assert guess_task(shapes, names, 0, targets, image_size=[64, 64])[0] == task


def test_a_task_that_does_not_fit_the_outputs_is_refused():
    with pytest.raises(DataError, match=r"classification needs class logits \[N, classes\]"):
        make_task("classification").check([np.zeros((2, 3, 8, 8))], ["out"], None)
    with pytest.raises(DataError, match="segmentation needs per-pixel logits"):
        make_task("segmentation").check([np.zeros((2, 3))], ["output"], None)
    with pytest.raises(RecipeError, match="'segmentaton' is not a task"):
        parse_recipe(recipe_dict({"source": "builtin:digits-cnn", "task": "segmentaton"}))


# --- runs: every artifact in its own runtime, scored by its task ------------------------------


def _masks(images: np.ndarray) -> np.ndarray:
    """TinySeg's own rule as ground truth, with a few pixels changed so it is not perfect."""
    m = np.where(images > 1.5, 2, np.where(images > 0.2, 1, 0)).astype(np.int64)[:, 0]
    m[:, :3, :3] = 1
    return m


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_a_segmentation_model_is_scored_by_mean_iou_and_pixel_agreement(tmp_path):
    rng = np.random.default_rng(0)
    images = np.clip(rng.standard_normal((40, 1, 28, 28)), -1, 3).astype(np.float32)
    np.savez(tmp_path / "seg.npz", image=images, masks=_masks(images))
    model = {
        "source": f"{MODELS_PY}:TinySeg",
        "inputs": [{"name": "image", "shape": [1, 1, 28, 28]}],
    }
    r = recipe(
        model,
        FORMATS,
        name="seg",
        data={"source": f"npz:{tmp_path / 'seg.npz'}", **SMALL},
        benchmark=FAST,
        gates={"max_metric_drop": 0.05},
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    task = report["model"]["task"]
    assert (
        task["name"] == "segmentation" and task["guessed"] and task["why"] == "the data has masks"
    )
    assert report["baseline"]["metrics"]["miou"] > 0.5
    rows = {v["name"]: v for v in report["variants"]}
    assert all(v["error"] is None for v in rows.values()), {k: v["error"] for k, v in rows.items()}
    for name, row in rows.items():
        acc, par = row["accuracy"], row["parity"]
        assert acc["metric"] == "miou" and acc["top1"] is None
        assert set(acc["metrics"]) == {"miou", "pixel_accuracy"}
        assert par["agreement_kind"] == "pixel agreement" and par["top1_agreement"] is None
        floor = 0.97 if name.endswith("8") else 0.999
        assert par["agreement"] >= floor, (name, par)
        assert acc["metric_drop"] <= 0.05, (name, acc)
    assert any(n.startswith("calibrated on 16 real samples") for n in rows["p8"]["notes"])
    verdicts = [g for g in report["gates"] if g["gate"] == "max_metric_drop"]
    assert len(verdicts) == len(rows) and all(g["status"] == "passed" for g in verdicts)
    html = (tmp_path / "out" / "report.html").read_text()
    assert "mean IoU" in html


def test_a_regression_model_is_scored_by_mae(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((48, 8)).astype(np.float32)
    np.savez(tmp_path / "reg.npz", features=x, targets=x[:, :1] * 0.5)
    model = {
        "source": f"{MODELS_PY}:TinyRegressor",
        "inputs": [{"name": "features", "shape": [1, 8]}],
    }
    r = recipe(
        model,
        FORMATS[:3] + FORMATS[5:],
        name="reg",
        data={"source": f"npz:{tmp_path / 'reg.npz'}", **SMALL},
        benchmark=FAST,
        export={"templates": ["android", "web"]},
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    assert report["model"]["task"]["name"] == "regression"
    base = report["baseline"]["metrics"]
    assert base["mae"] > 0 and base["rmse"] >= base["mae"]
    for row in report["variants"]:
        assert row["error"] is None, row["error"]
        assert row["accuracy"]["metric"] == "mae"
        assert row["accuracy"]["value"] == pytest.approx(base["mae"], rel=0.05, abs=0.02)
        assert row["parity"]["cosine"] > 0.99 and "agreement" not in row["parity"]
    android, web = report["templates"]
    assert android.get("error") is None and android["path"] == "apps/android-executorch"
    assets = tmp_path / "out" / android["path"] / "app/src/main/assets"
    sample = json.loads((assets / "sample_inputs.json").read_text("utf-8"))
    assert [(i["name"], i["dtype"], i["shape"]) for i in sample["inputs"]] == [
        ("features", "float32", [1, 8])
    ]
    assert json.loads((assets / "expected.json").read_text("utf-8"))["task"] == "regression"
    assert web.get("error") is None and web["path"]  # the Web page serves any task


def test_an_embedding_task_is_judged_by_cosine_against_the_original(tmp_path):
    model = {
        "source": f"{MODELS_PY}:DictHeads",
        "input_shape": [1, 1, 28, 28],
        "output": "embedding",
        "task": "embedding",
    }
    r = recipe(
        model, FORMATS[1:3], name="emb", data={"source": "builtin:digits", **SMALL}, benchmark=FAST
    )
    report = run_recipe(r, tmp_path, isolate=False)
    assert report["model"]["task"]["name"] == "embedding" and not report["model"]["task"]["guessed"]
    assert report["baseline"]["metrics"] == {"cosine": 1.0}
    for row in report["variants"]:
        assert row["accuracy"]["metric"] == "cosine" and row["accuracy"]["value"] > 0.9999
        assert row["accuracy"]["metric_drop"] < 1e-4


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_inspect_shows_the_task_and_takes_an_override():
    out = run_cli("inspect", f"{MODELS_PY}:TinySeg", "--input", "image:1x1x28x28:float32")
    assert out.returncode == 0, out.stderr
    assert "task         segmentation (guessed: per-pixel output [1, 3, 28, 28])" in out.stdout
    out = run_cli(
        "inspect", f"{MODELS_PY}:TinyNet", "--input-shape", "1,1,28,28", "--task", "embedding"
    )
    assert "task         embedding ([model] task)" in out.stdout


def test_a_wrong_task_on_the_command_line_exits_2(tmp_path, capsys):
    path = tmp_path / "r.toml"
    from tests.support.recipes import write_recipe

    write_recipe(
        path, f"{MODELS_PY}:TinyNet", [variant("o", "onnx")], data={"source": "random", **SMALL}
    )
    code = cli(
        ["run", str(path), "--out", str(tmp_path / "o"), "--no-isolate", "--task", "segmentation"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "segmentation needs per-pixel logits" in err, err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_a_built_in_demo_brings_its_inputs_task_and_data():
    from deploy_studio.core.models import ModelSpec
    from deploy_studio.core.recipe_defaults import new_recipe_for

    out = run_cli("inspect", "builtin:digit-rows-lstm", "--json")
    assert out.returncode == 0, out.stderr
    import json

    summary = json.loads(out.stdout)
    assert summary["inputs"] == [
        {"name": "tokens", "shape": [1, 8], "dtype": "int64", "range": [0, 255]}
    ]
    assert summary["task"]["name"] == "classification" and not summary["task"]["guessed"]
    recipe = new_recipe_for(ModelSpec("builtin:digit-rows-lstm"), summary)
    assert recipe.data.source == "builtin:digit-rows"


def test_a_detector_is_scored_by_map_and_matched_boxes_after_its_declared_postprocess(tmp_path):
    rng = np.random.default_rng(2)
    n = 32
    images = np.zeros((n, 1, 32, 32), np.float32)
    boxes = -np.ones((n, 3, 4), np.float32)
    labels = -np.ones((n, 3), np.int64)
    for i in range(n):  # one to three bright cells per image, each a class-1 box
        for k, cell in enumerate(rng.choice(16, rng.integers(1, 4), replace=False)):
            y, x = divmod(int(cell), 4)
            images[i, 0, y * 8 : y * 8 + 8, x * 8 : x * 8 + 8] = 1.0
            boxes[i, k] = [x * 8, y * 8, x * 8 + 8, y * 8 + 8]
            labels[i, k] = 1
    np.savez(tmp_path / "det.npz", image=images, boxes=boxes, box_labels=labels)
    model = {
        "source": f"{MODELS_PY}:TinyDetector",
        "inputs": [{"name": "image", "shape": [1, 1, 32, 32]}],
        "postprocess": {"score_threshold": 0.5, "iou_threshold": 0.5, "max_detections": 8},
    }
    r = recipe(
        model,
        [variant("p", "pte"), variant("o", "onnx"), variant("o8", "onnx", INT8)],
        name="det",
        data={"source": f"npz:{tmp_path / 'det.npz'}", **SMALL},
        benchmark=FAST,
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    task = report["model"]["task"]
    assert task["name"] == "detection" and task["postprocess"]["score_threshold"] == 0.5
    assert report["baseline"]["metrics"]["map50"] > 0.9  # bright cells are found, boxes near
    for row in report["variants"]:
        assert row["error"] is None, row["error"]
        acc, par = row["accuracy"], row["parity"]
        assert acc["metric"] == "map50" and par["agreement_kind"] == "matched-box agreement"
        assert par["agreement"] >= (0.9 if row["name"] == "o8" else 0.999), par
        assert set(par["outputs"]) == {"boxes", "scores"}
