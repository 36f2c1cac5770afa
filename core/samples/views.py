"""A task's view of one sample's outputs, and how a variant's view compares with the original's.

A view is plain data (picklable, no Qt) the window draws and the report renders:

- classification: ``{"kind", "top3": [(label, probability)]}``
- segmentation: ``{"kind", "mask": int16 [H, W]}`` (the class of every pixel)
- detection: ``{"kind", "boxes": float32 [M, 4], "scores": [M], "labels": [M]}`` (after the
  task's declared post-processing)
- regression, embedding, generic: ``{"kind", "outputs": [summary]}`` (name, shape, min, max,
  mean, top values per output, :func:`.describe.summarize_output`)

``outputs`` are a model's flattened outputs for a batch of one sample (``[1, ...]`` each).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deploy_studio.core.samples.describe import cosine, summarize_output


def softmax_top(logits: np.ndarray, labels: Sequence[str], k: int = 3) -> list[tuple[str, float]]:
    """Top-``k`` ``(label, probability)`` of one logits vector."""
    z = np.asarray(logits, np.float64).reshape(-1)
    if not z.size:
        return []
    e = np.exp(z - z.max())
    p = e / e.sum()
    idx = np.argsort(-p, kind="stable")[:k]
    return [(labels[i] if i < len(labels) else str(i), float(p[i])) for i in idx]


def detections_dict(d) -> dict:
    """A :class:`~deploy_studio.core.tasks.detection.Detections` as plain arrays."""
    return {
        "boxes": np.asarray(d.boxes, np.float32).reshape(-1, 4),
        "scores": np.asarray(d.scores, np.float32).reshape(-1),
        "labels": np.asarray(d.labels, np.int64).reshape(-1),
    }


def task_view(
    task, outputs: Sequence[np.ndarray], names: Sequence[str], labels: Sequence[str]
) -> dict:
    """The view of ``task`` (a :class:`~deploy_studio.core.tasks.base.Task`) on one sample."""
    kind = task.name
    if kind == "classification":
        return {"kind": kind, "top3": softmax_top(task.task_output(outputs)[0], labels, 3)}
    if kind == "segmentation":
        return {"kind": kind, "mask": task.predictions(outputs)[0].astype(np.int16)}
    if kind == "detection":
        return {"kind": kind, **detections_dict(task.detections(outputs)[0])}
    return {
        "kind": kind,
        "outputs": [
            summarize_output(names[i] if i < len(names) else f"output {i}", o[0])
            for i, o in enumerate(outputs)
        ],
    }


def agreement_label(task) -> str:
    """What :func:`compare` measures for ``task``: its agreement, else cosine similarity."""
    return task.agreement_label or "cosine similarity"


def compare(
    task, outputs: Sequence[np.ndarray], references: Sequence[np.ndarray]
) -> tuple[float | None, bool | None]:
    """``(agreement, agrees)`` of a variant's outputs with the original's on one sample: the
    task's agreement figure (top-1: 1 or 0, pixels, matched boxes) or, for tasks judged by
    cosine, the cosine similarity of the task output; ``agrees`` whether they match fully
    (same top-1, every pixel, every box; cosine >= 0.999)."""
    if task.name == "classification":
        same = int(np.argmax(task.task_output(outputs)[0])) == int(
            np.argmax(task.task_output(references)[0])
        )
        return (1.0 if same else 0.0), same
    if task.agreement_label is not None:
        value = task.agreement(outputs, references)
        return value, None if value is None else value >= 1.0 - 1e-9
    value = cosine(task.task_output(outputs), task.task_output(references))
    return value, None if value is None else value >= 0.999
