"""ONNX Runtime on the CPU, with a fixed intra-op thread count and sequential execution."""

from __future__ import annotations

import numpy as np

from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner


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
        self.input_name = self.session.get_inputs()[0].name

    def run(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.session.run(None, {self.input_name: x})[0], dtype=np.float32)
