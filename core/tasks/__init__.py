"""Tasks: what a model's outputs mean and how they are scored (see :mod:`.base`).

``[model] task`` names one of :data:`TASK_NAMES`; when absent, :func:`guess_task` reads it
from the model's outputs (and the data's targets). :func:`make_task` builds the task object
the engine scores with.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deploy_studio.core.tasks.base import Metric, Scores, Targets, Task
from deploy_studio.core.tasks.classification import Classification
from deploy_studio.core.tasks.embedding import Embedding, Generic
from deploy_studio.core.tasks.regression import Regression
from deploy_studio.core.tasks.segmentation import Segmentation

TASKS: dict[str, type[Task]] = {
    "classification": Classification,
    "segmentation": Segmentation,
    "regression": Regression,
    "embedding": Embedding,
    "generic": Generic,
}


def _register_detection() -> None:
    try:
        from deploy_studio.core.tasks.detection import Detection
    except ImportError:  # pragma: no cover - detection lands in its own module
        return
    TASKS["detection"] = Detection


_register_detection()
TASK_NAMES = (
    "classification",
    "segmentation",
    "detection",
    "regression",
    "embedding",
    "generic",
)


def make_task(name: str, output: int = 0, options: dict[str, Any] | None = None) -> Task:
    """The task object of ``name`` scoring flattened output ``output``."""
    return TASKS[name](output, options)


def guess_task(
    output_shapes: Sequence[Sequence[int]],
    names: Sequence[str],
    task_output: int = 0,
    targets: Targets | None = None,
    image_size: Sequence[int] | None = None,
) -> tuple[str, str]:
    """``(task, why)`` from the model's outputs (per-sample shapes with the batch axis first)
    and the data's targets, for a model whose recipe names no task."""
    lowered = [n.lower().rsplit(".", 1)[-1] for n in names]
    if "boxes" in lowered and ("scores" in lowered or "logits" in lowered):
        return "detection", "outputs named boxes and scores"
    if targets is not None:
        kinds = targets.kinds
        for kind, task in (
            ("masks", "segmentation"),
            ("boxes", "detection"),
            ("values", "regression"),
        ):
            if kind in kinds:
                return task, f"the data has {kind}"
    if not output_shapes:
        return "generic", "outputs unknown"
    shape = list(output_shapes[min(task_output, len(output_shapes) - 1)])
    if len(shape) == 4 and shape[1] > 1:
        if image_size is None or list(shape[2:]) == list(image_size):
            return "segmentation", f"per-pixel output {shape}"
        return "generic", f"a 4-D output {shape} not at the input's size"
    if len(shape) == 2:
        if shape[1] == 1:
            return "regression", f"one value per sample {shape}"
        name = lowered[min(task_output, len(lowered) - 1)] if lowered else ""
        if name in ("embedding", "embeddings", "features", "feature", "pooled"):
            return "embedding", f"an output named {name}"
        return "classification", f"one score vector per sample {shape}"
    if len(shape) == 1:
        return "regression", f"one value per sample {shape}"
    return "generic", f"output of shape {shape}"


__all__ = [
    "TASKS",
    "TASK_NAMES",
    "Metric",
    "Scores",
    "Targets",
    "Task",
    "guess_task",
    "make_task",
]
