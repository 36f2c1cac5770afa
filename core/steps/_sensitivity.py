"""Per-layer int8 sensitivity: quantize one layer at a time and measure what it costs.

Each Conv/Linear layer is quantized alone (PT2E + XNNPACKQuantizer: the int8-static recipe of
the pte format's default delegate, whatever the variant's format) and the result is compared
with the float model on held-out samples: top-1 accuracy, its drop, the largest absolute
output difference, and top-1 agreement with float. The table, most sensitive first, tells
users which layers to keep in float (``keep_fp32``).
"""

from __future__ import annotations

import torch
from torch import nn

from deploy_studio.core.steps._common import batched_outputs, execution_order

CALIBRATION_CAP = 32  # per-layer calibration samples: enough for one layer's ranges


def layer_sensitivity(
    ctx, module: nn.Module, calibration: torch.Tensor, max_samples: int
) -> list[dict]:
    """Rows ``{"layer", "accuracy", "accuracy_drop", "max_abs_diff", "top1_agreement"}``.

    Parameters
    ----------
    ctx : BuildContext
        Gives the example input, held-out data and the reporter (progress per layer).
    module : nn.Module
        The float model (not changed).
    calibration : torch.Tensor
        Calibration samples (the first ``CALIBRATION_CAP`` are used per layer).
    max_samples : int
        How many held-out samples each layer is measured on.

    Returns
    -------
    list of dict
        Sorted by accuracy drop (then output error), largest first. ``accuracy`` and
        ``accuracy_drop`` are None when the data has no labels.
    """
    from deploy_studio.core.formats.pte_delegates import xnnpack_quantizer
    from deploy_studio.core.quantizers import capture, pt2e_quantize

    x, y = ctx.eval_tensors()
    if len(x) == 0:
        x, y = calibration, None
    x = x[:max_samples]
    y = y[:max_samples] if y is not None else None
    reference = batched_outputs(module, x)
    ref_top1 = reference.argmax(1)
    float_acc = float((ref_top1 == y).float().mean()) if y is not None else None
    layers = execution_order(module, ctx.example)
    layers = list(dict.fromkeys(layers))  # each layer once, in execution order
    calib = calibration[:CALIBRATION_CAP]
    captured = capture(module, ctx.example)  # once; copied per layer
    rows = []
    for i, name in enumerate(layers):
        ctx.reporter.progress("quantization sensitivity", i / max(1, len(layers)), name)
        quantized = pt2e_quantize(captured, ctx.example, calib, xnnpack_quantizer(only=name))
        out = batched_outputs(quantized, x, batch1=True)
        top1 = out.argmax(1)
        acc = float((top1 == y).float().mean()) if y is not None else None
        rows.append(
            {
                "layer": name,
                "accuracy": acc,
                "accuracy_drop": (float_acc - acc)
                if acc is not None and float_acc is not None
                else None,
                "max_abs_diff": float((out - reference).abs().max()),
                "top1_agreement": float((top1 == ref_top1).float().mean()),
            }
        )
    ctx.reporter.progress("quantization sensitivity", 1.0)
    rows.sort(key=lambda r: (-float(r["accuracy_drop"] or 0.0), -float(r["max_abs_diff"] or 0.0)))
    return rows
