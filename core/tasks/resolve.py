"""Which task a loaded model has: the recipe's ``[model] task``, else what its loader knows
(a built-in demo, a torchvision architecture), else a guess from its outputs and the data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploy_studio.core.tasks import TASKS, guess_task, make_task
from deploy_studio.core.tasks.base import Targets, Task


@dataclass
class ResolvedTask:
    """The task object the engine scores with and what the report says about it."""

    task: Task
    guessed: bool
    why: str
    postprocess: dict[str, Any] | None = None

    def info(self, output_names: list[str]) -> dict:
        """report.json's ``model.task``."""
        d = self.task.describe()
        d["guessed"] = self.guessed
        d["why"] = self.why
        names = output_names or []
        if names:
            d["output"] = names[min(self.task.output, len(names) - 1)]
        if self.postprocess:
            d["postprocess"] = dict(self.postprocess)
        return d


def resolve_task(model, targets: Targets | None = None) -> ResolvedTask:
    """The task of ``model`` (a :class:`~deploy_studio.core.models.loaded.LoadedModel`)."""
    spec = model.spec
    hint = getattr(model, "task_hint", None) or {}
    sig = model.signature
    names = sig.output_names
    postprocess = spec.postprocess or hint.get("postprocess")
    if spec.task:
        name, guessed, why = spec.task, False, "[model] task"
    elif hint.get("task"):
        name, guessed, why = hint["task"], False, f"{spec.source} is a {hint['task']} model"
    elif postprocess:
        name, guessed, why = "detection", True, "[model] postprocess is declared"
    else:
        image = list(sig.inputs[0].shape[-2:]) if sig.is_image else None
        name, why = guess_task(
            [o.shape for o in sig.outputs], names, sig.task, targets, image_size=image
        )
        guessed = True
    if name not in TASKS:  # detection before its module exists
        name, why = "generic", f"{name} is not available here; scored as generic"
    options: dict[str, Any] = {**(postprocess or {}), "output_names": list(names)}
    task = make_task(name, sig.task, options)
    return ResolvedTask(task, guessed, why, postprocess if name == "detection" else None)
