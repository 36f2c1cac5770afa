"""The original (or optimized) model as is: weights saved as a state_dict, run in PyTorch."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from typing import ClassVar

from deploy_studio.core.formats.contract import (
    FLOAT16,
    TORCHAO_INT8_DYNAMIC,
    Artifact,
    Format,
    QuantizerPlan,
    lazy,
)
from deploy_studio.core.fsutil import atomic_path
from deploy_studio.core.registry import FORMATS


@FORMATS.register("eager")
class EagerFormat(Format):
    label = "PyTorch eager"
    help = "the model in PyTorch (baseline)"
    suffix = ".pt"
    runtime = "eager"
    converters = ()  # the module as it is: no converter
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {
        "int8-dynamic": TORCHAO_INT8_DYNAMIC,
        "int8-weight-only": QuantizerPlan(
            "torchao int8 per-channel weight-only",
            prepare=lazy("deploy_studio.core.quantizers:torchao_weight_only"),
        ),
        "fp16": FLOAT16,
    }
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-static": "PT2E int8 graphs only simulate int8 in eager PyTorch"
    }
    packages = ("torchao",)

    def write(self, ctx, path) -> Artifact:
        import torch

        module = ctx.module
        with atomic_path(path) as tmp:
            if ctx.model.kind == "lite":
                shutil.copyfile(ctx.model.spec.source, tmp)
            elif isinstance(module, torch.jit.ScriptModule):
                torch.jit.save(module, str(tmp))
            else:
                torch.save(module.state_dict(), tmp)
        return Artifact(
            self.key, path, [path], self.runtime, ["size is the saved weights (state_dict)"]
        )
