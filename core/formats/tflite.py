"""LiteRT (TensorFlow Lite) ``.tflite``: converted with litert-torch, run in ai-edge-litert.

litert-torch 0.10 re-exports the working module with torch.export and lowers it through
StableHLO to a TFLite flatbuffer (one ``serving_default`` signature; inputs ``args_0``...,
outputs ``output_0``... in the model's order; int64 tensors become int32, as TFLite kernels
want). The optional extra ``.[litert]`` installs both packages: without it the format says so
and ``tune`` skips it.

Quantization (``_litert_quant.py``):

- ``int8-static``: PT2E with litert-torch's quantizer (symmetric per-channel int8 weights,
  int8 activations) calibrated on the recipe's data, converted with its quant config. The
  model's inputs and outputs are int8 too (a full-integer model): the runner and the apps
  quantize inputs and dequantize outputs with each tensor's scale and zero point.
  Chosen over ai-edge-quantizer's ``static_wi8_ai8`` on the written float model: on the
  digits demo both keep 98.1 % top-1, but the PT2E model's largest logit error is 2.8 against
  10.8 (its calibration observes the torch graph, and ``keep_fp32`` / the sensitivity table
  work the same as for ExecuTorch).
- ``int8-dynamic``: ai-edge-quantizer ``dynamic_wi8_afp32`` (int8 per-channel weights,
  activations quantized at run time by the kernels) on the written file.
- ``int8-weight-only``: ai-edge-quantizer ``weight_only_wi8_afp32`` (int8 weights dequantized
  before float kernels: smaller file, float compute).
- ``fp16``: ai-edge-quantizer float casting of the weights to float16 (half the size; XNNPACK
  computes in float32 on this host, and may use fp16 kernels on phones).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from deploy_studio.core.errors import ExportError
from deploy_studio.core.formats.contract import Artifact, Format, QuantizerPlan, lazy
from deploy_studio.core.registry import FORMATS

_QUANT = "deploy_studio.core.formats._litert_quant"


@FORMATS.register("tflite")
class TfliteFormat(Format):
    label = "LiteRT (.tflite)"
    help = "LiteRT (TensorFlow Lite) flatbuffer for Android, iOS and the Web (litert-torch)"
    suffix = ".tflite"
    runtime = "litert"
    converters = ("export",)
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {
        "int8-static": QuantizerPlan(
            "PT2E + litert-torch's quantizer (per-channel int8 weights, int8 activations and I/O)",
            prepare=lazy(f"{_QUANT}:int8_static"),
            no_keep_fp32=(
                "LiteRT's converter turns a float layer between int8 tensors into an int8 one"
            ),
        ),
        "int8-dynamic": QuantizerPlan(
            "ai-edge-quantizer dynamic range (int8 weights, int8 compute at run time)",
            prepare=lazy(f"{_QUANT}:dynamic_note"),
            finish=lazy(f"{_QUANT}:dynamic"),
            needs_module=False,
        ),
        "int8-weight-only": QuantizerPlan(
            "ai-edge-quantizer weight-only (int8 weights, float compute)",
            prepare=lazy(f"{_QUANT}:weight_only_note"),
            finish=lazy(f"{_QUANT}:weight_only"),
            needs_module=False,
        ),
        "fp16": QuantizerPlan(
            "ai-edge-quantizer float16 weights",
            prepare=lazy(f"{_QUANT}:fp16_note"),
            finish=lazy(f"{_QUANT}:fp16"),
            needs_module=False,
        ),
    }
    packages = ("litert-torch", "ai-edge-litert", "ai-edge-quantizer")
    extra = "litert"

    def write(self, ctx, path) -> Artifact:
        path = Path(path)
        missing = self.missing()
        if missing:
            raise ExportError(missing, f'pip install -e ".[{self.extra}]" in the checkout')
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # the converter's C++ info logs
        import litert_torch

        ctx.reporter.progress("convert to LiteRT", 0.1)
        sig = ctx.signature
        args = sig.export_inputs(ctx.inputs)
        from deploy_studio.core.formats._litert_quant import quant_config

        quant = quant_config(ctx)
        tmpdir = Path(tempfile.mkdtemp(prefix=".tflite.", dir=path.parent))
        try:
            with _quiet_converter():
                model = litert_torch.convert(
                    ctx.module,  # in eval mode (a PT2E-quantized graph after int8-static)
                    args,
                    quant_config=quant,
                    dynamic_shapes=sig.dynamic_shapes(ctx.module),
                )
                tmp = tmpdir / path.name
                model.export(str(tmp))
            ctx.reporter.progress("convert to LiteRT", 0.9)
            os.replace(tmp, path)
        except ExportError:
            raise
        except Exception as e:  # noqa: BLE001
            from deploy_studio.core.converters._diagnose import conversion_error

            err = conversion_error(
                "LiteRT conversion (litert-torch)",
                e,
                '"export" after rewriting that op, or format = "onnx" / "pte"',
            )
            raise ExportError(err.message, err.hint, op=err.op) from None
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        notes = ["converted with litert-torch (int64 tensors run as int32)"]
        return Artifact(self.key, path, [path], self.runtime, notes)


@contextlib.contextmanager
def _quiet_converter():
    """litert-torch prints a progress tree and absl logs: keep them out of the user's terminal."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        root.setLevel(level)
