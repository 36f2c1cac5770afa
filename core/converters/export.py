"""torch.export: the default converter (ExecuTorch, ONNX and Core ML start from it)."""

from __future__ import annotations

import torch

from deploy_studio.core.converters._diagnose import conversion_error
from deploy_studio.core.registry import CONVERTERS


@CONVERTERS.register(
    "export", label="torch.export", help="torch.export.export: the modern, supported path"
)
class ExportConverter:
    @staticmethod
    def convert(ctx) -> torch.export.ExportedProgram:
        ctx.reporter.progress("convert (torch.export)", 0.0)
        try:
            ep = torch.export.export(ctx.module, (ctx.example,))
        except Exception as e:  # noqa: BLE001 - every failure becomes a user message
            raise conversion_error("torch.export", e, '"trace" or "script"') from None
        ctx.reporter.progress("convert (torch.export)", 1.0)
        return ep
