"""ONNX Runtime on the CPU, with a fixed intra-op thread count and sequential execution."""

from __future__ import annotations

import numpy as np

from deploy_studio.core.errors import RuntimeRunError
from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner, flat_numpy


@RUNTIMES.register("onnxruntime", label="ONNX Runtime")
class OnnxRuntimeRunner(Runner):
    runtime = "onnxruntime"

    def __init__(self, path, threads: int, module=None) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = int(threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.session.get_inputs()]

    def applied_threads(self) -> int:
        """The session's own intra-op thread count (read back from ONNX Runtime)."""
        return int(self.session.get_session_options().intra_op_num_threads)

    def run_all(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if len(inputs) != len(self.input_names):
            raise RuntimeRunError(
                f"the ONNX model takes {len(self.input_names)} input(s) "
                f"({', '.join(self.input_names)}), got {len(inputs)}"
            )
        feeds = dict(zip(self.input_names, inputs, strict=True))
        return flat_numpy(self.session.run(None, feeds))
