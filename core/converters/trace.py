"""torch.jit.trace: records the ops run on the example inputs (TorchScript, deprecated upstream).

``strict=False`` lets a model return a dict or list of tensors (its outputs stay named)."""

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
            lambda m, x: torch.jit.trace(m, x, check_trace=False, strict=False),
            '"export" or "script"',
        )
