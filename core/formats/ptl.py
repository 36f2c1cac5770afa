"""TorchScript-lite ``.ptl`` for apps still on ``pytorch_android_lite`` (TorchScript is deprecated)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import ClassVar

from deploy_studio.core.errors import ExportError
from deploy_studio.core.formats.contract import FLOAT16, Artifact, Format, QuantizerPlan
from deploy_studio.core.fsutil import atomic_path
from deploy_studio.core.registry import FORMATS


def _int8_dynamic(ctx, module, options: dict) -> None:
    """torch.ao dynamic quantization of Linear layers: the only int8 path .ptl runs."""
    import torch
    from torch import nn

    from deploy_studio.core.quantizers import quiet

    with quiet():
        from torch.ao.quantization import quantize_dynamic

        ctx.module = quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)
    ctx.notes.append(
        "int8 dynamic for the lite interpreter uses torch.ao.quantization.quantize_dynamic "
        "(deprecated, but the only int8 path .ptl runs); only Linear layers are quantized"
    )


@FORMATS.register("ptl")
class PtlFormat(Format):
    label = "TorchScript-lite (.ptl)"
    help = "for pytorch_android_lite apps (legacy)"
    suffix = ".ptl"
    runtime = "torchscript-lite"
    converters = ("trace", "script")
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {
        "int8-dynamic": QuantizerPlan(
            "torch.ao dynamic quantization of Linear layers", prepare=_int8_dynamic
        ),
        "fp16": FLOAT16,
    }
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-static": "the lite interpreter has no kernels for PT2E int8 graphs",
        "int8-weight-only": "torchao weight-only tensors cannot be traced for the lite interpreter",
    }

    def write(self, ctx, path) -> Artifact:
        ctx.reporter.progress("save lite-interpreter archive", 0.2)
        try:
            with warnings.catch_warnings(), atomic_path(path) as tmp:
                warnings.simplefilter("ignore")
                ctx.converted._save_for_lite_interpreter(str(tmp))
        except Exception as e:  # noqa: BLE001
            raise ExportError(
                f"saving the lite-interpreter archive failed: {str(e).splitlines()[0][:300]}",
                'try convert = "script" or the pte format',
            ) from None
        return Artifact(
            self.key,
            path,
            [path],
            self.runtime,
            ["TorchScript is deprecated upstream: prefer .pte for new apps"],
        )
