"""torch.jit.trace: records the ops run on the example input (TorchScript, deprecated upstream)."""

from __future__ import annotations

import warnings

import torch

from core.converters._diagnose import conversion_error
from core.registry import CONVERTERS


@CONVERTERS.register("trace", label="torch.jit.trace", help="TorchScript by tracing (for .ptl apps)")
class TraceConverter:
    @staticmethod
    def convert(ctx):
        ctx.reporter.progress("convert (trace)", 0.0)
        module = ctx.module
        if isinstance(module, torch.jit.ScriptModule):
            return module
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                traced = torch.jit.trace(module, ctx.example, check_trace=False)
        except Exception as e:  # noqa: BLE001
            raise conversion_error("torch.jit.trace", e, '"export" or "script"') from None
        ctx.reporter.progress("convert (trace)", 1.0)
        return traced
