"""How far an app's self-test may be from the desktop's outputs on the bundled sample, per
variant: derived from what the desktop measured (parity, steps, format) and written into
expected.json with its reason."""

from __future__ import annotations

# The self-test tolerance of a quantized / float16 program: its logits may move by this
# fraction of the sample's logit range on the phone (other int8 kernels on ARM than on x86,
# float16 on a GPU or Neural Engine) while its top-1 must stay the desktop's.
RELATIVE_TOLERANCE = 0.25
# fp32 programs: this many times the max |diff| vs the original measured on the desktop, and
# never below ABSOLUTE_FLOOR (float32 kernels differ in summation order between CPUs).
ABSOLUTE_FACTOR = 10.0
ABSOLUTE_FLOOR = 1e-3


# Segmentation / detection apps: the pixel or matched-box agreement with the desktop their
# self-test needs (fp32 variants; other precisions).
AGREEMENT_FP32 = 0.99
AGREEMENT_OTHER = 0.95


def precision_of(row: dict) -> str | None:
    """What makes this variant's numbers differ by more than float32 rounding, or None."""
    for step in row.get("steps") or []:
        if step.get("kind") == "quantize":
            return str(step.get("mode") or "int8-static")
    if row.get("format") == "coreml" or "coreml" in (row.get("delegates") or []):
        return "coreml"
    if "vulkan" in (row.get("delegates") or []):
        return "vulkan"
    provider = row.get("execution_provider")  # an ONNX Runtime app's provider (not CPU)
    if provider and provider != "cpu":
        return f"fp32 on {provider}"
    return None


def selftest_tolerance(row: dict, logits: list[float]) -> dict:
    """How far the app's logits for the sample may be from ``logits`` (the desktop's), derived
    from what the desktop measured for ``row`` (its parity, steps and format).

    Returns ``{"kind", "abs", "rel", "reason"}`` (written into expected.json): ``kind``
    ``"absolute"`` (fp32: same top-1 and max |diff| <= ``abs``) or ``"top1+relative"`` (int8,
    float16, Core ML: same top-1 and max |diff| <= ``rel`` x the logit range = ``abs``).
    """
    parity = row.get("parity") or {}
    measured = parity.get("max_abs_diff")
    snr, agreement = parity.get("snr_db"), parity.get("top1_agreement")
    desktop = []
    if measured is not None:
        desktop.append(f"max |diff| vs the original {measured:.2g}")
    if snr is not None:
        desktop.append(f"SNR {snr:.1f} dB")
    if agreement is not None:
        desktop.append(f"top-1 agreement {agreement:.0%}")
    measured_text = f" (desktop: {', '.join(desktop)})" if desktop else ""
    precision = precision_of(row)
    if precision is None:
        bound = max(ABSOLUTE_FLOOR, ABSOLUTE_FACTOR * float(measured or 0.0))
        return {
            "kind": "absolute",
            "abs": bound,
            "rel": None,
            "reason": (
                f"fp32 {row.get('format')} program: max |diff| <= {bound:.2g} "
                f"({ABSOLUTE_FACTOR:g} x the desktop's max |diff| vs the original, at least "
                f"{ABSOLUTE_FLOOR:g}){measured_text}"
            ),
        }
    span = float(max(logits) - min(logits)) if logits else 0.0
    rel = RELATIVE_TOLERANCE
    if measured is not None and span > 0 and 2 * measured > rel * span:
        rel = min(1.0, 2 * float(measured) / span)  # twice what the desktop already saw
    why = {
        "coreml": "Core ML may run in float16 on the GPU / Neural Engine",
        "fp16": "float16 kernels differ between devices",
        "vulkan": "GPU shaders (Vulkan) round differently from the desktop's CPU kernels and "
        "the program was not run here",
    }.get(
        precision,
        "int8 kernels differ between x86 and ARM ("
        + ("LiteRT's XNNPACK" if row.get("format") == "tflite" else "XNNPACK, ONNX Runtime")
        + ")",
    )
    provider = row.get("execution_provider")
    if provider and provider != "cpu":  # the app adds an execution provider (with CPU fallback)
        from deploy_studio.core.templates.providers import LABELS, WHY_LOOSER

        looser = WHY_LOOSER.get(provider, f"the {provider} execution provider differs from CPU")
        if precision.startswith("fp32 on "):
            precision, why = "fp32", looser
        else:
            why += f"; {looser}"
        why += f" (the app adds the {LABELS.get(provider, provider)} execution provider)"
    return {
        "kind": "top1+relative",
        "abs": rel * span,
        "rel": rel,
        "reason": (
            f"{precision} {row.get('format')} program: {why}; the top-1 must be the desktop's "
            f"and max |diff| <= {rel:.2g} x the logit range ({rel * span:.3g}){measured_text}"
        ),
    }
