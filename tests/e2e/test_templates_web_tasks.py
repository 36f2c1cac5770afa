"""The Web page serves every task: segmentation, detection, token models (issue 11).

Each test runs a real recipe (``run_recipe`` with ``[export] templates = ["web"]``), serves
the generated project, runs it in headless Chromium and checks the page's self-test against
the desktop's outputs: pixel agreement with the desktop's mask, matched-box agreement with
``core.tasks.detection.postprocess``'s detections, per-output max |diff| and cosine of a
token model's outputs (int64 ids as BigInt64Array, a bool mask).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from deploy_studio.core.engine import run_recipe
from tests.e2e.test_templates_web import _open_in_chromium
from tests.support.models import MODELS_PY
from tests.support.recipes import recipe, variant

SMALL = {"calibration_samples": 8, "eval_samples": 8}
FAST = {"warmup": 1, "runs": 2}


def _web_app(tmp_path, model: dict, data: dict, name: str):
    r = recipe(
        model,
        [variant("o", "onnx")],
        name=name,
        data={**data, **SMALL},
        benchmark=FAST,
        export={"templates": ["web"], "app_name": f"{name} app"},
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    (app,) = report["templates"]
    assert app.get("error") is None, app
    project = tmp_path / "out" / app["path"]
    expected = json.loads((project / "assets" / "expected.json").read_text("utf-8"))
    page = _open_in_chromium(project, tmp_path / "page.png")
    assert page["consoleErrors"] == []
    assert "error" not in page["result"], page["result"]
    return project, expected, page["result"], page


def _seg_model_and_data(tmp_path) -> tuple[dict, dict]:
    """TinySeg and an npz of 20 noise images with 3-class threshold masks."""
    rng = np.random.default_rng(0)
    images = np.clip(rng.standard_normal((20, 1, 28, 28)), -1, 3).astype(np.float32)
    masks = np.where(images > 1.5, 2, np.where(images > 0.2, 1, 0)).astype(np.int64)[:, 0]
    np.savez(tmp_path / "seg.npz", image=images, masks=masks)
    model = {
        "source": f"{MODELS_PY}:TinySeg",
        "inputs": [{"name": "image", "shape": [1, 1, 28, 28]}],
    }
    return model, {"source": f"npz:{tmp_path / 'seg.npz'}"}


def test_web_segmentation_page_draws_the_desktops_mask(tmp_path):
    model, data = _seg_model_and_data(tmp_path)
    _, expected, result, page = _web_app(tmp_path, model, data, "seg")
    assert expected["task"] == "segmentation" and len(expected["mask"]["data"]) == 28 * 28
    assert result["kind"] == "segmentation"
    assert result["agreement"] == pytest.approx(1.0, abs=1e-3)
    assert result["selftest"] == "passed"
    assert result["mask_classes"] == sorted(set(expected["mask"]["data"]))
    assert result["max_diff"] < 1e-3
    assert len(page["top3"]) == len(result["mask_classes"])  # the legend
    assert (tmp_path / "page.png").stat().st_size > 10_000


def test_large_raw_outputs_are_not_shipped_and_the_mask_still_self_tests(tmp_path, monkeypatch):
    """A segmentation output above MAX_SHIPPED_VALUES is written without its values (the mask
    is what the self-test compares); the page still passes its self-test on the mask."""
    from deploy_studio.core import apps

    monkeypatch.setattr(apps, "MAX_SHIPPED_VALUES", 100)
    model, data = _seg_model_and_data(tmp_path)
    _, expected, result, _page = _web_app(tmp_path, model, data, "seg")
    (out,) = expected["outputs"]
    assert out["data"] == [] and out["shape"][-2:] == [28, 28] and "self-test" in out["omitted"]
    assert len(expected["mask"]["data"]) == 28 * 28
    assert result["selftest"] == "passed" and result["agreement"] == pytest.approx(1.0, abs=1e-3)
    assert result["outputs"][0]["omitted"] and result["outputs"][0]["max_diff"] is None


def test_web_detection_page_postprocesses_like_the_desktop(tmp_path):
    rng = np.random.default_rng(2)
    n = 16
    images = np.zeros((n, 1, 32, 32), np.float32)
    boxes = -np.ones((n, 3, 4), np.float32)
    labels = -np.ones((n, 3), np.int64)
    for i in range(n):
        for k, cell in enumerate(rng.choice(16, rng.integers(2, 4), replace=False)):
            y, x = divmod(int(cell), 4)
            images[i, 0, y * 8 : y * 8 + 8, x * 8 : x * 8 + 8] = 1.0
            boxes[i, k] = [x * 8, y * 8, x * 8 + 8, y * 8 + 8]
            labels[i, k] = 1
    np.savez(tmp_path / "det.npz", image=images, boxes=boxes, box_labels=labels)
    model = {
        "source": f"{MODELS_PY}:TinyDetector",
        "inputs": [{"name": "image", "shape": [1, 1, 32, 32]}],
        "postprocess": {
            "score_threshold": 0.5,
            "iou_threshold": 0.5,
            "max_detections": 8,
            "topk_candidates": 5,
        },
    }
    project, expected, result, page = _web_app(
        tmp_path, model, {"source": f"npz:{tmp_path / 'det.npz'}"}, "det"
    )
    postprocess_js = (project / "postprocess.js").read_text("utf-8")
    assert "best 5 per class" in postprocess_js and "per-class NMS (IoU > 0.5)" in postprocess_js
    want = expected["detections"]
    assert len(want) >= 2
    got = result["detections"]
    assert result["agreement"] == 1.0 and result["selftest"] == "passed"
    assert [d["label"] for d in got] == [d["label"] for d in want]
    assert np.allclose([d["box"] for d in got], [d["box"] for d in want], atol=1e-3)
    assert np.allclose([d["score"] for d in got], [d["score"] for d in want], atol=1e-4)
    assert len(page["top3"]) == len(want)


def test_web_token_page_feeds_int64_ids_and_a_bool_mask(tmp_path):
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 50, (20, 8)).astype(np.int64)
    mask = np.ones((20, 8), bool)
    mask[:, 6:] = False
    np.savez(tmp_path / "tok.npz", tokens=tokens, mask=mask)
    model = {
        "source": f"{MODELS_PY}:TokenConv",
        "inputs": [
            {"name": "tokens", "shape": [1, 8], "dtype": "int64", "range": [0, 49]},
            {"name": "mask", "shape": [1, 8], "dtype": "bool"},
        ],
        "task": "generic",
    }
    project, expected, result, _ = _web_app(
        tmp_path, model, {"source": f"npz:{tmp_path / 'tok.npz'}"}, "tok"
    )
    sample = json.loads((project / "assets" / "sample_inputs.json").read_text("utf-8"))
    assert [(i["name"], i["dtype"]) for i in sample["inputs"]] == [
        ("tokens", "int64"),
        ("mask", "bool"),
    ]
    assert result["kind"] == "tensors" and result["selftest"] == "passed"
    (out,) = result["outputs"]
    assert out["shape"] == [1, 4] and out["cosine"] > 0.9999
    assert out["max_diff"] < 1e-4
    assert out["first"] == pytest.approx(expected["outputs"][0]["data"], abs=1e-4)
