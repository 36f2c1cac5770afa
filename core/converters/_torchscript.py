"""What trace and script share: reuse a ScriptModule as is, silence deprecation noise, explain
failures, and check that a trace did not freeze a branch of the user's code.

``torch.jit.trace`` records the ops one example input runs: Python control flow on tensor
values (``if x.sum() > 0``) is frozen to the branch that example took, and every other input
then silently gets the wrong answer. After tracing, the traced module is compared with the
eager one on several different inputs (real samples and noise); when they diverge, the trace
fails with the line of the user's code that torch flagged (its TracerWarning).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from deploy_studio.core.converters._diagnose import conversion_error
from deploy_studio.core.errors import ConversionError

CHECK_INPUTS = 6


def to_torchscript(ctx, how: str, make: Callable, alternatives: str):
    """Convert ``ctx.module`` with ``make(module, inputs)`` (``ctx.inputs``, a tuple of one
    tensor per input); a ScriptModule passes through."""
    stage = f"convert ({how})"
    ctx.reporter.progress(stage, 0.0)
    module = ctx.module
    if isinstance(module, torch.jit.ScriptModule):
        return module
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            converted = make(module, tuple(ctx.inputs))
    except Exception as e:  # noqa: BLE001 - every failure becomes a user message
        raise conversion_error(f"torch.jit.{how}", e, alternatives) from None
    if how == "trace":
        check_trace(ctx, module, converted, caught)
        if ctx.signature.has_dynamic:
            ctx.notes.append(
                "torch.jit.trace records the example's sizes: the declared dynamic dimensions "
                "are not guaranteed in this artifact (measured at the declared shapes)"
            )
    ctx.reporter.progress(stage, 1.0)
    return converted


def _check_inputs(ctx) -> list[tuple]:
    """Input tuples to compare the trace with the module on: the example, real samples, and
    noise in every float input (int and bool inputs keep the example's values)."""
    examples = tuple(ctx.inputs)
    xs = [examples]
    try:
        cal = ctx.calibration_inputs(CHECK_INPUTS)
        xs += [tuple(c[i : i + 1] for c in cal) for i in range(len(cal[0]))]
    except Exception:  # noqa: BLE001 - no data: noise alone still exercises other branches
        pass
    g = torch.Generator().manual_seed(1)
    for s in (1.0, 3.0):
        xs.append(
            tuple(
                torch.randn(x.shape, generator=g) * s if x.is_floating_point() else x
                for x in examples
            )
        )
    return [
        tuple(v.to(e.dtype) for v, e in zip(x, examples, strict=True))
        for x in xs
        if all(v.shape == e.shape for v, e in zip(x, examples, strict=True))
    ]


def _leaves(out) -> list[torch.Tensor] | None:
    """Every flattened output as a float tensor (None when one is not a tensor)."""
    from torch.utils import _pytree as pytree

    leaves = pytree.tree_leaves(out)
    if not leaves or not all(isinstance(v, torch.Tensor) for v in leaves):
        return None
    return [v.float() for v in leaves]


def check_trace(ctx, module, traced, caught) -> None:
    """Raise ConversionError when ``traced`` and ``module`` disagree on any check input."""
    worst = 0.0
    for x in _check_inputs(ctx):
        with torch.no_grad():
            a, b = _leaves(module(*x)), _leaves(traced(*x))
        if (
            a is None
            or b is None
            or len(a) != len(b)
            or any(u.shape != v.shape for u, v in zip(a, b, strict=True))
        ):
            worst = float("inf")
            break
        for u, v in zip(a, b, strict=True):
            if u.numel():
                tol = 1e-4 * (1.0 + float(u.abs().max()))
                worst = max(worst, float((u - v).abs().max()) / tol)
    if worst <= 1.0:
        return
    tracer = [w for w in caught if issubclass(w.category, torch.jit.TracerWarning)]
    where = [
        f"{w.filename}:{w.lineno}: {str(w.message).splitlines()[0][:160]}"
        for w in tracer
        if "site-packages" not in w.filename and "/torch/" not in w.filename
    ]
    if not where and tracer:
        where = [str(tracer[0].message).splitlines()[0][:200]]
    raise ConversionError(
        "torch.jit.trace froze one branch of the model's code: the traced model gives different "
        "outputs than the model itself on other inputs"
        + (f" (torch warned at {where[0]})" if where else ""),
        'control flow that depends on tensor values cannot be traced; use convert = "script" '
        "(keeps the branch), or rewrite it with torch.where",
    )


__all__ = ["check_trace", "to_torchscript"]
