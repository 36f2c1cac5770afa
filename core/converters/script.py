"""torch.jit.script: compiles the model's Python code (keeps control flow; TorchScript)."""

from __future__ import annotations

import warnings

import torch

from core.converters._diagnose import conversion_error
from core.registry import CONVERTERS


@CONVERTERS.register("script", label="torch.jit.script", help="TorchScript by compiling the code (keeps control flow)")
class ScriptConverter:
    @staticmethod
    def convert(ctx):
        ctx.reporter.progress("convert (script)", 0.0)
        module = ctx.module
        if isinstance(module, torch.jit.ScriptModule):
            return module
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                scripted = torch.jit.script(module)
        except Exception as e:  # noqa: BLE001
            raise conversion_error("torch.jit.script", e, '"export" or "trace"') from None
        ctx.reporter.progress("convert (script)", 1.0)
        return scripted
