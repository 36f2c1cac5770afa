"""ONNX via ``torch.onnx.export(dynamo=True)``; an external ``.data`` file is shipped and counted."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path

from deploy_studio.core.errors import ExportError
from deploy_studio.core.pipeline.context import Artifact
from deploy_studio.core.registry import FORMATS


@FORMATS.register(
    "onnx",
    label="ONNX",
    help="ONNX model for ONNX Runtime (desktop, Android, Web)",
    suffix=".onnx",
    runtime="onnxruntime",
    converters=("export",),
)
class OnnxFormat:
    @staticmethod
    def write(ctx, path) -> Artifact:
        import torch

        path = Path(path)
        ctx.reporter.progress("export ONNX", 0.1)
        tmpdir = Path(tempfile.mkdtemp(prefix=".onnx.", dir=path.parent))
        try:
            tmp = tmpdir / path.name
            module = ctx.converted  # the ExportedProgram from the export converter
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    torch.onnx.export(
                        module,
                        (ctx.example,),
                        str(tmp),
                        dynamo=True,
                        external_data=False,
                        input_names=["input"],
                        output_names=["logits"],
                    )
                except Exception:  # noqa: BLE001 - models over 2 GB need external data
                    torch.onnx.export(
                        module,
                        (ctx.example,),
                        str(tmp),
                        dynamo=True,
                        input_names=["input"],
                        output_names=["logits"],
                    )
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
        return Artifact("onnx", path, files, "onnxruntime")
