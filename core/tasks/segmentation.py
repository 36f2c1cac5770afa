"""Segmentation: ``[N, classes, H, W]`` per-pixel logits; mean IoU and pixel accuracy against
masks, pixel agreement (same class per pixel) with the original model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deploy_studio.core.errors import DataError
from deploy_studio.core.tasks.base import Metric, Scores, Targets, Task


def confusion(pred: np.ndarray, truth: np.ndarray, classes: int, ignore: int) -> np.ndarray:
    """``classes x classes`` pixel counts (rows: truth, columns: prediction)."""
    keep = truth != ignore
    t = truth[keep].astype(np.int64)
    p = pred[keep].astype(np.int64)
    inside = (t >= 0) & (t < classes)
    return np.bincount(t[inside] * classes + p[inside], minlength=classes * classes).reshape(
        classes, classes
    )


def mean_iou(cm: np.ndarray) -> float | None:
    """Mean IoU over the classes present in the truth or the prediction."""
    tp = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - tp
    present = union > 0
    return float((tp[present] / union[present]).mean()) if present.any() else None


class Segmentation(Task):
    name = "segmentation"
    label = "Segmentation"
    metric = Metric("miou", "mean IoU")
    extra_metrics = (Metric("pixel_accuracy", "pixel accuracy"),)
    agreement_label = "pixel agreement"
    target_kind = "masks"
    description = "per-pixel logits [N, classes, H, W]: mean IoU, pixel accuracy, pixel agreement"

    def check(self, references, names, targets) -> None:
        ref = self.task_output(references)
        name = names[min(self.output, len(names) - 1)] if names else "output"
        if ref.ndim != 4:
            raise DataError(
                f"the model's output {name!r} has shape {list(ref.shape[1:])} per sample; "
                "segmentation needs per-pixel logits [N, classes, H, W]",
                "set [model] output to the mask logits, or [model] task to the model's task",
            )
        if self.has_targets(targets):
            assert targets is not None and targets.masks is not None
            if tuple(targets.masks.shape[1:]) != tuple(ref.shape[2:]):
                raise DataError(
                    f"the masks are {list(targets.masks.shape[1:])} pixels but the model's "
                    f"output {name!r} is {list(ref.shape[2:])}",
                    "give masks at the model's output size (the masks are resized with the "
                    "images when the output size equals the input size)",
                )

    def predictions(self, outputs: Sequence[np.ndarray]) -> np.ndarray:
        """The class of every pixel, ``[N, H, W]``."""
        return self.task_output(outputs).argmax(1)

    def score(self, outputs: Sequence[np.ndarray], targets: Targets) -> Scores:
        out = self.task_output(outputs)
        masks = targets.masks
        if masks is None or not len(masks):
            return Scores({}, len(out), "no masks")
        pred = out.argmax(1)
        cm = confusion(pred, masks, out.shape[1], targets.ignore_index)
        total = cm.sum()
        return Scores(
            {
                "miou": mean_iou(cm),
                "pixel_accuracy": float(np.trace(cm) / total) if total else None,
            },
            len(masks),
        )

    def agreement(self, outputs, references) -> float | None:
        out, ref = self.task_output(outputs), self.task_output(references)
        if not len(ref):
            return None
        return float((out.argmax(1) == ref.argmax(1)).mean())
