"""The TorchScript lite interpreter (``.ptl``)."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner, flat_numpy, tensors_of


@RUNTIMES.register("torchscript-lite", label="TorchScript lite interpreter")
class LiteRunner(Runner):
    runtime = "torchscript-lite"

    def __init__(self, path, threads: int, module=None) -> None:
        from torch.jit.mobile import _load_for_lite_interpreter

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.module = _load_for_lite_interpreter(str(path))

    def run_all(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        with torch.inference_mode():
            return flat_numpy(self.module(*tensors_of(inputs)))
