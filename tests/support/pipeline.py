"""Build variants through the real pipeline, in this process, for the optimization-step tests.

Nothing here builds anything itself. The worker's :class:`SessionService` opens a recipe's
session as every run does (the model through the loader, the data split, the original model's
outputs on the held-out samples); :meth:`Pipeline.build` calls the pipeline's
``build_variant`` (steps in recipe order -> converter -> format writer) and returns the
artifact with its build context; :meth:`Pipeline.measure` returns the report row a run
writes (``build_and_measure``). Artifacts run in their own runtimes through
``core.runtimes.open_runner``, as the measurements do.

The step tests use :class:`~tests.support.models.TinyDigitsNet` trained for a few seconds on
the real 8x8 digits (:func:`trained_tiny_digits`, once per process).
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.support.models import MODELS_PY, TINY_DIGITS_SHAPE
from tests.support.recipes import recipe


@functools.cache
def trained_tiny_digits(epochs: int = 10, seed: int = 0) -> Path:
    """Weights (a state_dict file) of TinyDigitsNet trained on the training side of
    builtin:digits at 8x8; trained once per process with one thread (deterministic)."""
    import torch

    from deploy_studio.core.data.datasets import load_dataset
    from deploy_studio.core.data.preprocess import Preprocess
    from deploy_studio.core.training import fit
    from tests.support.models import TinyDigitsNet

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        module = TinyDigitsNet()
        dataset = load_dataset("builtin:digits", Preprocess.for_input_shape(TINY_DIGITS_SHAPE))
        train_idx, _ = dataset.split(128, 500)
        x, y = dataset.tensors(train_idx)
        fit(module, x, y, epochs=epochs, lr=3e-3, batch_size=64, seed=seed)
    finally:
        torch.set_num_threads(threads)
    path = Path(tempfile.mkdtemp(prefix="ds-tiny-digits-")) / "tiny_digits.pth"
    torch.save(module.eval().state_dict(), path)
    return path


def tiny_digits_model(weights: str | Path | None = None, cls: str = "TinyDigitsNet") -> dict:
    """The ``[model]`` table of the trained tiny digits CNN (or another 8x8 class and weights)."""
    return {
        "source": f"{MODELS_PY}:{cls}",
        "weights": str(weights or trained_tiny_digits()),
        "input_shape": list(TINY_DIGITS_SHAPE),
    }


def steps_recipe(
    *variants: dict,
    model: dict | None = None,
    data: str = "builtin:digits",
    calibration_samples: int = 64,
    eval_samples: int = 300,
    **tables: Any,
):
    """A parsed recipe over the trained tiny digits CNN (8x8) with ``variants``."""
    return recipe(
        model or tiny_digits_model(),
        list(variants),
        name="steps",
        data={
            "source": data,
            "calibration_samples": calibration_samples,
            "eval_samples": eval_samples,
        },
        **tables,
    )


@dataclass
class Built:
    """A variant built by the pipeline: its artifact, its build context and the session."""

    session: Any
    artifact: Any
    ctx: Any

    @property
    def notes(self) -> list[str]:
        return self.ctx.notes

    @property
    def state(self) -> dict:
        return self.ctx.state

    @property
    def module(self):
        return self.ctx.module

    def eval_x(self, n: int | None = None) -> np.ndarray:
        return self.session.eval_x[:n]

    def outputs(self, n: int | None = None) -> np.ndarray:
        """The artifact's outputs, run in its own runtime, on the first ``n`` held-out samples."""
        return run_outputs(self.artifact.runtime, self.artifact.path, self.eval_x(n), self.module)

    def module_outputs(self, n: int | None = None) -> np.ndarray:
        """The working module's (after the steps) eager outputs on the same samples."""
        return run_outputs("eager", None, self.eval_x(n), self.module)

    def agreement(self, n: int | None = None, against: np.ndarray | None = None) -> float:
        """Top-1 agreement of the artifact with ``against`` (default: the original model)."""
        out = self.outputs(n)
        ref = self.session.reference[: len(out)] if against is None else against
        return float((out.argmax(1) == ref.argmax(1)).mean())

    def accuracy(self, n: int | None = None, eager: bool = False) -> float:
        """Held-out top-1 accuracy of the artifact (or of the working module with ``eager``)."""
        out = self.module_outputs(n) if eager else self.outputs(n)
        return float((out.argmax(1) == self.session.eval_y[: len(out)]).mean())


def run_outputs(runtime: str, path, x: np.ndarray, module=None) -> np.ndarray:
    """Outputs of an artifact (or an eager module) for every sample, one thread, batch 1."""
    from deploy_studio.core.measure import run_outputs as outputs_of
    from deploy_studio.core.progress import Reporter
    from deploy_studio.core.runtimes import open_runner, run_scope

    with run_scope(runtime, 1):
        runner = open_runner(runtime, path, 1, module=module)
        try:
            return outputs_of(runner, x, Reporter())
        finally:
            runner.close()


class Pipeline:
    """The worker's session service in this process: one model load for a module's recipes."""

    def __init__(self) -> None:
        from deploy_studio.core.worker.service import SessionService

        self.service = SessionService()

    def session(self, recipe, reporter=None):
        from deploy_studio.core.progress import Reporter

        return self.service.session(recipe, reporter or Reporter())

    def build(self, recipe, name: str, workdir: str | Path, reporter=None) -> Built:
        """Build variant ``name`` of ``recipe`` into ``workdir`` with the pipeline."""
        from deploy_studio.core.pipeline.build import build_variant
        from deploy_studio.core.progress import Reporter

        reporter = reporter or Reporter()
        session = self.session(recipe, reporter)
        variant = next(v for v in recipe.variants if v.name == name)
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)  # as build_and_measure makes DIR/artifacts
        artifact, ctx = build_variant(
            session, variant, workdir, recipe.data.calibration_samples, reporter
        )
        return Built(session, artifact, ctx)

    def measure(self, recipe, name: str, out_dir: str | Path, reporter=None):
        """The report row (:class:`VariantResult`) a run writes for variant ``name``."""
        from deploy_studio.core.pipeline.run_variant import build_and_measure
        from deploy_studio.core.progress import Reporter

        reporter = reporter or Reporter()
        session = self.session(recipe, reporter)
        variant = next(v for v in recipe.variants if v.name == name)
        return build_and_measure(session, recipe, variant, Path(out_dir), reporter)
