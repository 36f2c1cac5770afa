"""What a task is: how a model's outputs are scored on labelled data and against the original.

Every model has one task (``[model] task``, guessed from its outputs when absent). A task
names its *metric* (the accuracy figure on labelled data: top-1, mean IoU, mAP@0.5, MAE...)
and its *agreement* (the fidelity figure against the original model on the same samples:
top-1 agreement, pixel agreement, matched-box agreement; None for tasks judged by cosine and
SNR only). Outputs and references are the model's flattened outputs (one array per named
output, samples stacked on the first axis), as every runtime returns them.

This module is light at import (numpy only): the recipe and the window read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np


@dataclass(frozen=True)
class Metric:
    """One figure a task reports: ``key`` in report.json, ``label`` for people, its
    direction and how to print it (``percent``: a fraction shown as %; ``float``)."""

    key: str
    label: str
    higher_is_better: bool = True
    unit: str = "percent"

    def format(self, value: float | None) -> str:
        if value is None:
            return "n/a"
        return f"{value:.1%}" if self.unit == "percent" else f"{value:.4g}"

    def drop(self, baseline: float | None, value: float | None) -> float | None:
        """How much worse ``value`` is than ``baseline`` (positive: worse), or None."""
        if baseline is None or value is None:
            return None
        return round(baseline - value if self.higher_is_better else value - baseline, 6)

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "higher_is_better": self.higher_is_better,
            "unit": self.unit,
        }


@dataclass
class Targets:
    """The labels of some samples, whatever the task reads (each None when absent).

    labels: int64 ``[N]`` class indices (classification).
    masks: int64 ``[N, H, W]`` class per pixel (segmentation; ``ignore_index`` not scored).
    boxes: per sample a float ``[K, 4]`` array of ``x0, y0, x1, y1`` boxes in input pixels
        (detection), with ``box_labels`` their int classes ``[K]``.
    values: float ``[N, ...]`` targets (regression).
    """

    labels: np.ndarray | None = None
    masks: np.ndarray | None = None
    boxes: list[np.ndarray] | None = None
    box_labels: list[np.ndarray] | None = None
    values: np.ndarray | None = None
    ignore_index: int = 255

    def take(self, idx: np.ndarray) -> Targets:
        """The targets of samples ``idx`` (in that order)."""
        idx = np.asarray(idx, dtype=np.int64)

        def arr(a):
            return None if a is None else a[idx]

        def per(a):
            return None if a is None else [a[i] for i in idx]

        return Targets(
            labels=arr(self.labels),
            masks=arr(self.masks),
            boxes=per(self.boxes),
            box_labels=per(self.box_labels),
            values=arr(self.values),
            ignore_index=self.ignore_index,
        )

    @property
    def kinds(self) -> list[str]:
        """Which targets are present (``["labels", "masks"]``)."""
        return [k for k in ("labels", "masks", "boxes", "values") if getattr(self, k) is not None]

    def __len__(self) -> int:
        for k in ("labels", "masks", "values"):
            a = getattr(self, k)
            if a is not None:
                return len(a)
        return len(self.boxes) if self.boxes is not None else 0


@dataclass
class Scores:
    """What a task measured: ``metrics`` (key -> value; the task's metric first) on
    ``samples`` samples, or the reason nothing could be scored."""

    metrics: dict[str, float | None] = field(default_factory=dict)
    samples: int = 0
    note: str | None = None


class Task:
    """A task: its metrics and how to compute them. Subclasses set the class attributes and
    implement :meth:`score` and :meth:`agreement`; :meth:`check` may refuse outputs that do
    not fit the task (raise :class:`~deploy_studio.core.errors.DataError`)."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    metric: ClassVar[Metric]
    extra_metrics: ClassVar[tuple[Metric, ...]] = ()
    agreement_label: ClassVar[str | None] = None  # e.g. "top-1 agreement"; None: cosine/SNR only
    target_kind: ClassVar[str | None] = None  # which Targets field holds its labels
    metric_is_fidelity: ClassVar[bool] = False  # the metric compares with the original, not labels
    description: ClassVar[str] = ""

    def __init__(self, output: int = 0, options: dict[str, Any] | None = None) -> None:
        self.output = output  # index of the task output among the flattened outputs
        self.options = dict(options or {})

    # --- declared ----------------------------------------------------------------------
    @property
    def metrics(self) -> tuple[Metric, ...]:
        return (self.metric, *self.extra_metrics)

    def describe(self) -> dict:
        """The plain data of report.json's ``task`` and the window."""
        return {
            "name": self.name,
            "label": self.label,
            "metric": self.metric.to_dict(),
            "metrics": [m.to_dict() for m in self.metrics],
            "agreement": self.agreement_label,
            "targets": self.target_kind,
        }

    # --- to implement ------------------------------------------------------------------
    def check(
        self, references: Sequence[np.ndarray], names: Sequence[str], targets: Targets | None
    ) -> None:
        """Refuse outputs (or targets) this task cannot read; default: accept."""

    def score(self, outputs: Sequence[np.ndarray], targets: Targets) -> Scores:
        """The task's metrics of ``outputs`` against labelled ``targets``."""
        raise NotImplementedError

    def agreement(
        self, outputs: Sequence[np.ndarray], references: Sequence[np.ndarray]
    ) -> float | None:
        """The fraction of samples (pixels, boxes) on which ``outputs`` agree with the original
        model's ``references``; None when the task is judged by cosine and SNR only."""
        return None

    # --- shared helpers ------------------------------------------------------------------
    def task_output(self, outputs: Sequence[np.ndarray]) -> np.ndarray:
        return outputs[min(self.output, len(outputs) - 1)]

    def has_targets(self, targets: Targets | None) -> bool:
        return (
            targets is not None
            and self.target_kind is not None
            and getattr(targets, self.target_kind) is not None
            and len(targets) > 0
        )
