"""Embedding and generic models: no labels to score; fidelity is the cosine similarity and the
SNR of every output against the original model (the report's per-output parity)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from deploy_studio.core.tasks.base import Metric, Scores, Targets, Task


class Embedding(Task):
    name = "embedding"
    label = "Embedding"
    metric = Metric("cosine", "cosine similarity to the original", unit="float")
    metric_is_fidelity = True  # measured against the original model, not labels
    description = "feature vectors [N, D]: cosine similarity and SNR against the original"

    def score(self, outputs: Sequence[np.ndarray], targets: Targets) -> Scores:
        return Scores({}, len(self.task_output(outputs)), "no labels: judged by cosine and SNR")


class Generic(Embedding):
    name = "generic"
    label = "Generic"
    description = "any outputs: cosine similarity and SNR per output against the original"
