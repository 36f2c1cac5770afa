"""The Runner interface and the lookup of a runtime by key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from deploy_studio.core.errors import RuntimeRunError


class Runner:
    """Runs one artifact on this host. Subclasses implement ``run``."""

    runtime = ""

    def run(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        """Release the runtime's resources."""


def open_runner(runtime: str, path: str | Path | None, threads: int = 1, module=None) -> Runner:
    """Open ``path`` (or the in-memory ``module`` for eager) in ``runtime`` with ``threads``."""
    from deploy_studio.core.registry import RUNTIMES

    entry = RUNTIMES.get(runtime)
    try:
        return entry.obj(path, threads, module)
    except RuntimeRunError:
        raise
    except Exception as e:  # noqa: BLE001
        raise RuntimeRunError(
            f"{runtime} could not load {Path(path).name if path else 'the model'}: {str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__}",
            "re-export the artifact with this version of Deploy Studio",
        ) from None


def as_numpy(out) -> np.ndarray:
    import torch

    if isinstance(out, (list, tuple)):
        out = out[0]
    if isinstance(out, torch.Tensor):
        out = out.detach().float().numpy()
    return np.asarray(out, dtype=np.float32)
