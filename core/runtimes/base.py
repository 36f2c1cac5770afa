"""The Runner interface and the lookup of a runtime by key."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import numpy as np

from deploy_studio.core.errors import RuntimeRunError


class Runner:
    """Runs one artifact on this host. Subclasses implement ``run_all``.

    ``run_all(inputs)`` takes one numpy array per model input (batch 1, each in its own
    dtype) and returns the model's flattened outputs (see
    :mod:`deploy_studio.core.models.signature`), floats as float32. ``run(x)`` is the
    single-array shorthand: one array in, the task output out (``run([a, b])`` is
    ``run_all``). A runtime written before ``run_all`` existed may implement ``run(x)``
    alone: it then serves single-input models.

    A runner is opened, used and closed inside :func:`run_scope`, which applies its thread
    count and puts the process's back afterwards.
    """

    runtime = ""
    threads = 1
    signature = None  # the model's Signature (set by open_runner): which output is the task's

    @property
    def task_index(self) -> int:
        """Which flattened output ``run(x)`` returns."""
        return int(self.signature.task) if self.signature is not None else 0

    def run_all(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Every flattened output for one sample (one array per input)."""
        if type(self).run is Runner.run:  # pragma: no cover - interface
            raise NotImplementedError
        if len(inputs) != 1:
            raise RuntimeRunError(
                f"the {self.runtime or type(self).__name__} runtime runs single-input models only",
                "implement Runner.run_all to take one array per input",
            )
        return [np.asarray(self.run(inputs[0]))]

    def run(self, x):
        """``run(array)``: the task output of a single-input model; ``run([arrays])``: every
        flattened output (:meth:`run_all`)."""
        if isinstance(x, (list, tuple)):
            return self.run_all(list(x))
        return self.run_all([x])[self.task_index]

    def applied_threads(self) -> int:
        """The thread count the runtime itself reports it runs with (torch's intra-op count
        for runtimes on torch's pool; runtimes with their own pool override this)."""
        import torch

        return int(torch.get_num_threads())

    def close(self) -> None:
        """Release the runtime's resources."""


@contextlib.contextmanager
def quiet_native_output():
    """Silence what native runtimes print straight to stderr (fd 2) while opening a model."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def run_scope(runtime: str, threads: int):
    """The thread scope to open, run and close a ``runtime`` runner in (see ``threads.py``)."""
    from deploy_studio.core.runtimes.threads import thread_scope

    return thread_scope(max(1, int(threads)), executorch=runtime == "executorch")


def open_runner(
    runtime: str, path: str | Path | None, threads: int = 1, module=None, signature=None
) -> Runner:
    """Open ``path`` (or the in-memory ``module`` for eager) in ``runtime`` with ``threads``.

    ``signature`` (the model's :class:`~deploy_studio.core.models.signature.Signature`) tells
    the runner which output ``run(x)`` returns (the task output; else the first).
    """
    from deploy_studio.core.registry import RUNTIMES

    entry = RUNTIMES.get(runtime)
    try:
        runner = entry.obj(path, threads, module)
        runner.threads = max(1, int(threads))
        runner.signature = signature
        return runner
    except RuntimeRunError:
        raise
    except Exception as e:  # noqa: BLE001
        raise RuntimeRunError(
            f"{runtime} could not load {Path(path).name if path else 'the model'}: {str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__}",
            "re-export the artifact with this version of Deploy Studio",
        ) from None


def not_runnable_reason(fmt: str) -> str:
    """Why an artifact of format ``fmt`` is not run on this host (the format says it)."""
    import platform

    from deploy_studio.core.registry import FORMATS

    try:
        reason = FORMATS.get(fmt).obj.not_runnable_reason
    except Exception:  # noqa: BLE001 - an unknown format: say so plainly
        reason = None
    return reason or f"{fmt}: no runtime on this host ({platform.system() or 'unknown'})"


def flat_numpy(out) -> list[np.ndarray]:
    """A model's output (a tensor, or a tuple/list/dict of them, nested) as its flattened
    leaves in pytree order: floats as float32, ints and bools as they are."""
    import torch
    from torch.utils import _pytree as pytree

    leaves = []
    for leaf in pytree.tree_leaves(out):
        if isinstance(leaf, torch.Tensor):
            leaf = leaf.detach()
            leaf = leaf.float().numpy() if leaf.is_floating_point() else leaf.numpy()
        leaves.append(_float32(np.asarray(leaf)))
    return leaves


def _float32(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32, copy=False) if a.dtype.kind == "f" else a


def tensors_of(inputs: list[np.ndarray]) -> list:
    """One torch tensor per numpy input (dtype kept; contiguous)."""
    import torch

    return [torch.from_numpy(np.ascontiguousarray(a)) for a in inputs]


def as_numpy(out) -> np.ndarray:
    import torch

    if isinstance(out, (list, tuple)):
        out = out[0]
    if isinstance(out, torch.Tensor):
        out = out.detach().float().numpy()
    return np.asarray(out, dtype=np.float32)
