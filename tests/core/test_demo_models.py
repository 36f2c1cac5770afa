"""The built-in demos on real data: their ``builtin:`` datasets (shapes, targets, held-out
split), their untrained architectures (output names and shapes), their spec defaults, and
(slow: each trains once per session, ~10-40 s on one thread) their held-out figures."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deploy_studio.core.data.builtin_sets import builtin_dataset_names, training_side
from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.models import demo_architectures as arch
from deploy_studio.core.models import demo_training
from deploy_studio.core.models.builtin import (
    DEMOS,
    builtin_names,
    builtin_preprocess,
    builtin_spec_defaults,
    builtin_trained_on,
    load_builtin,
)
from deploy_studio.core.models.signature import declared

DATA = {
    "breast-cancer-mlp": "breast-cancer",
    "digit-rows-lstm": "digit-rows",
    "digit-strokes-seg": "digit-strokes",
    "digit-scenes-ssd": "digit-scenes",
}


def _data(name: str):
    return demo_training.demo_data(name)


def test_every_demo_and_its_data_are_listed():
    for model, data in DATA.items():
        assert model in builtin_names()
        assert data in builtin_dataset_names()
        assert builtin_trained_on(model) == f"builtin:{data}"


def test_breast_cancer_is_standardised_on_the_training_side():
    ds, train, held = _data("breast-cancer")
    x = ds.arrays["features"]
    assert x.shape == (569, 30) and x.dtype == np.float32
    assert set(np.unique(ds.labels)) == {0, 1} and ds.classes == ["malignant", "benign"]
    np.testing.assert_allclose(x[train].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(x[train].std(0), 1, atol=1e-3)
    assert any(n.startswith("mean = ") for n in ds.notes)
    assert len(held) == 569 // 2 and not set(train) & set(held)


def test_digit_rows_are_binarised_rows():
    from sklearn.datasets import load_digits

    ds, _, _ = _data("digit-rows")
    tokens = ds.arrays["tokens"]
    assert tokens.shape == (1797, 8) and tokens.dtype == np.int64
    assert tokens.min() >= 0 and tokens.max() <= 255
    row = load_digits().images[0, 3]
    assert tokens[0, 3] == int("".join("1" if p > 7 else "0" for p in row), 2)
    assert ds.labels.shape == (1797,) and ds.classes == [str(i) for i in range(10)]


def test_digit_strokes_masks_label_the_strokes():
    ds, _train, held = _data("digit-strokes")
    assert ds.images.shape == (1797, 32, 32, 1) and ds.images.dtype == np.uint8
    assert ds.masks.shape == (1797, 32, 32) and ds.masks.dtype == np.int64
    assert len(ds.classes) == 11 and ds.classes[0] == "background"
    for i in range(20):
        present = set(np.unique(ds.masks[i])) - {0}
        assert present == {ds.labels[i] + 1}
    assert ds.targets(held).masks.shape == (len(held), 32, 32)
    x, _ = ds.tensors(held[:4])
    assert x.shape == (4, 1, 32, 32) and x.dtype == torch.float32


def test_digit_scenes_boxes_and_classes():
    ds, _train, held = _data("digit-scenes")
    assert ds.images.shape == (2000, 64, 64, 1) and ds.images.dtype == np.uint8
    assert len(ds.boxes) == len(ds.box_labels) == 2000
    assert ds.classes == ["background", *[str(i) for i in range(10)]]
    for b, k, img in zip(ds.boxes[:50], ds.box_labels[:50], ds.images[:50], strict=True):
        assert b.dtype == np.float32 and b.shape == (len(k), 4) and 1 <= len(k) <= 3
        assert k.dtype == np.int64 and k.min() >= 1 and k.max() <= 10
        assert (b[:, 2:] > b[:, :2]).all() and b.min() >= 0 and b.max() <= 64
        for x0, y0, x1, y1 in b.astype(int):
            assert img[y0:y1, x0:x1].max() > 64  # each box holds a digit's strokes
    t = ds.targets(held)
    assert len(t.boxes) == len(held) == 1000


def test_training_side_is_what_split_keeps():
    ds, train, _held = _data("digit-rows")
    assert np.array_equal(np.sort(train), np.sort(ds.split(0, len(ds) // 2)[0]))
    for eval_samples in (100, 500, 5000):
        assert not set(ds.split(0, eval_samples)[1]) & set(training_side(len(ds)))


def test_untrained_models_forward_with_declared_inputs():
    expected = {
        "breast-cancer-mlp": {"output": (1, 2)},
        "digit-rows-lstm": {"output": (1, 10)},
        "digit-strokes-seg": {"output": (1, 11, 32, 32)},
        "digit-scenes-ssd": {"boxes": (1, 384, 4), "scores": (1, 384, 11)},
    }
    for name, outs in expected.items():
        defaults = builtin_spec_defaults(name)
        sig = declared(defaults["inputs"])
        torch.manual_seed(0)
        model = DEMOS[name].factory().eval()
        with torch.no_grad():
            raw = model(*sig.example_inputs())
        sig, _ = sig.with_outputs(raw, defaults.get("output"))
        assert {o.name: o.shape for o in sig.outputs} == outs, name
    assert builtin_spec_defaults("digit-rows-lstm")["inputs"][0]["dtype"] == "int64"
    ssd = builtin_spec_defaults("digit-scenes-ssd")
    assert ssd["task"] == "detection" and ssd["postprocess"]["iou_threshold"] == 0.45
    assert builtin_spec_defaults("digits-cnn") == {}


def test_detector_outputs_are_probabilities_and_pixel_boxes():
    torch.manual_seed(0)
    out = arch.DigitSSD().eval()(torch.randn(2, 1, 64, 64))
    torch.testing.assert_close(out["scores"].sum(-1), torch.ones(2, 384))
    assert out["boxes"].min() >= 0 and out["boxes"].max() <= 64
    anchors = arch.ssd_anchors()
    boxes = torch.tensor([[10.0, 12.0, 22.0, 30.0]]).expand(len(anchors), 4)
    decoded = arch.DigitSSD().decode(arch.encode_boxes(boxes, anchors)[None])[0]
    torch.testing.assert_close(decoded, boxes, atol=1e-4, rtol=0)


def test_ssd_matching_gives_every_box_an_anchor():
    anchors = arch.ssd_anchors()
    boxes = [np.array([[5, 5, 18, 24], [40, 30, 52, 52]], np.float32)]
    classes, offsets = demo_training.ssd_targets(boxes, [np.array([3, 7])], anchors)
    assert set(classes[0].unique().tolist()) == {0, 3, 7}
    assert offsets.shape == (1, len(anchors), 4)


def test_map_of_perfect_detections_is_one():
    truth_b = [np.array([[1, 1, 10, 10], [20, 20, 30, 30]], np.float32)]
    truth_k = [np.array([2, 5])]
    dets = [(truth_b[0], truth_k[0], np.array([0.9, 0.8]))]
    assert demo_training.average_precision_50(dets, truth_b, truth_k, 11) == 1.0
    wrong = [(truth_b[0], np.array([5, 2]), np.array([0.9, 0.8]))]
    assert demo_training.average_precision_50(wrong, truth_b, truth_k, 11) == 0.0


def test_image_demos_say_their_preprocessing():
    for name, shape in (
        ("digit-strokes-seg", [1, 1, 32, 32]),
        ("digit-scenes-ssd", [1, 1, 64, 64]),
    ):
        said = builtin_preprocess(name, Preprocess.for_input_shape(shape))
        assert said is not None and said[0].size == shape[2:]
    assert "tabular" in builtin_spec_defaults("breast-cancer-mlp")["preprocess"]


# --- trained (cached per test session) -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "target"), [("breast-cancer-mlp", 0.95), ("digit-rows-lstm", 0.85)]
)
def test_trained_classifiers_reach_their_targets(name, target):
    model, shape, labels, notes = load_builtin(name)
    ds, _, held = _data(DATA[name])
    x, y = ds.tensors(held)
    assert list(x.shape[1:]) == shape[1:]
    assert demo_training.accuracy(model, x, y) >= target, notes
    assert len(labels) == int(model(x[:1]).shape[1])
    again, *_ = load_builtin(name)  # the cache: the same weights
    torch.testing.assert_close(again(x[:8]), model(x[:8]))


@pytest.mark.slow
def test_trained_segmenter_reaches_its_target():
    model, shape, labels, _notes = load_builtin("digit-strokes-seg")
    assert shape == [1, 1, 32, 32] and len(labels) == 11
    ds, _, held = _data("digit-strokes")
    x, _ = ds.tensors(held)
    scores = demo_training.segmentation_scores(model, x, ds.masks[held])
    assert scores["miou"] >= 0.75 and scores["pixel_accuracy"] >= 0.93, scores


@pytest.mark.slow
def test_trained_detector_reaches_its_target():
    model, shape, labels, _notes = load_builtin("digit-scenes-ssd")
    assert shape == [1, 1, 64, 64] and labels[0] == "background"
    ds, _, held = _data("digit-scenes")
    assert demo_training.detection_map50(model, ds, held) >= 0.7
    try:  # the engine's own post-processing and mAP, where they exist, agree
        from deploy_studio.core.tasks import detection
    except ImportError:
        return
    pp = detection.PostProcess.from_dict(builtin_spec_defaults("digit-scenes-ssd")["postprocess"])
    x, _ = ds.tensors(held)
    with torch.no_grad():
        out = model(x)
    dets = detection.postprocess(
        [out["boxes"].numpy(), out["scores"].numpy()], ["boxes", "scores"], pp
    )
    assert detection.average_precision_50(dets, ds.targets(held)) >= 0.7
