"""torch.jit.trace: records the ops run on the example input (TorchScript, deprecated upstream)."""

from __future__ import annotations

import torch

from deploy_studio.core.converters._torchscript import to_torchscript
from deploy_studio.core.registry import CONVERTERS


@CONVERTERS.register(
    "trace", label="torch.jit.trace", help="TorchScript by tracing (for .ptl apps)"
)
class TraceConverter:
    @staticmethod
    def convert(ctx):
        return to_torchscript(
            ctx,
            "trace",
            lambda m, x: torch.jit.trace(m, x, check_trace=False),
            '"export" or "script"',
        )
