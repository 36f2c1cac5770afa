"""LiteRT's interpreter (ai-edge-litert) with its XNNPACK delegate and a fixed thread count.

The ``serving_default`` signature's inputs (``args_0``...) and outputs (``output_0``...) are
fed and read in the model's order. Each input is cast to the interpreter's dtype (int64 ids
run as int32); an int8 / uint8 tensor of a full-integer model is quantized with its scale
and zero point, and quantized outputs are dequantized, as the apps do.
"""

from __future__ import annotations

import re

import numpy as np

from deploy_studio.core.errors import RuntimeRunError
from deploy_studio.core.registry import RUNTIMES
from deploy_studio.core.runtimes.base import Runner

INSTALL_HINT = 'pip install -e ".[litert]" (installs ai-edge-litert and litert-torch)'


def _order(names) -> list[str]:
    """Signature names in the model's order: ``args_10`` after ``args_9``."""

    def key(name: str):
        m = re.search(r"(\d+)$", name)
        return (int(m.group(1)) if m else -1, name)

    return sorted(names, key=key)


def quantize(x: np.ndarray, detail: dict) -> np.ndarray:
    """``x`` in the tensor's dtype: int8 / uint8 tensors with a scale are quantized."""
    dtype = np.dtype(detail["dtype"])
    scale, zero = detail.get("quantization", (0.0, 0))
    if dtype.kind in "iu" and scale and np.asarray(x).dtype.kind == "f":
        info = np.iinfo(dtype)
        q = np.round(np.asarray(x, np.float32) / scale + zero)
        return np.clip(q, info.min, info.max).astype(dtype)
    return np.asarray(x).astype(dtype, copy=False)


def dequantize(y: np.ndarray, detail: dict) -> np.ndarray:
    """A quantized output as float32; other outputs as they are (floats as float32)."""
    scale, zero = detail.get("quantization", (0.0, 0))
    if y.dtype.kind in "iu" and scale:
        return ((y.astype(np.float32) - zero) * scale).astype(np.float32)
    return y.astype(np.float32) if y.dtype.kind == "f" else y


@RUNTIMES.register("litert", label="LiteRT")
class LiteRtRunner(Runner):
    runtime = "litert"

    def __init__(self, path, threads: int, module=None) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError:
            raise RuntimeRunError(
                "LiteRT (ai-edge-litert) is not installed, so .tflite files cannot run here",
                INSTALL_HINT,
            ) from None
        self.interpreter = Interpreter(model_path=str(path), num_threads=int(threads))
        self.num_threads = int(threads)  # the interpreter does not report it back
        signatures = self.interpreter.get_signature_list()
        key = "serving_default" if "serving_default" in signatures else next(iter(signatures))
        self.runner = self.interpreter.get_signature_runner(key)
        inputs = self.runner.get_input_details()
        outputs = self.runner.get_output_details()
        self.input_names = _order(inputs)
        self.output_names = _order(outputs)
        self.inputs = [inputs[n] for n in self.input_names]
        self.outputs = [outputs[n] for n in self.output_names]

    def run_all(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        if len(inputs) != len(self.inputs):
            raise RuntimeRunError(
                f"the LiteRT model takes {len(self.inputs)} input(s), got {len(inputs)}"
            )
        feeds = {
            name: quantize(x, detail)
            for name, x, detail in zip(self.input_names, inputs, self.inputs, strict=True)
        }
        result = self.runner(**feeds)
        return [
            dequantize(np.asarray(result[name]), detail)
            for name, detail in zip(self.output_names, self.outputs, strict=True)
        ]

    def applied_threads(self) -> int:
        """The ``num_threads`` the interpreter was created with."""
        return self.num_threads

    def close(self) -> None:
        self.runner = None
        self.interpreter = None
