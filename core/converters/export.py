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
        """Export ``ctx.module`` at ``ctx.inputs``, with the signature's dynamic dimensions
        (``dynamic_shapes``: the artifact accepts every size in their ranges)."""
        ctx.reporter.progress("convert (torch.export)", 0.0)
        sig = ctx.signature
        try:
            ep = torch.export.export(
                ctx.module,
                sig.export_inputs(ctx.inputs),
                dynamic_shapes=sig.dynamic_shapes(ctx.module),
            )
        except Exception as e:  # noqa: BLE001 - every failure becomes a user message
            from deploy_studio.core.errors import ConversionError
            from deploy_studio.core.models.validate import dynamic_problem

            problem = dynamic_problem(e, sig)
            if problem is not None:
                raise ConversionError(problem.message, problem.hint) from None
            raise conversion_error("torch.export", e, '"trace" or "script"') from None
        if sig.has_dynamic:
            ctx.notes.append(
                "dynamic dimensions kept: "
                + ", ".join(
                    f"{i.name} dim {d} in {lo}..{hi}"
                    for i in sig.inputs
                    for d, (lo, hi) in sorted(i.dynamic.items())
                )
            )
        ctx.reporter.progress("convert (torch.export)", 1.0)
        return ep
