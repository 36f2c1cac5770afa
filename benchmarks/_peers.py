"""The peers' own default paths, built with their documented APIs, and a fair timing harness.

Shared by the benchmark scripts (optimizations.py, suite.py). Each builder takes a float
eval-mode module, one batch-1 example and calibration samples (samples on the first axis),
writes its artifacts under ``folder`` and returns ``{label: path}``:

- :func:`executorch_defaults`: torch.export -> to_edge_transform_and_lower(XnnpackPartitioner)
  -> to_executorch, fp32; int8: PT2E with XNNPACKQuantizer's symmetric per-channel config
  (ExecuTorch's XNNPACK quantization docs), then the same lowering.
- :func:`ort_defaults`: torch.onnx.export (dynamo), run as is in ONNX Runtime; int8:
  ``quant_pre_process`` then ``quantize_static`` QDQ, per-channel int8 weights, int8
  activations (S8S8, the docs' CPU default; U8S8 on request).
- :func:`litert_defaults`: litert_torch.convert, fp32; int8: PT2E with litert-torch's
  PT2EQuantizer (symmetric per-channel, static) and ``QuantConfig(pt2e_quantizer=...)``.

:func:`side_by_side` times runners in interleaved rounds so load on the machine hits all
alike. Nothing here uses the studio's build pipeline, only its runners (which load a file in
its own runtime and set its thread count) and the PT2E calibration loop.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import time
from pathlib import Path

import numpy as np

EXECUTORCH, ORT, LITERT = "ExecuTorch/XNNPACK", "ONNX Runtime", "LiteRT"
RUNTIME_OF = {EXECUTORCH: "executorch", ORT: "onnxruntime", LITERT: "litert"}


def runtime_of(label: str) -> str:
    """The runner key (core.runtimes) of a peer row labelled ``"<peer> <precision>"``."""
    return next(v for k, v in RUNTIME_OF.items() if label.startswith(k))


def _pt2e(module, example, calibration, quantizer, fold_quantize: bool = True):
    from deploy_studio.core.quantizers import pt2e_quantize

    return pt2e_quantize(module, example, calibration, quantizer, fold_quantize=fold_quantize)


def _lower_pte(program_module, example, path: Path) -> Path:
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import to_edge_transform_and_lower

    exported = torch.export.export(program_module, (example,))
    prog = to_edge_transform_and_lower(exported, partitioner=[XnnpackPartitioner()])
    path.write_bytes(prog.to_executorch().buffer)
    return path


def executorch_defaults(module, example, calibration, folder: Path, name: str) -> dict[str, Path]:
    """ExecuTorch + XNNPACK, fp32 and PT2E int8, as its docs build them."""
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )

    folder.mkdir(parents=True, exist_ok=True)
    out = {f"{EXECUTORCH} fp32": _lower_pte(module, example, folder / f"{name}-et-fp32.pte")}
    quantizer = XNNPACKQuantizer().set_global(
        get_symmetric_quantization_config(is_per_channel=True)
    )
    quantized = _pt2e(module, example, calibration, quantizer)
    out[f"{EXECUTORCH} int8"] = _lower_pte(quantized, example, folder / f"{name}-et-int8.pte")
    return out


def ort_defaults(
    module,
    example,
    calibration: np.ndarray,
    folder: Path,
    name: str,
    activations: tuple[str, ...] = ("s8s8",),
) -> dict[str, Path]:
    """ONNX Runtime's own path: the plain ONNX export, and quantize_static QDQ int8 (one
    model per activation type: ``s8s8`` and/or ``u8s8``; labels ``ONNX Runtime int8`` for
    the first, ``ONNX Runtime int8-u8s8`` etc. for the others)."""
    import torch
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_static,
    )

    folder.mkdir(parents=True, exist_ok=True)
    fp32 = folder / f"{name}-ort-fp32.onnx"
    with contextlib.redirect_stdout(io.StringIO()):
        torch.onnx.export(
            module.eval(),
            (example,),
            str(fp32),
            dynamo=True,
            external_data=False,
            input_names=["input"],
            output_names=["logits"],
        )
    pre = folder / f"{name}-ort-fp32-pre.onnx"
    quant_pre_process(str(fp32), str(pre))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"input": calibration[i : i + 1]} for i in range(len(calibration))])

        def get_next(self):
            return next(self.items, None)

    out = {f"{ORT} fp32": fp32}
    kinds = {"s8s8": QuantType.QInt8, "u8s8": QuantType.QUInt8}
    for i, tag in enumerate(activations):
        path = folder / f"{name}-ort-int8-{tag}.onnx"
        quantize_static(
            str(pre),
            str(path),
            Reader(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=kinds[tag],
            weight_type=QuantType.QInt8,
        )
        out[f"{ORT} int8" + ("" if i == 0 else f"-{tag}")] = path
    return out


def litert_missing() -> str | None:
    """Why the LiteRT rows cannot be built here (None when they can)."""
    import importlib.util

    missing = [m for m in ("litert_torch", "ai_edge_litert") if importlib.util.find_spec(m) is None]
    return f"not installed: {', '.join(missing)} (pip install -e '.[litert]')" if missing else None


@contextlib.contextmanager
def _quiet():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        root.setLevel(level)


def litert_defaults(module, example, calibration, folder: Path, name: str) -> dict[str, Path]:
    """LiteRT through litert-torch: fp32, and PT2E int8 with its PT2EQuantizer."""
    import litert_torch
    from litert_torch.quantize.pt2e_quantizer import (
        PT2EQuantizer,
        get_symmetric_quantization_config,
    )
    from litert_torch.quantize.quant_config import QuantConfig

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    with _quiet():
        path = folder / f"{name}-litert-fp32.tflite"
        litert_torch.convert(module.eval(), (example,)).export(str(path))
        out[f"{LITERT} fp32"] = path
        quantizer = PT2EQuantizer().set_global(
            get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False)
        )
        quantized = _pt2e(module, example, calibration, quantizer, fold_quantize=False)
        path = folder / f"{name}-litert-int8.tflite"
        litert_torch.convert(
            quantized, (example,), quant_config=QuantConfig(pt2e_quantizer=quantizer)
        ).export(str(path))
        out[f"{LITERT} int8"] = path
    return out


def side_by_side(
    runners: dict, x: np.ndarray, rounds: int, per_round: int, warmup: int = 10
) -> dict[str, float]:
    """p50 latency (ms) of each runner, timed in interleaved rounds of ``per_round`` calls."""
    samples: dict[str, list[float]] = {k: [] for k in runners}
    for r in runners.values():
        for _ in range(warmup):
            r.run(x)
    for _ in range(rounds):
        for name, r in runners.items():
            for _ in range(per_round):
                t0 = time.perf_counter()
                r.run(x)
                samples[name].append((time.perf_counter() - t0) * 1000.0)
    return {k: float(np.median(v)) for k, v in samples.items()}
