"""ONNX via ``torch.onnx.export(dynamo=True)``; an external ``.data`` file is shipped and counted.

Inputs and outputs are named after the model's signature (``input``/``output`` for one image
in, one tensor out; ``tokens``, ``logits``, ``out.0`` ...); dynamic dimensions stay dynamic
axes (the ExportedProgram carries them).

int8 is applied to the written file by ONNX Runtime's quantizers (``_onnx_quant.py``).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from deploy_studio.core.errors import ExportError
from deploy_studio.core.formats.contract import FLOAT16, Artifact, Format, QuantizerPlan, lazy
from deploy_studio.core.registry import FORMATS

_QUANT = "deploy_studio.core.formats._onnx_quant"


@FORMATS.register("onnx")
class OnnxFormat(Format):
    label = "ONNX"
    help = "ONNX model for ONNX Runtime (desktop, Android, Web)"
    suffix = ".onnx"
    runtime = "onnxruntime"
    converters = ("export",)
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {
        "int8-static": QuantizerPlan(
            "ONNX Runtime static QDQ (per-channel, U8S8, 7-bit weight range)",
            prepare=lazy(f"{_QUANT}:static_note"),
            finish=lazy(f"{_QUANT}:static"),
        ),
        "int8-dynamic": QuantizerPlan(
            "ONNX Runtime dynamic quantization",
            prepare=lazy(f"{_QUANT}:dynamic_note"),
            finish=lazy(f"{_QUANT}:dynamic"),
        ),
        "fp16": FLOAT16,
    }
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-weight-only": "ONNX Runtime has no int8 weight-only quantizer for these ops",
    }
    packages = ("onnx", "onnxscript", "onnxruntime")

    def write(self, ctx, path) -> Artifact:
        import torch

        path = Path(path)
        ctx.reporter.progress("export ONNX", 0.1)
        tmpdir = Path(tempfile.mkdtemp(prefix=".onnx.", dir=path.parent))
        try:
            tmp = tmpdir / path.name
            module = ctx.converted  # the ExportedProgram from the export converter
            sig = ctx.signature
            names = {
                "input_names": sig.input_names,
                "output_names": sig.output_names or None,
            }
            args = sig.export_inputs(ctx.inputs)
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    torch.onnx.export(
                        module, args, str(tmp), dynamo=True, external_data=False, **names
                    )
                except Exception:  # noqa: BLE001 - models over 2 GB need external data
                    torch.onnx.export(module, args, str(tmp), dynamo=True, **names)
            files = [path]
            data = tmpdir / (path.name + ".data")
            if data.exists():
                os.replace(data, path.with_name(path.name + ".data"))
                files.append(path.with_name(path.name + ".data"))
            os.replace(tmp, path)
        except ExportError:
            raise
        except Exception as e:  # noqa: BLE001
            from deploy_studio.core.converters._diagnose import conversion_error

            err = conversion_error(
                "ONNX export", e, '"export" after rewriting that op, or format = "pte"'
            )
            raise ExportError(err.message, err.hint, op=err.op) from None
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        return Artifact(self.key, path, files, self.runtime)
