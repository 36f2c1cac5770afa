"""Module-side quantizers the formats' plans share (see ``core/formats/contract.py``).

Each ``prepare(ctx, module, options)`` here changes the working PyTorch module before
conversion and says what it did in ``ctx.notes``: fp16 between float32 casts, torchao int8
dynamic and weight-only. PT2E (:func:`capture`, :func:`pt2e_quantize`) is the int8-static
path an ExecuTorch delegate's quantizer plugs into; :func:`calibration_note` tells users what
the int8 ranges were calibrated on.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import torch
from torch import nn

from deploy_studio.core.errors import RecipeError


@contextlib.contextmanager
def quiet():
    """Silence library deprecation chatter that users cannot act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def pt2e_on_context(ctx, module, quantizer, calibration=None, fold_quantize: bool = True):
    """PT2E-quantize ``module`` for the build ``ctx`` (its example inputs, signature, dynamic
    shapes and reporter) into ``ctx.module``; ``calibration`` defaults to the context's
    calibration samples. Returns the calibration used."""
    calibration = ctx.calibration_inputs() if calibration is None else calibration
    sig = ctx.signature
    ctx.module = pt2e_quantize(
        module,
        sig.export_inputs(ctx.inputs),
        calibration,
        quantizer,
        ctx.reporter,
        dynamic_shapes=sig.dynamic_shapes(module),
        fold_quantize=fold_quantize,
    )
    return calibration


def calibration_note(ctx, n: int) -> str:
    """What ``n`` calibration samples were (real data, or the random source's noise)."""
    if ctx.dataset.name == "random":
        return (
            f"calibrated on {n} samples of random data (the 'random' data source): int8 "
            "ranges may not match real inputs, so accuracy after quantization is unknown"
        )
    return f"calibrated on {n} real samples from the training side of {ctx.dataset.name}"


# --- fp16 ----------------------------------------------------------------------------------


class Float16Module(nn.Module):
    """Runs ``inner`` in float16 between a float32->float16 cast and a cast back.

    Apps and runtimes keep passing float32 tensors; the artifact holds float16 weights.
    (One float input and one tensor output: scriptable. :class:`Float16Inputs` serves
    every other signature.)
    """

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = copy.deepcopy(inner).half().eval()

    def forward(self, x):
        return self.inner(x.to(torch.float16)).to(torch.float32)


class Float16Inputs(Float16Module):
    """:class:`Float16Module` for several inputs and any output structure: float32 inputs
    are cast to float16 (int and bool inputs pass as they are), every float16 output back
    to float32."""

    def forward(self, *xs):
        from torch.utils import _pytree as pytree

        out = self.inner(*(x.to(torch.float16) if x.dtype == torch.float32 else x for x in xs))
        return pytree.tree_map(
            lambda t: t.to(torch.float32) if t.dtype == torch.float16 else t, out
        )


def float16(ctx, module: nn.Module, options: dict) -> None:
    """fp16: the model in float16 between casts of its float32 input and output."""
    sig = ctx.signature
    simple = len(sig.inputs) == 1 and sig.inputs[0].dtype == "float32" and len(sig.outputs) <= 1
    ctx.module = Float16Module(module) if simple else Float16Inputs(module)
    ctx.notes.append(
        "fp16: weights and compute in float16; input and output stay float32"
        if simple
        else "fp16: weights and compute in float16; float inputs and outputs stay float32"
    )


# --- torchao int8 --------------------------------------------------------------------------


def torchao_int8(module: nn.Module, kind: str) -> None:
    """torchao ``quantize_`` in place: ``kind`` is ``"dynamic"`` or ``"weight-only"``."""
    from torchao.quantization import (
        Int8DynamicActivationIntxWeightConfig,
        IntxWeightOnlyConfig,
        quantize_,
    )
    from torchao.quantization.granularity import PerAxis

    if kind == "dynamic":
        config = Int8DynamicActivationIntxWeightConfig(
            weight_dtype=torch.int8, weight_granularity=PerAxis(0)
        )
    else:
        config = IntxWeightOnlyConfig(weight_dtype=torch.int8, granularity=PerAxis(0))
    if not any(isinstance(m, nn.Linear) for m in module.modules()):
        raise RecipeError(
            f"torchao int8 {kind} quantization changes Linear layers, and this model has none",
            'use mode = "int8-static" (quantizes convolutions too)',
        )
    with quiet():
        quantize_(module, config)


def torchao_dynamic(ctx, module: nn.Module, options: dict) -> None:
    """int8-dynamic: int8 per-channel Linear weights, activations quantized at run time."""
    torchao_int8(module, "dynamic")
    ctx.module = module
    ctx.notes.append(
        "int8 dynamic (torchao): int8 per-channel Linear weights, activations quantized at "
        "run time; convolutions stay float"
    )


def torchao_weight_only(ctx, module: nn.Module, options: dict) -> None:
    """int8-weight-only: int8 per-channel weights, float compute."""
    torchao_int8(module, "weight-only")
    ctx.module = module
    ctx.notes.append("int8 weight-only (torchao): int8 weights, float compute")


# --- PT2E (int8-static) --------------------------------------------------------------------


def _tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def capture(module: nn.Module, example, dynamic_shapes=None) -> torch.fx.GraphModule:
    """torch.export a module for PT2E quantization (``example``: one tensor or one per
    input; ``dynamic_shapes`` as torch.export takes them); failures become the same clean
    message the export converter gives (the op, the user's line, what to try)."""
    from deploy_studio.core.converters._diagnose import conversion_error

    try:
        return torch.export.export(module, _tuple(example), dynamic_shapes=dynamic_shapes).module()
    except Exception as e:  # noqa: BLE001 - every export failure becomes a user message
        err = conversion_error(
            "torch.export (needed by int8-static quantization)",
            e,
            '"trace" with format = "ptl" and mode = "int8-dynamic", or no quantize step',
        )
        raise type(err)(err.message, err.hint, op=err.op) from None


def pt2e_quantize(
    module,
    example,
    calibration,
    quantizer,
    reporter=None,
    stage: str = "calibrate",
    dynamic_shapes=None,
    fold_quantize: bool = True,
):
    """PT2E: export (batch 1), prepare, calibrate one sample at a time, convert.

    ``module`` is an nn.Module, or a GraphModule already captured with
    ``torch.export.export(...).module()`` (it is copied, not changed). ``example`` is one
    tensor or a tuple of one per input; ``calibration`` likewise, with the samples on the
    first axis (sample ``i`` of every input is fed together). Returns the converted
    GraphModule (q/dq ops around float ops, which a delegate lowers to int8 kernels).
    ``reporter.progress`` is called per sample and may raise Cancelled. ``fold_quantize=False``
    keeps weights as float constants followed by quantize ops (litert-torch needs that).
    """
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    with quiet():
        graph = (
            copy.deepcopy(module)
            if isinstance(module, torch.fx.GraphModule)
            else capture(module, example, dynamic_shapes)
        )
        prepared = prepare_pt2e(graph, quantizer)
    batches = _tuple(calibration)
    n = len(batches[0])
    with torch.no_grad():
        for i in range(n):
            prepared(*(b[i : i + 1] for b in batches))
            if reporter is not None:
                reporter.progress(stage, (i + 1) / n)
    with quiet():
        return convert_pt2e(prepared, fold_quantize=fold_quantize)
