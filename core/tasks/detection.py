"""Detection: boxes and class scores; mAP@0.5 against labelled boxes, matched-box agreement
with the original model.

The exported graph outputs raw per-anchor predictions and the post-processing runs outside
it, the same step here (numpy) and in the apps: ``boxes`` ``[A, 4]`` per sample (``x0, y0,
x1, y1`` in input pixels, anchors already decoded) and ``scores`` ``[A, C]`` (class ``c`` in
column ``c``), turned into detections by an activation, a score threshold, per-class NMS and a
cap (:func:`postprocess`). A graph with final fixed-size outputs (``boxes`` ``[K, 4]``,
``scores`` ``[K]``, ``labels`` ``[K]``) is only thresholded. ``[model] postprocess`` holds the
:class:`PostProcess` keys; the task receives them with ``output_names`` in its options.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from deploy_studio.core.errors import DataError, RecipeError
from deploy_studio.core.tasks.base import Metric, Scores, Targets, Task

ACTIVATIONS = ("none", "softmax", "sigmoid")


@dataclass(frozen=True)
class PostProcess:
    """The detection post-processing of ``[model] postprocess``.

    boxes, scores: the output names of the boxes and the class scores. labels: the output name
    of final per-box labels (then scores are one per box and only the threshold applies).
    score_threshold: keep scores strictly above it. iou_threshold: NMS suppresses a box whose
    IoU with a better box of the same class is above it. max_detections: per sample, after
    NMS. background: the background column of ``scores`` (-1: none), never a detection.
    activation: applied to scores first (``none``, ``softmax`` over classes, ``sigmoid``).
    class_agnostic: NMS across classes. topk_candidates: per class, the best scores kept
    before NMS (0: all; torchvision's SSD keeps 300).
    """

    boxes: str = "boxes"
    scores: str = "scores"
    labels: str | None = None
    score_threshold: float = 0.3
    iou_threshold: float = 0.5
    max_detections: int = 100
    background: int = 0
    activation: str = "none"
    class_agnostic: bool = False
    topk_candidates: int = 0

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> PostProcess:
        """The spec of a ``[model] postprocess`` table; RecipeError names a bad key."""
        d = dict(d or {})
        valid = cls.keys()
        for key in d:
            if key not in valid:
                raise RecipeError(
                    f"[model] postprocess has no key {key!r}",
                    "valid keys: " + ", ".join(valid),
                )
        for key in ("boxes", "scores", "labels"):
            v = d.get(key)
            if v is not None and (not isinstance(v, str) or not v):
                if key == "labels" and v == "":
                    d[key] = None
                    continue
                raise _bad(key, v, "an output name (a string)")
        for key in ("score_threshold", "iou_threshold"):
            if key in d:
                v = d[key]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                    raise _bad(key, v, "a number in 0..1")
                d[key] = float(v)
        for key, low in (("max_detections", 1), ("background", -1), ("topk_candidates", 0)):
            if key in d:
                v = d[key]
                if isinstance(v, bool) or not isinstance(v, int) or v < low:
                    raise _bad(key, v, f"an integer >= {low}")
        if "activation" in d and d["activation"] not in ACTIVATIONS:
            raise _bad("activation", d["activation"], "one of " + ", ".join(ACTIVATIONS))
        if "class_agnostic" in d and not isinstance(d["class_agnostic"], bool):
            raise _bad("class_agnostic", d["class_agnostic"], "true or false")
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if d["labels"] is None:
            d.pop("labels")
        return d


def _bad(key: str, value: Any, want: str) -> RecipeError:
    return RecipeError(
        f"[model] postprocess.{key} must be {want}, got {value!r}",
        "valid keys: " + ", ".join(PostProcess.keys()),
    )


@dataclass
class Detections:
    """One sample's detections: ``boxes`` float32 ``[M, 4]`` (x0, y0, x1, y1), ``scores``
    float32 ``[M]`` (best first), ``labels`` int64 ``[M]``."""

    boxes: np.ndarray
    scores: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)


def find_output(names: Sequence[str], key: str) -> int | None:
    """The index of output ``key``: its exact name, else the one name ending in ``.key``."""
    if key in names:
        return list(names).index(key)
    ends = [i for i, n in enumerate(names) if n.rsplit(".", 1)[-1] == key]
    return ends[0] if len(ends) == 1 else None


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` ``[n, 4]`` with every box of ``b`` ``[m, 4]``: ``[n, m]``."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float,
    limit: int,
    classes: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy NMS: indices of the kept boxes, best first, at most ``limit``. A box whose IoU
    with a kept better box (of the same class, with ``classes``) is above ``iou_threshold``
    is dropped. Each kept box is compared with the later boxes of its class only."""
    order = np.argsort(-scores, kind="stable")
    b = np.asarray(boxes, np.float64)[order]
    cls = np.zeros(len(order), np.int64) if classes is None else np.asarray(classes)[order]
    groups = {int(k): np.flatnonzero(cls == k) for k in np.unique(cls)}
    alive = np.ones(len(order), bool)
    keep: list[int] = []
    for pos in range(len(order)):
        if not alive[pos]:
            continue
        keep.append(pos)
        if len(keep) >= limit:
            break
        group = groups[int(cls[pos])]
        later = group[np.searchsorted(group, pos, side="right") :]
        later = later[alive[later]]
        if later.size:
            alive[later[iou_matrix(b[pos : pos + 1], b[later])[0] > iou_threshold]] = False
    return order[np.asarray(keep, dtype=np.int64)]


def _activate(s: np.ndarray, activation: str) -> np.ndarray:
    if activation == "softmax":
        e = np.exp(s - s.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)
    if activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-s))
    return s


def _empty() -> Detections:
    return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64))


def _one(boxes: np.ndarray, scores: np.ndarray, spec: PostProcess) -> Detections:
    """Raw per-anchor ``boxes`` [A, 4] and ``scores`` [A, C] of one sample to detections."""
    scores = _activate(np.asarray(scores, np.float32), spec.activation)
    passing = scores > spec.score_threshold
    if scores.shape[1] > 1 and 0 <= spec.background < scores.shape[1]:
        passing[:, spec.background] = False
    a, c = np.nonzero(passing)
    s = scores[a, c]
    if spec.topk_candidates and len(s):  # the best topk_candidates of each class
        order = np.lexsort((-s, c))
        a, c, s = a[order], c[order], s[order]
        rank = np.arange(len(c)) - np.searchsorted(c, c)
        top = rank < spec.topk_candidates
        a, c, s = a[top], c[top], s[top]
    if not len(s):
        return _empty()
    b = boxes[a].astype(np.float64)
    keep = nms(b, s, spec.iou_threshold, spec.max_detections, None if spec.class_agnostic else c)
    return Detections(b[keep].astype(np.float32), s[keep].astype(np.float32), c[keep])


def postprocess(
    outputs: Sequence[np.ndarray], names: Sequence[str], spec: PostProcess
) -> list[Detections]:
    """Each sample's detections from the model's flattened ``outputs`` (named ``names``,
    samples on axis 0). Scores with one value per box and no ``labels`` output are a
    single-class detector (label 0, no background column)."""
    idx = {}
    for key in ("boxes", "scores", "labels"):
        name = getattr(spec, key)
        if name is None:
            continue
        i = find_output(names, name)
        if i is None:
            raise missing_output(key, name, names)
        idx[key] = i
    boxes = np.asarray(outputs[idx["boxes"]])
    n = len(boxes)
    boxes = boxes.reshape(n, -1, 4)
    scores = np.asarray(outputs[idx["scores"]]).reshape(n, boxes.shape[1], -1)
    if "labels" in idx:
        labels = np.asarray(outputs[idx["labels"]]).reshape(n, -1).astype(np.int64)
        out = []
        for i in range(n):
            s = scores[i, :, 0].astype(np.float32)
            keep = np.flatnonzero(s > spec.score_threshold)
            keep = keep[np.argsort(-s[keep], kind="stable")][: spec.max_detections]
            out.append(Detections(boxes[i, keep].astype(np.float32), s[keep], labels[i, keep]))
        return out
    return [_one(boxes[i], scores[i], spec) for i in range(n)]


def missing_output(key: str, name: str, names: Sequence[str]) -> DataError:
    return DataError(
        f"detection reads the {key} from an output named {name!r}, but the model's outputs "
        f"are {', '.join(repr(n) for n in names) or 'unnamed'}",
        f'set [model] postprocess = {{ {key} = "<output name>", ... }} to the model\'s output '
        f"names (keys: {', '.join(PostProcess.keys())})",
    )


def average_precision_50(dets: Sequence[Detections], targets: Targets) -> float | None:
    """mAP@0.5: VOC-style all-point interpolated AP per class, over the classes present in the
    ground truth, averaged (None without ground-truth boxes). A detection is a true positive
    when its best-IoU box of the same class in its sample has IoU >= 0.5 and is not taken."""
    gt_boxes = targets.boxes or []
    gt_labels = targets.box_labels or []
    classes = sorted({int(v) for lab in gt_labels for v in np.asarray(lab).reshape(-1)})
    if not classes:
        return None
    aps = []
    for c in classes:
        gts = [
            np.asarray(b, np.float64).reshape(-1, 4)[np.asarray(lab).reshape(-1) == c]
            for b, lab in zip(gt_boxes, gt_labels, strict=True)
        ]
        n_gt = sum(len(g) for g in gts)
        found = []  # (score, sample, box)
        for i, d in enumerate(dets[: len(gts)]):
            for j in np.flatnonzero(d.labels == c):
                found.append((float(d.scores[j]), i, d.boxes[j]))
        found.sort(key=lambda t: -t[0])
        taken = [np.zeros(len(g), bool) for g in gts]
        tp = np.zeros(len(found))
        for k, (_, i, box) in enumerate(found):
            if not len(gts[i]):
                continue
            ious = iou_matrix(box[None], gts[i])[0]
            best = int(ious.argmax())
            if ious[best] >= 0.5 and not taken[i][best]:
                taken[i][best] = True
                tp[k] = 1
        aps.append(_ap(np.cumsum(tp), np.cumsum(1 - tp), n_gt))
    return float(np.mean(aps))


def _ap(ctp: np.ndarray, cfp: np.ndarray, n_gt: int) -> float:
    if not len(ctp):
        return 0.0
    recall = np.concatenate([[0.0], ctp / n_gt, [1.0]])
    precision = np.concatenate([[0.0], ctp / np.maximum(ctp + cfp, 1e-12), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # the monotone envelope
    step = np.flatnonzero(recall[1:] != recall[:-1])
    return float(((recall[step + 1] - recall[step]) * precision[step + 1]).sum())


def matched_box_agreement(dets: Sequence[Detections], ref_dets: Sequence[Detections]) -> float:
    """How far ``dets`` (an artifact's) reproduce ``ref_dets`` (the original's), F1-style.

    Per sample, the original's boxes, best score first, each take the not yet taken artifact
    box of the same class with the highest IoU >= 0.5. Over all samples: ``2 * matches /
    (original boxes + artifact boxes)``, so a missed box and an extra artifact box both count
    against it. Samples with no box on either side are neutral; 1.0 when no sample has any.
    """
    matches = total = 0
    for d, r in zip(dets, ref_dets, strict=True):
        total += len(d) + len(r)
        if not len(d) or not len(r):
            continue
        ious = iou_matrix(r.boxes, d.boxes)
        ious[r.labels[:, None] != d.labels[None, :]] = -1.0
        free = np.ones(len(d), bool)
        for j in np.argsort(-r.scores, kind="stable"):
            row = np.where(free, ious[j], -1.0)
            best = int(row.argmax())
            if row[best] >= 0.5:
                free[best] = False
                matches += 1
    return 1.0 if total == 0 else 2.0 * matches / total


class Detection(Task):
    name = "detection"
    label = "Detection"
    metric = Metric("map50", "mAP@0.5")
    agreement_label = "matched-box agreement"
    target_kind = "boxes"
    description = (
        "boxes [A, 4] and class scores [A, C] post-processed outside the graph "
        "([model] postprocess): mAP@0.5, matched-box agreement"
    )

    def __init__(self, output: int = 0, options: dict[str, Any] | None = None) -> None:
        super().__init__(output, options)
        opts = dict(self.options)
        names = opts.pop("output_names", None)
        self.names: list[str] | None = [str(n) for n in names] if names else None
        self.spec = PostProcess.from_dict(opts)

    def output_names(self, count: int) -> list[str]:
        """The flattened output names (options), else boxes, scores[, labels] in order."""
        if self.names:
            return self.names
        return ["boxes", "scores", "labels"][:count] if count <= 3 else []

    def detections(self, outputs: Sequence[np.ndarray]) -> list[Detections]:
        return postprocess(outputs, self.output_names(len(outputs)), self.spec)

    def check(self, references, names, targets) -> None:
        names = list(names) if names else self.output_names(len(references))
        for key in ("boxes", "scores", "labels"):
            name = getattr(self.spec, key)
            if name is not None and find_output(names, name) is None:
                raise missing_output(key, name, names)
        boxes = np.asarray(references[find_output(names, self.spec.boxes)])
        n = len(boxes)
        if n and (boxes[0].size % 4 or boxes[0].size == 0):
            raise DataError(
                f"the model's output {self.spec.boxes!r} has shape {list(boxes.shape[1:])} per "
                "sample; detection needs boxes [A, 4] (x0, y0, x1, y1 in input pixels)",
                "set [model] postprocess.boxes to the boxes output",
            )
        scores = np.asarray(references[find_output(names, self.spec.scores)])
        if n and scores[0].size % (boxes[0].size // 4):
            raise DataError(
                f"the model's output {self.spec.scores!r} has shape {list(scores.shape[1:])} per "
                f"sample but there are {boxes[0].size // 4} boxes; detection needs scores "
                "[A, classes] (or [A] with a labels output)",
                "set [model] postprocess.scores to the class scores output",
            )

    def score(self, outputs: Sequence[np.ndarray], targets: Targets) -> Scores:
        if targets.boxes is None or not len(targets.boxes):
            return Scores({}, len(outputs[0]) if outputs else 0, "no boxes")
        dets = self.detections(outputs)
        return Scores({"map50": average_precision_50(dets, targets)}, len(targets.boxes))

    def agreement(self, outputs, references) -> float | None:
        if not references or not len(references[0]):
            return None
        return matched_box_agreement(self.detections(outputs), self.detections(references))
