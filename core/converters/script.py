"""torch.jit.script: compiles the model's Python code (keeps control flow; TorchScript)."""

from __future__ import annotations

import torch

from deploy_studio.core.converters._torchscript import to_torchscript
from deploy_studio.core.registry import CONVERTERS


@CONVERTERS.register(
    "script",
    label="torch.jit.script",
    help="TorchScript by compiling the code (keeps control flow)",
)
class ScriptConverter:
    @staticmethod
    def convert(ctx):
        return to_torchscript(
            ctx, "script", lambda m, x: torch.jit.script(m), '"export" or "trace"'
        )
