"""The Runner interface and the lookup of a runtime by key."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deploy_studio.core.errors import RuntimeRunError


class Runner:
    """Runs one artifact on this host. Subclasses implement ``run``.

    A runner is opened, used and closed inside :func:`run_scope`, which applies its thread
    count and puts the process's back afterwards.
    """

    runtime = ""
    threads = 1

    def run(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release the runtime's resources."""


def run_scope(runtime: str, threads: int):
    """The thread scope to open, run and close a ``runtime`` runner in (see ``threads.py``)."""
    from deploy_studio.core.runtimes.threads import thread_scope

    return thread_scope(max(1, int(threads)), executorch=runtime == "executorch")


def open_runner(runtime: str, path: str | Path | None, threads: int = 1, module=None) -> Runner:
    """Open ``path`` (or the in-memory ``module`` for eager) in ``runtime`` with ``threads``."""
    from deploy_studio.core.registry import RUNTIMES

    entry = RUNTIMES.get(runtime)
    try:
        runner = entry.obj(path, threads, module)
        runner.threads = max(1, int(threads))
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


def as_numpy(out) -> np.ndarray:
    import torch

    if isinstance(out, (list, tuple)):
        out = out[0]
    if isinstance(out, torch.Tensor):
        out = out.detach().float().numpy()
    return np.asarray(out, dtype=np.float32)
