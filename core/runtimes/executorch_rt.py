"""The ExecuTorch runtime (host build from the executorch wheel), XNNPACK thread pool sized."""

from __future__ import annotations

import numpy as np
import torch
from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner, as_numpy


@RUNTIMES.register("executorch", label="ExecuTorch runtime")
class ExecuTorchRunner(Runner):
    runtime = "executorch"

    def __init__(self, path, threads: int, module=None) -> None:
        from executorch.extension.pybindings import portable_lib
        from executorch.runtime import Runtime

        portable_lib._unsafe_reset_threadpool(int(threads))
        torch.set_num_threads(threads)
        self.program = Runtime.get().load_program(str(path))
        self.method = self.program.load_method("forward")

    def run(self, x: np.ndarray) -> np.ndarray:
        return as_numpy(self.method.execute([torch.from_numpy(x)]))
