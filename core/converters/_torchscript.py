"""What trace and script share: reuse a ScriptModule as is, silence deprecation noise, explain failures."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from core.converters._diagnose import conversion_error


def to_torchscript(ctx, how: str, make: Callable, alternatives: str):
    """Convert ``ctx.module`` with ``make(module, example)``; a ScriptModule passes through."""
    stage = f"convert ({how})"
    ctx.reporter.progress(stage, 0.0)
    module = ctx.module
    if isinstance(module, torch.jit.ScriptModule):
        return module
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            converted = make(module, ctx.example)
    except Exception as e:  # noqa: BLE001 - every failure becomes a user message
        raise conversion_error(f"torch.jit.{how}", e, alternatives) from None
    ctx.reporter.progress(stage, 1.0)
    return converted
