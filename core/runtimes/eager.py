"""PyTorch eager: the in-memory module (the baseline every artifact is compared with)."""

from __future__ import annotations

import numpy as np
import torch

from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner, flat_numpy, tensors_of


@RUNTIMES.register("eager", label="PyTorch eager")
class EagerRunner(Runner):
    runtime = "eager"

    def __init__(self, path, threads: int, module=None) -> None:
        if module is None:
            raise ValueError("the eager runtime runs an in-memory module")
        self.module = module

    def run_all(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        with torch.inference_mode():
            return flat_numpy(self.module(*tensors_of(inputs)))
