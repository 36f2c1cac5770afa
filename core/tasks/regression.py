"""Regression: ``[N]`` or ``[N, D]`` values; MAE and RMSE against targets (lower is better).
Fidelity against the original is cosine similarity and SNR, as for every output."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deploy_studio.core.errors import DataError
from deploy_studio.core.tasks.base import Metric, Scores, Targets, Task


class Regression(Task):
    name = "regression"
    label = "Regression"
    metric = Metric("mae", "MAE", higher_is_better=False, unit="float")
    extra_metrics = (Metric("rmse", "RMSE", higher_is_better=False, unit="float"),)
    target_kind = "values"
    description = "values [N, D]: mean absolute error and RMSE against targets"

    def check(self, references, names, targets) -> None:
        if not self.has_targets(targets):
            return
        assert targets is not None and targets.values is not None
        ref = self.task_output(references)
        per = int(np.prod(ref.shape[1:])) if ref.ndim > 1 else 1
        got = int(np.prod(targets.values.shape[1:])) if targets.values.ndim > 1 else 1
        if per != got:
            raise DataError(
                f"the targets hold {got} value(s) per sample but the model's output has {per}",
                "give one target row per sample with as many values as the model outputs",
            )

    def score(self, outputs: Sequence[np.ndarray], targets: Targets) -> Scores:
        out = self.task_output(outputs)
        y = targets.values
        if y is None or not len(y):
            return Scores({}, len(out), "no targets")
        n = len(y)
        err = out.reshape(n, -1).astype(np.float64) - y.reshape(n, -1).astype(np.float64)
        return Scores(
            {"mae": float(np.abs(err).mean()), "rmse": float(np.sqrt((err**2).mean()))}, n
        )
