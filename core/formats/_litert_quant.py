"""The tflite format's quantizers (see ``tflite.py`` for what each mode does and why).

int8-static runs before conversion (PT2E on the working module with litert-torch's quantizer;
:func:`quant_config` tells the converter so); the other modes rewrite the
written float ``.tflite`` with ai-edge-quantizer.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from deploy_studio.core.errors import ExportError
from deploy_studio.core.quantizers import calibration_note


def litert_quantizer():
    """litert-torch's PT2E quantizer: symmetric per-channel int8 weights, static int8
    activations. (No keep_fp32: the converter quantizes a float layer found between int8
    tensors, so a layer left unannotated here still ends up int8.)"""
    from litert_torch.quantize.pt2e_quantizer import (
        PT2EQuantizer,
        get_symmetric_quantization_config,
    )

    config = get_symmetric_quantization_config(is_per_channel=True, is_dynamic=False)
    return PT2EQuantizer().set_global(config)


def int8_static(ctx, module, options: dict) -> None:
    """prepare: PT2E-quantize ``module`` calibrated sample by sample on the training side."""
    from deploy_studio.core.quantizers import pt2e_on_context

    calibration = pt2e_on_context(ctx, module, litert_quantizer(), fold_quantize=False)
    ctx.notes.append(
        calibration_note(ctx, len(calibration[0]))
        + " (PT2E, litert-torch per-channel int8; int8 inputs and outputs)"
    )


def quant_config(ctx):
    """litert-torch's quant config for the converter: it tells it that ``ctx.module`` is a
    PT2E static graph (to lower q/dq pairs to int8 kernels); None for a float module."""
    if (ctx.quantization or {}).get("mode") != "int8-static":
        return None
    from litert_torch.quantize.quant_config import QuantConfig

    return QuantConfig(pt2e_quantizer=litert_quantizer())


def dynamic_note(ctx, module, options: dict) -> None:
    ctx.notes.append(
        "int8 dynamic range (ai-edge-quantizer): int8 weights, int8 compute at run time"
    )


def weight_only_note(ctx, module, options: dict) -> None:
    ctx.notes.append("int8 weight-only (ai-edge-quantizer): int8 weights, float compute")


def fp16_note(ctx, module, options: dict) -> None:
    ctx.notes.append("float16 weights (ai-edge-quantizer float casting)")


def _recipe(mode: str):
    from ai_edge_quantizer import qtyping, recipe, recipe_manager
    from ai_edge_quantizer.quantizer import AlgorithmName

    if mode == "int8-dynamic":
        return recipe.dynamic_wi8_afp32()
    if mode == "int8-weight-only":
        return recipe.weight_only_wi8_afp32()
    manager = recipe_manager.RecipeManager()
    manager.add_weight_only_config(
        regex=".*",
        operation_name=qtyping.TFLOperationName.ALL_SUPPORTED,
        num_bits=16,
        algorithm_key=AlgorithmName.FLOAT_CASTING,
    )
    return manager.get_quantization_recipe()


def _rewrite(artifact, ctx, mode: str):
    """Quantize the written float model with ai-edge-quantizer's recipe for ``mode``."""
    from ai_edge_quantizer.quantizer import Quantizer

    from deploy_studio.core.fsutil import write_bytes_atomic

    path = Path(artifact.path)
    ctx.reporter.progress(f"quantize LiteRT ({mode})", 0.2)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            quantizer = Quantizer(path.read_bytes(), _recipe(mode))
            result = quantizer.quantize(enable_progress_report=False)
    except Exception as e:  # noqa: BLE001
        raise ExportError(
            f"ai-edge-quantizer could not apply {mode} to {path.name}: {str(e).strip()[:300]}",
            'try mode = "int8-static", or no quantize step for this variant',
        ) from None
    write_bytes_atomic(path, bytes(result.quantized_model))
    return artifact


def dynamic(artifact, ctx, options: dict):
    return _rewrite(artifact, ctx, "int8-dynamic")


def weight_only(artifact, ctx, options: dict):
    return _rewrite(artifact, ctx, "int8-weight-only")


def fp16(artifact, ctx, options: dict):
    return _rewrite(artifact, ctx, "fp16")
