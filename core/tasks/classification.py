"""Classification: ``[N, classes]`` logits; top-1 and top-5 accuracy, top-1 agreement."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deploy_studio.core.errors import DataError
from deploy_studio.core.tasks.base import Metric, Scores, Targets, Task


class Classification(Task):
    name = "classification"
    label = "Classification"
    metric = Metric("top1", "top-1 accuracy")
    extra_metrics = (Metric("top5", "top-5 accuracy"),)
    agreement_label = "top-1 agreement"
    target_kind = "labels"
    description = "class logits [N, classes]: top-1 / top-5 accuracy, top-1 agreement"

    def check(self, references, names, targets) -> None:
        ref = self.task_output(references)
        if ref.ndim != 2:
            name = names[min(self.output, len(names) - 1)] if names else "output"
            raise DataError(
                f"the model's output {name!r} has shape {list(ref.shape[1:])} per sample; "
                "classification needs class logits [N, classes]",
                'set [model] task to the model\'s task ("segmentation", "detection", '
                '"regression", "embedding" or "generic"), or [model] output to its logits',
            )
        if self.has_targets(targets):
            assert targets is not None and targets.labels is not None
            n = int(targets.labels.max()) + 1 if len(targets.labels) else 0
            if ref.shape[1] < n:
                raise DataError(
                    f"the data has {n} classes but the model outputs {ref.shape[1]}",
                    "use data whose classes match the model's outputs, or the random source "
                    "for latency only",
                )

    def score(self, outputs: Sequence[np.ndarray], targets: Targets) -> Scores:
        out = self.task_output(outputs)
        y = targets.labels
        if y is None or not len(y):
            return Scores({}, len(out), "no labels")
        top1 = float((out.argmax(1) == y).mean())
        k = min(5, out.shape[1])
        top5 = None
        if out.shape[1] > 5:
            best = np.argsort(-out, axis=1)[:, :k]
            top5 = float((best == y[:, None]).any(1).mean())
        return Scores({"top1": top1, "top5": top5}, len(y))

    def agreement(self, outputs, references) -> float | None:
        out, ref = self.task_output(outputs), self.task_output(references)
        n = len(ref)
        if not n:
            return None
        return float((out.reshape(n, -1).argmax(1) == ref.reshape(n, -1).argmax(1)).mean())
