"""Deterministic training (one thread) of the built-in demos on real data, and their held-out
figures.

Every demo trains on the training side of its ``builtin:`` data source only
(:func:`~deploy_studio.core.data.builtin_sets.training_side`, what ``Dataset.split(0, n // 2)``
keeps) and reports held-out figures on the other half. The classifiers reuse
:func:`deploy_studio.core.training.fit`; segmentation and the detector have their own short
loops (per-pixel cross-entropy; SSD matching with hard negative mining).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from deploy_studio.core.data.builtin_sets import training_side
from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.progress import NULL_REPORTER, Reporter
from deploy_studio.core.training import TRAIN_THREADS, accuracy, fit, recalibrate_batchnorm

STROKES_SHAPE = [1, 1, 32, 32]
SCENES_SHAPE = [1, 1, 64, 64]


def demo_data(name: str):
    """(dataset, train_idx, eval_idx) of ``builtin:NAME`` at its demo model's input."""
    from deploy_studio.core.data.datasets import load_dataset

    shape = {"digit-strokes": STROKES_SHAPE, "digit-scenes": SCENES_SHAPE}.get(name)
    pp = Preprocess.for_input_shape(shape) if shape else Preprocess()
    ds = load_dataset(f"builtin:{name}", pp)
    n = len(ds)
    train = training_side(n)
    return ds, train, np.setdiff1d(np.arange(n), train)


class deterministic:
    """One torch thread and deterministic algorithms for the block (restored after)."""

    def __enter__(self):
        self._threads = torch.get_num_threads()
        self._det = torch.are_deterministic_algorithms_enabled()
        torch.set_num_threads(TRAIN_THREADS)
        torch.use_deterministic_algorithms(True)

    def __exit__(self, *exc):
        torch.set_num_threads(self._threads)
        torch.use_deterministic_algorithms(self._det)


def _reset(model: torch.nn.Module, factory: Callable[[], torch.nn.Module]) -> None:
    torch.manual_seed(0)
    model.load_state_dict(factory().state_dict())


def _fit_one_cycle(
    model, n: int, loss_of, *, recalibrate, epochs: int, batch: int, lr: float, stage, reporter
) -> list[dict]:
    """Adam with a one-cycle schedule over ``n`` samples in seeded random batches:
    ``loss_of(indices)`` gives a batch's loss; batch-norm statistics are recomputed on
    ``recalibrate`` after each epoch. Returns the loss history; leaves ``model`` in eval mode."""
    history = []
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * ((n + batch - 1) // batch)
    )
    for epoch in range(epochs):
        model.train()
        total = 0.0
        order = torch.randperm(n, generator=gen)
        for b in range(0, n, batch):
            idx = order[b : b + batch]
            loss = loss_of(idx)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            reporter.progress(stage, (epoch + b / n) / epochs)
        recalibrate_batchnorm(model, recalibrate)
        history.append({"epoch": epoch + 1, "loss": total / n})
        reporter.log(f"epoch {epoch + 1}/{epochs}: loss {total / n:.4f}")
    model.eval()
    return history


# --- classifiers -------------------------------------------------------------------------------


def _train_classifier(model, factory, data: str, epochs: int, lr: float, batch: int, reporter):
    ds, train, held = demo_data(data)
    x, y = ds.tensors(train)
    xe, ye = ds.tensors(held)
    _reset(model, factory)
    start = time.perf_counter()
    with deterministic():
        history = fit(
            model,
            x,
            y,
            epochs=epochs,
            lr=lr,
            batch_size=batch,
            seed=0,
            eval_data=(xe, ye),
            stage=f"train on builtin:{data}",
            reporter=reporter,
        )
    return {
        "train_samples": len(train),
        "eval_samples": len(held),
        "seconds": round(time.perf_counter() - start, 1),
        "held_out": {"accuracy": accuracy(model, xe, ye)},
        "history": history,
    }


def train_breast_cancer_mlp(model, reporter: Reporter = NULL_REPORTER) -> dict:
    from deploy_studio.core.models.demo_architectures import TabularMLP

    return _train_classifier(model, TabularMLP, "breast-cancer", 40, 1e-3, 16, reporter)


def train_digit_rows_lstm(model, reporter: Reporter = NULL_REPORTER) -> dict:
    from deploy_studio.core.models.demo_architectures import DigitRowsLSTM

    return _train_classifier(model, DigitRowsLSTM, "digit-rows", 30, 3e-3, 32, reporter)


# --- segmentation ------------------------------------------------------------------------------


def segmentation_scores(model, x: torch.Tensor, masks: np.ndarray, classes: int = 11) -> dict:
    """Held-out ``miou`` and ``pixel_accuracy`` of ``model`` on ``x`` against ``masks``."""
    from deploy_studio.core.tasks.segmentation import confusion, mean_iou

    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 128]).argmax(1) for i in range(0, len(x), 128)])
    cm = confusion(pred.numpy(), masks, classes, 255)
    return {"miou": mean_iou(cm), "pixel_accuracy": float(np.trace(cm) / cm.sum())}


def train_stroke_seg(
    model, reporter: Reporter = NULL_REPORTER, epochs: int = 15, batch: int = 16, lr: float = 5e-3
) -> dict:
    from deploy_studio.core.models.demo_architectures import StrokeSegNet

    ds, train, held = demo_data("digit-strokes")
    x, _ = ds.tensors(train)
    y = torch.from_numpy(ds.masks[train])
    xe, _ = ds.tensors(held)
    _reset(model, StrokeSegNet)
    start = time.perf_counter()
    with deterministic():
        history = _fit_one_cycle(
            model,
            len(x),
            lambda idx: F.cross_entropy(model(x[idx]), y[idx]),
            recalibrate=x,
            epochs=epochs,
            batch=batch,
            lr=lr,
            stage="train builtin:digit-strokes-seg",
            reporter=reporter,
        )
    return {
        "train_samples": len(train),
        "eval_samples": len(held),
        "seconds": round(time.perf_counter() - start, 1),
        "held_out": segmentation_scores(model, xe, ds.masks[held]),
        "history": history,
    }


# --- detection ---------------------------------------------------------------------------------


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of every ``x0, y0, x1, y1`` box of ``a`` ``[M, 4]`` with every one of ``b`` ``[K, 4]``."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).prod(-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def ssd_targets(boxes: list, labels: list, anchors: torch.Tensor, threshold: float = 0.5):
    """SSD matching: every anchor with IoU >= ``threshold`` to a box, plus each box's best
    anchor, takes that box. Returns (classes ``[N, A]`` int64, 0 = background; encoded
    offsets ``[N, A, 4]``)."""
    from deploy_studio.core.models.demo_architectures import encode_boxes

    xyxy = torch.cat([anchors[:, :2] - anchors[:, 2:] / 2, anchors[:, :2] + anchors[:, 2:] / 2], 1)
    classes = torch.zeros(len(boxes), len(anchors), dtype=torch.int64)
    offsets = torch.zeros(len(boxes), len(anchors), 4)
    for i, (b, k) in enumerate(zip(boxes, labels, strict=True)):
        if not len(b):
            continue
        b = torch.as_tensor(b, dtype=torch.float32)
        iou = box_iou(xyxy, b)  # [A, K]
        best, which = iou.max(1)
        best_anchor = iou.argmax(0)
        which[best_anchor] = torch.arange(len(b))
        best[best_anchor] = 1.0
        pos = best >= threshold
        classes[i, pos] = torch.as_tensor(k, dtype=torch.int64)[which[pos]]
        offsets[i] = encode_boxes(b[which], anchors)
    return classes, offsets


def ssd_loss(logits, offsets, classes, target_offsets, neg_ratio: int = 3) -> torch.Tensor:
    """Cross-entropy with 3:1 hard negative mining plus smooth-L1 on the positives' offsets,
    both over the number of positives."""
    pos = classes > 0
    n_pos = pos.sum(1, keepdim=True)
    ce = F.cross_entropy(logits.transpose(1, 2), classes, reduction="none")  # [N, A]
    with torch.no_grad():
        neg_ce = ce.masked_fill(pos, -1.0)
        rank = neg_ce.argsort(1, descending=True).argsort(1)
        neg = rank < (neg_ratio * n_pos).clamp(min=1)
    total = max(int(n_pos.sum()), 1)
    conf = ce[pos | neg].sum() / total
    loc = F.smooth_l1_loss(offsets[pos], target_offsets[pos], reduction="sum") / total
    return conf + loc


def train_digit_ssd(model, reporter: Reporter = NULL_REPORTER, epochs: int = 10) -> dict:
    from deploy_studio.core.models.demo_architectures import DigitSSD

    ds, train, held = demo_data("digit-scenes")
    x, _ = ds.tensors(train)
    _reset(model, DigitSSD)
    classes, target_offsets = ssd_targets(
        [ds.boxes[i] for i in train], [ds.box_labels[i] for i in train], model.anchors
    )
    start = time.perf_counter()

    def loss_of(idx):
        logits, offsets = model.raw(x[idx])
        return ssd_loss(logits, offsets, classes[idx], target_offsets[idx])

    with deterministic():
        history = _fit_one_cycle(
            model,
            len(x),
            loss_of,
            recalibrate=x,
            epochs=epochs,
            batch=32,
            lr=3e-3,
            stage="train builtin:digit-scenes-ssd",
            reporter=reporter,
        )
    return {
        "train_samples": len(train),
        "eval_samples": len(held),
        "seconds": round(time.perf_counter() - start, 1),
        "held_out": {"map50": detection_map50(model, ds, held)},
        "history": history,
    }


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Greedy non-maximum suppression: indices kept, best first."""
    order = np.argsort(-scores, kind="stable")
    keep: list[int] = []
    while len(order):
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        iou = box_iou(torch.from_numpy(boxes[i : i + 1]), torch.from_numpy(boxes[rest])).numpy()[0]
        order = rest[iou < iou_threshold]
    return keep


def postprocess(boxes, scores, score_threshold=0.3, iou_threshold=0.45, max_detections=10):
    """One sample's decoded ``boxes`` ``[A, 4]`` and ``scores`` ``[A, C]`` (class 0 the
    background) -> (boxes ``[D, 4]``, classes ``[D]``, scores ``[D]``): per-class NMS."""
    out_b, out_k, out_s = [], [], []
    for c in range(1, scores.shape[1]):
        sel = np.nonzero(scores[:, c] > score_threshold)[0]
        if not len(sel):
            continue
        keep = sel[nms(boxes[sel].astype(np.float32), scores[sel, c], iou_threshold)]
        out_b.append(boxes[keep])
        out_k.append(np.full(len(keep), c))
        out_s.append(scores[keep, c])
    if not out_b:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros(0, np.float32)
    b, k, s = np.concatenate(out_b), np.concatenate(out_k), np.concatenate(out_s)
    top = np.argsort(-s, kind="stable")[:max_detections]
    return b[top], k[top], s[top]


def average_precision_50(detections: list, boxes: list, labels: list, classes: int) -> float:
    """VOC mAP@0.5 (all-point interpolation) over classes 1..classes-1 present in the truth.
    ``detections``: per sample (boxes, classes, scores) as :func:`postprocess` returns."""
    aps = []
    for c in range(1, classes):
        n_true = sum(int((k == c).sum()) for k in labels)
        if not n_true:
            continue
        found = []  # (score, is true positive)
        for (db, dk, ds), tb, tk in zip(detections, boxes, labels, strict=True):
            gt = torch.as_tensor(tb[tk == c], dtype=torch.float32)
            used = np.zeros(len(gt), bool)
            for j in np.nonzero(dk == c)[0]:
                ok = False
                if len(gt):
                    iou = box_iou(torch.as_tensor(db[j : j + 1], dtype=torch.float32), gt)[0]
                    m = int(iou.argmax())
                    if float(iou[m]) >= 0.5 and not used[m]:
                        used[m] = ok = True
                found.append((float(ds[j]), ok))
        found.sort(key=lambda t: -t[0])
        tp = np.cumsum([f[1] for f in found]) if found else np.zeros(0)
        recall = np.concatenate([[0.0], tp / n_true, [1.0]]) if found else np.array([0.0, 1.0])
        prec = (
            np.concatenate([[0.0], tp / np.arange(1, len(found) + 1), [0.0]])
            if found
            else np.zeros(2)
        )
        prec = np.maximum.accumulate(prec[::-1])[::-1]
        step = np.nonzero(recall[1:] != recall[:-1])[0]
        aps.append(float(((recall[step + 1] - recall[step]) * prec[step + 1]).sum()))
    return float(np.mean(aps)) if aps else 0.0


def detection_map50(model, ds, idx: np.ndarray, **options) -> float:
    """mAP@0.5 of ``model`` on samples ``idx`` of a detection dataset (post-processing with
    :func:`postprocess` outside the graph)."""
    x, _ = ds.tensors(idx)
    dets = []
    with torch.no_grad():
        for i in range(0, len(x), 128):
            out = model(x[i : i + 128])
            for b, s in zip(out["boxes"].numpy(), out["scores"].numpy(), strict=True):
                dets.append(postprocess(b, s, **options))
    return average_precision_50(
        dets, [ds.boxes[i] for i in idx], [ds.box_labels[i] for i in idx], len(ds.classes)
    )
