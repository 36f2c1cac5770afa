"""The ExecuTorch runtime (host build from the executorch wheel); its XNNPACK thread pool is
sized by :meth:`Runner.scope` while it runs."""

from __future__ import annotations

import numpy as np

from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner, flat_numpy, tensors_of


@RUNTIMES.register("executorch", label="ExecuTorch runtime")
class ExecuTorchRunner(Runner):
    runtime = "executorch"

    def __init__(self, path, threads: int, module=None) -> None:
        from executorch.runtime import Runtime

        self.program = Runtime.get().load_program(str(path))
        self.method = self.program.load_method("forward")

    def run_all(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        return flat_numpy(list(self.method.execute(tensors_of(inputs))))

    def applied_threads(self) -> int:
        """The size this process last gave ExecuTorch's XNNPACK thread pool."""
        from deploy_studio.core.runtimes import threads

        return int(threads._et_threads or 0)

    def close(self) -> None:
        """Free the program (and its XNNPACK delegate) before the pool may be resized again."""
        self.method = None
        self.program = None
