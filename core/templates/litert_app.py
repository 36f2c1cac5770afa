"""What the Android LiteRT app needs to know about its ``model.tflite`` beyond the file.

LiteRT 2.3's Kotlin ``CompiledModel`` API reads and writes tensor buffers by signature and
name but exposes no quantization parameters, so the app cannot find an int8 tensor's scale
and zero point on the phone. Core reads them here at export, with the desktop's own runner
(:class:`~deploy_studio.core.runtimes.litert_rt.LiteRtRunner`: ai-edge-litert 2.3's
interpreter, the ``serving_default`` signature, inputs ``args_0``... and outputs
``output_0``... in the model's order), and the template writes them into
``LiteRtTensors.kt``; the app quantizes and dequantizes exactly as the runner does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deploy_studio.core.errors import TemplateError
from deploy_studio.core.templates.escaping import float32_literal

APP_DTYPES = ("float32", "int32", "int64", "int8", "bool")
"""Tensor dtypes the app writes and reads (TensorBuffer's writeFloat / writeInt / writeLong /
writeInt8 / writeBoolean and their reads)."""

GPU_REASON = "LiteRT's GPU accelerator may compute in float16 (its default precision on phones)"


def _tensor(detail: dict, name: str) -> dict:
    dtype = np.dtype(detail["dtype"]).name
    if dtype not in APP_DTYPES:
        raise TemplateError(
            f"model.tflite's tensor {name!r} is {dtype}: the Android LiteRT app reads and "
            f"writes {', '.join(APP_DTYPES)} tensors",
            "declare the model's inputs as float32 / int64, or use the onnxruntime runtime",
        )
    params = detail.get("quantization_parameters") or {}
    if len(np.atleast_1d(params.get("scales", []))) > 1:
        raise TemplateError(
            f"model.tflite's tensor {name!r} is quantized per channel: the app quantizes "
            "inputs and outputs per tensor",
            "use the int8-static quantization (per-tensor int8 inputs and outputs)",
        )
    scale, zero = detail.get("quantization", (0.0, 0))
    return {
        "name": name,
        "dtype": dtype,
        "shape": [int(v) for v in detail.get("shape", [])],
        "scale": float(scale),
        "zero_point": int(zero),
        "scale_literal": float32_literal(scale),
        "quantized": bool(scale) and dtype == "int8",
    }


def litert_io(artifact: Path) -> dict:
    """``{signature, inputs, outputs}`` of a ``.tflite``: each tensor's name, dtype, shape,
    scale and zero point (0.0 / 0 when not quantized), in the model's order."""
    from deploy_studio.core.runtimes.base import quiet_native_output
    from deploy_studio.core.runtimes.litert_rt import LiteRtRunner

    with quiet_native_output():
        runner = LiteRtRunner(Path(artifact), 1)
    try:
        signatures = runner.interpreter.get_signature_list()
        key = "serving_default" if "serving_default" in signatures else next(iter(signatures))
        return {
            "signature": key,
            "inputs": [
                _tensor(d, n) for n, d in zip(runner.input_names, runner.inputs, strict=True)
            ],
            "outputs": [
                _tensor(d, n) for n, d in zip(runner.output_names, runner.outputs, strict=True)
            ],
        }
    finally:
        runner.close()


def litert_context(bundle, spec, variables: dict) -> dict | None:
    """The ``litert`` template variable of a LiteRT app (None for other runtimes): the
    model's signature, tensors (:func:`litert_io`) and ``accelerator`` (``cpu`` | ``gpu``)."""
    if spec.format != "tflite":
        return None
    accelerator = str(variables.get("litert_accelerator") or "cpu")
    if accelerator not in ("cpu", "gpu"):
        raise TemplateError(
            f"litert_accelerator = {accelerator!r} is not an accelerator the app offers",
            "use cpu or gpu",
        )
    return {**litert_io(Path(bundle.artifact)), "accelerator": accelerator}


def gpu_tolerance(expected: dict) -> dict:
    """expected.json for an app that runs on LiteRT's GPU accelerator: an fp32 variant's
    absolute bound becomes the relative one (same top-1, max |diff| within a fraction of the
    logit range) with the reason; a quantized variant's relative bound stays, its reason
    names the GPU too. A task app's agreement floor drops to the quantized programs' one."""
    from deploy_studio.core.templates.tolerance import AGREEMENT_OTHER, RELATIVE_TOLERANCE

    out = dict(expected)
    tol = out.get("tolerance")
    if isinstance(tol, dict):
        if tol.get("kind") == "absolute":
            values = _finite(out)
            span = float(max(values) - min(values)) if values else 0.0
            rel = RELATIVE_TOLERANCE
            out["tolerance"] = {
                "kind": "top1+relative",
                "abs": max(rel * span, float(tol.get("abs") or 0.0)),
                "rel": rel,
                "reason": (
                    f"{GPU_REASON}; the top-1 must be the desktop's and max |diff| <= "
                    f"{rel:.2g} x the logit range ({rel * span:.3g}) [on the CPU: "
                    f"{tol.get('reason')}]"
                ),
            }
        else:
            out["tolerance"] = {**tol, "reason": f"{GPU_REASON}; {tol.get('reason')}"}
    agreement = out.get("agreement")
    if isinstance(agreement, dict):
        out["agreement"] = {
            **agreement,
            "min": min(float(agreement.get("min", 1.0)), AGREEMENT_OTHER),
            "reason": f"{GPU_REASON}; {agreement.get('reason')}",
        }
    return out


def _finite(expected: dict) -> list[float]:
    """The values the self-test compares: the logits, else the task output's."""
    values = expected.get("logits")
    if not values:
        outputs = expected.get("outputs") or []
        at = int(expected.get("task_output") or 0)
        values = outputs[at].get("data") if at < len(outputs) else []
    return [float(v) for v in values or [] if np.isfinite(v)]
