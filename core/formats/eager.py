"""The original (or optimized) model as is: weights saved as a state_dict, run in PyTorch."""

from __future__ import annotations

import shutil

import torch

from deploy_studio.core.fsutil import atomic_path
from deploy_studio.core.pipeline.context import Artifact
from deploy_studio.core.registry import FORMATS


@FORMATS.register(
    "eager",
    label="PyTorch eager",
    help="the model in PyTorch (baseline)",
    suffix=".pt",
    runtime="eager",
    converters=None,
)
class EagerFormat:
    @staticmethod
    def write(ctx, path) -> Artifact:
        module = ctx.module
        with atomic_path(path) as tmp:
            if ctx.model.kind == "lite":
                shutil.copyfile(ctx.model.spec.source, tmp)
            elif isinstance(module, torch.jit.ScriptModule):
                torch.jit.save(module, str(tmp))
            else:
                torch.save(module.state_dict(), tmp)
        return Artifact("eager", path, [path], "eager", ["size is the saved weights (state_dict)"])
