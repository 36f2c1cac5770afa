"""Detection: the post-processing spec, NMS, mAP@0.5, matched-box agreement, the task's
checks, and the export diagnosis of a model that runs NMS inside its graph."""

from __future__ import annotations

import numpy as np
import pytest

from deploy_studio.core.errors import ConversionError, DataError, RecipeError
from deploy_studio.core.tasks import TASKS, Targets, make_task
from deploy_studio.core.tasks.detection import (
    Detection,
    Detections,
    PostProcess,
    average_precision_50,
    matched_box_agreement,
    postprocess,
)

NAMES = ["boxes", "scores"]


def raw(boxes, scores):
    """One sample's raw outputs stacked as the runtimes return them ([1, A, 4], [1, A, C])."""
    return [np.asarray([boxes], np.float32), np.asarray([scores], np.float32)]


def test_spec_defaults_validation_and_round_trip():
    spec = PostProcess.from_dict({})
    assert spec.to_dict() == {
        "boxes": "boxes",
        "scores": "scores",
        "score_threshold": 0.3,
        "iou_threshold": 0.5,
        "max_detections": 100,
        "background": 0,
        "activation": "none",
        "class_agnostic": False,
        "topk_candidates": 0,
    }
    d = {"labels": "labels", "score_threshold": 0.5, "activation": "sigmoid", "background": -1}
    assert PostProcess.from_dict(PostProcess.from_dict(d).to_dict()) == PostProcess.from_dict(d)
    with pytest.raises(RecipeError) as e:
        PostProcess.from_dict({"score_thresh": 0.2})
    assert "score_thresh" in e.value.message and "score_threshold" in e.value.hint
    for bad in (
        {"iou_threshold": 1.5},
        {"activation": "relu"},
        {"max_detections": 0},
        {"boxes": 3},
        {"class_agnostic": "yes"},
    ):
        with pytest.raises(RecipeError) as e:
            PostProcess.from_dict(bad)
        assert next(iter(bad)) in e.value.message


def test_nms_suppresses_overlaps_and_keeps_other_classes():
    boxes = [[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]]
    # columns: background, class 1, class 2
    scores = [[0.1, 0.9, 0.0], [0.1, 0.8, 0.0], [0.0, 0.0, 0.7], [0.5, 0.2, 0.1]]
    (d,) = postprocess(raw(boxes, scores), NAMES, PostProcess())
    assert d.labels.tolist() == [1, 2]  # box 1 suppressed by box 0; class 2 kept; bg dropped
    assert np.allclose(d.scores, [0.9, 0.7])
    assert np.allclose(d.boxes, [[0, 0, 10, 10], [0, 0, 10, 10]])
    (agn,) = postprocess(raw(boxes, scores), NAMES, PostProcess(class_agnostic=True))
    assert agn.labels.tolist() == [1]
    (one,) = postprocess(raw(boxes, scores), NAMES, PostProcess(max_detections=1))
    assert one.labels.tolist() == [1]
    (none,) = postprocess(raw(boxes, scores), NAMES, PostProcess(score_threshold=0.95))
    assert len(none) == 0 and none.boxes.shape == (0, 4)


def test_activation_and_final_outputs():
    logits = [[0.0, 4.0], [4.0, 0.0]]
    boxes = [[0, 0, 5, 5], [10, 10, 20, 20]]
    (d,) = postprocess(raw(boxes, logits), NAMES, PostProcess(activation="softmax"))
    assert d.labels.tolist() == [1] and 0.9 < d.scores[0] < 1
    (s,) = postprocess(
        raw(boxes, logits),
        NAMES,
        PostProcess(activation="sigmoid", background=-1, score_threshold=0.6),
    )
    assert sorted(s.labels.tolist()) == [0, 1]
    outs = [
        np.asarray([[[0, 0, 5, 5], [1, 1, 6, 6], [9, 9, 12, 12]]], np.float32),
        np.asarray([[0.2, 0.9, 0.6]], np.float32),
        np.asarray([[3, 4, 5]], np.int64),
    ]
    (f,) = postprocess(outs, ["boxes", "scores", "labels"], PostProcess(labels="labels"))
    assert f.labels.tolist() == [4, 5] and np.allclose(f.scores, [0.9, 0.6])


def _targets():
    return Targets(
        boxes=[
            np.array([[0, 0, 10, 10], [20, 20, 40, 40]], np.float32),
            np.array([[5, 5, 15, 15]], np.float32),
        ],
        box_labels=[np.array([1, 2]), np.array([1])],
    )


def _dets(shift=0.0):
    t = _targets()
    return [
        Detections(b + shift, np.linspace(0.9, 0.5, len(b)).astype(np.float32), lab)
        for b, lab in zip(t.boxes, t.box_labels, strict=True)
    ]


def test_map50():
    t = _targets()
    assert average_precision_50(_dets(), t) == pytest.approx(1.0)
    assert average_precision_50(_dets(shift=4.0), t) < 1.0
    empty = [Detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))] * 2
    assert average_precision_50(empty, t) == 0.0
    assert average_precision_50(empty, Targets(boxes=[], box_labels=[])) is None


def test_matched_box_agreement():
    assert matched_box_agreement(_dets(), _dets()) == 1.0
    empty = [Detections(np.zeros((0, 4)), np.zeros(0), np.zeros(0, np.int64))] * 2
    assert matched_box_agreement(empty, empty) == 1.0
    assert matched_box_agreement(empty, _dets()) == 0.0
    # one of three boxes moved far away: 2 matches of 3 + 3 boxes
    moved = _dets()
    moved[0].boxes[1] += 100
    assert matched_box_agreement(moved, _dets()) == pytest.approx(4 / 6)
    relabelled = _dets()
    relabelled[1].labels[:] = 7
    assert matched_box_agreement(relabelled, _dets()) == pytest.approx(4 / 6)


def test_task_scores_and_checks():
    assert TASKS["detection"] is Detection
    boxes = [[0, 0, 10, 10], [20, 20, 40, 40]]
    scores = [[0.0, 0.9, 0.0], [0.0, 0.0, 0.8]]
    outs = raw(boxes, scores)
    task = make_task("detection", 0, {"score_threshold": 0.5, "output_names": NAMES})
    assert task.describe()["metric"]["key"] == "map50"
    assert task.agreement(outs, outs) == 1.0
    t = Targets(boxes=[np.array(boxes, np.float32)], box_labels=[np.array([1, 2])])
    assert task.score(outs, t).metrics["map50"] == pytest.approx(1.0)
    task.check(outs, NAMES, t)
    with pytest.raises(DataError) as e:
        task.check(outs, ["out.0", "out.1"], t)
    assert "'out.0'" in e.value.message and "[model] postprocess" in e.value.hint
    with pytest.raises(RecipeError):
        make_task("detection", 0, {"nms": 0.4, "output_names": NAMES})


class _Ctx:
    """The part of a BuildContext the export converter reads."""

    def __init__(self, module, x):
        from deploy_studio.core.models.signature import shorthand
        from deploy_studio.core.progress import NULL_REPORTER

        self.module, self.inputs, self.notes = module.eval(), (x,), []
        self.signature, self.reporter = shorthand(list(x.shape)), NULL_REPORTER


def test_export_of_in_graph_nms_names_the_op_and_the_way_out():
    import torch
    import torchvision

    from deploy_studio.core.converters.export import ExportConverter

    class InGraphNMS(torch.nn.Module):  # threshold + NMS in forward, as torchvision's detectors
        def forward(self, x):
            boxes, scores = x[0, :, :4].abs().cumsum(-1), x[0, :, 4]
            keep = scores > 0.3
            boxes, scores = boxes[keep], scores[keep]
            labels = torch.zeros_like(scores, dtype=torch.int64)
            kept = torchvision.ops.batched_nms(boxes, scores, labels, 0.5)
            return boxes[kept], scores[kept]

    class NonZero(torch.nn.Module):
        def forward(self, x):
            idx = torch.nonzero(x[0, :, 4] > 0.3)
            return x[0, idx[:, 0], :4].sum(0) if idx.shape[0] > 2 else x[0, 0, :4]

    for model, op in ((InGraphNMS(), "torchvision.ops.batched_nms"), (NonZero(), "torch.nonzero")):
        with pytest.raises(ConversionError) as e:
            ExportConverter.convert(_Ctx(model, torch.rand(1, 16, 5)))
        assert f"data-dependent op: {op}" in e.value.message
        assert "raw boxes and scores" in e.value.hint and "[model] postprocess" in e.value.hint
