"""The ``quantize`` step: chooses a mode; the variant's format applies it.

Modes are ``int8-static`` (calibrated int8 weights and activations), ``int8-dynamic`` (int8
weights, activations quantized at run time), ``int8-weight-only`` and ``fp16``. Each format
declares which of them it implements, and how, as a
:class:`~deploy_studio.core.formats.contract.QuantizerPlan` (``core/formats/*.py``): ExecuTorch
uses PT2E with its delegate's quantizer, ONNX uses ONNX Runtime's quantizers on the written
file, Core ML coremltools' weight quantization or fp16 compute precision. A mode the format
does not implement is rejected before work starts, naming the formats that do.

The step itself owns what is the same for every format: ``keep_fp32`` (int8-static) leaves
named layers in float; ``sensitivity = true`` measures, for int8-static, each layer's effect
when quantized alone (``ctx.state["quantize"]["sensitivity"]``); ``debug = true`` runs the
numerical debugger (``_numerics.py``): every layer's output error against float with all
layers quantized, and where it enters (``ctx.state["quantize"]["numerics"]``).
"""

from __future__ import annotations

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.formats.contract import QUANTIZE_MODES
from deploy_studio.core.registry import FORMATS, STEPS, Option
from deploy_studio.core.steps._common import unknown_layer_error, working_module

MODES = QUANTIZE_MODES

SENSITIVITY_SAMPLES = 200  # held-out samples the per-layer table is measured on

OPTIONS = [
    Option(
        "mode",
        "str",
        "int8-static",
        choices=MODES,
        help="int8-static (calibrated, fastest on XNNPACK/ONNX Runtime), int8-dynamic, "
        "int8-weight-only, or fp16",
    ),
    Option(
        "keep_fp32",
        "list[str]",
        [],
        help='int8-static: layer names (e.g. "fc2", "features.0.0") left in float to win '
        "accuracy back; see the sensitivity table",
    ),
    Option(
        "debug",
        "bool",
        False,
        help="int8-static: the numerical debugger: each layer's output error against float "
        "(SNR, cosine) in graph order as it accumulates, and the layers where it enters",
    ),
    Option(
        "sensitivity",
        "bool",
        False,
        help="int8-static: measure each layer's accuracy and output error when it alone is "
        "quantized (slower build)",
    ),
]


def _supporting(mode: str) -> list[str]:
    """The formats that implement ``mode`` with their default options, in registry order."""
    return [e.key for e in FORMATS.entries() if e.obj.quantizer(mode, e.obj.resolve_options({}))]


@STEPS.register(
    "quantize",
    order=30,
    label="Quantize",
    help="Store weights (and activations) in int8 or float16: smaller and usually faster.",
    options=OPTIONS,
)
class Quantize:
    """The quantize step plugin (see the module docstring)."""

    @staticmethod
    def check(variant, index: int, options: dict) -> None:
        """Reject an unsupported mode/format/order combination, naming the alternatives.

        Parameters
        ----------
        variant : VariantSpec
            The variant being checked.
        index : int
            This step's position in ``variant.steps``.
        options : dict
            The step's resolved options.
        """
        mode = options.get("mode", "int8-static")
        where = f"variant {variant.name!r}"
        later = [s.kind for s in variant.steps[index + 1 :]]
        if "quantize" in later:
            raise RecipeError(f"{where} quantizes twice", "keep one quantize step per variant")
        if any(k in ("prune", "distill") for k in later):
            raise RecipeError(
                f"{where}: quantize must come after prune and distill",
                "move the quantize step to the end of steps",
            )
        fmt = FORMATS.get(variant.format, where).obj
        format_options = fmt.options_for(variant)
        if fmt.quantizer(mode, format_options) is None:
            key = variant.format
            modes = [m for m in MODES if fmt.quantizer(m, format_options) is not None]
            reason = fmt.unsupported_reason(mode, format_options)
            raise RecipeError(
                f"{where}: quantize mode {mode!r} is not supported for format {key!r}"
                + (f" ({reason})" if reason else ""),
                f"{mode} works with format {', '.join(_supporting(mode)) or 'none'}"
                + (
                    f"; for {key} use mode {', '.join(modes)}"
                    if modes
                    else f"; {key} takes no quantize step"
                ),
            )
        if options.get("keep_fp32") and mode != "int8-static":
            raise RecipeError(
                f"{where}: keep_fp32 applies to mode 'int8-static' only, not {mode!r}",
                'remove keep_fp32, or use mode = "int8-static"',
            )
        reason = fmt.quantizer(mode, format_options).no_keep_fp32
        if options.get("keep_fp32") and reason:
            keeping = [
                e.key
                for e in FORMATS.entries()
                if (plan := e.obj.quantizer(mode, e.obj.resolve_options({})))
                and not plan.no_keep_fp32
            ]
            raise RecipeError(
                f"{where}: keep_fp32 is not supported for format {variant.format!r} ({reason})",
                f"remove keep_fp32, or use format {' or '.join(keeping)} to keep layers in float",
            )
        for key in ("sensitivity", "debug"):
            if options.get(key) and mode != "int8-static":
                raise RecipeError(
                    f"{where}: {key} applies to mode 'int8-static' only, not {mode!r}",
                    f'remove {key}, or use mode = "int8-static"',
                )

    @staticmethod
    def apply(ctx, options: dict) -> None:
        """Hand ``options["mode"]`` to the variant's format: its plan changes ``ctx.module``
        now and/or registers a post-export hook that changes the written artifact."""
        mode = options["mode"]
        fmt = FORMATS.get(ctx.variant.format).obj
        plan = fmt.quantizer(mode, fmt.options_for(ctx.variant))
        if plan is None:  # check() rejects this first; a direct call must not pass silently
            raise RecipeError(f"format {fmt.key!r} does not implement quantize mode {mode!r}")
        ctx.quantization = {"mode": mode, "format": fmt.key, "method": plan.description}
        module = working_module(ctx, "quantize").eval() if plan.needs_module else None
        if mode == "int8-static" and module is not None:
            options = {**options, "keep_fp32": _keep_fp32(ctx, module, options)}
            if options.get("sensitivity"):
                _sensitivity(ctx, module)
            if options.get("debug"):
                _numerics(ctx, module, options["keep_fp32"])
        note = _float_layers_note(ctx.module)
        if note:
            ctx.notes.append(note)
        if plan.prepare is not None:
            plan.prepare(ctx, module, options)
        if plan.finish is not None:
            finish = plan.finish
            ctx.post_export.append(lambda artifact, c: finish(artifact, c, options))


FLOAT_KINDS = ("LSTM", "GRU", "RNN", "Embedding", "EmbeddingBag", "MultiheadAttention")
"""Layers no int8 path here quantizes: their weights stay float in every format."""


def _float_layers_note(module) -> str | None:
    """Which recurrent / embedding layers stay float, and their share of the parameters."""
    if not hasattr(module, "named_modules") or not hasattr(module, "parameters"):
        return None
    total = sum(p.numel() for p in module.parameters())
    kept = [
        (name, type(m).__name__, sum(p.numel() for p in m.parameters()))
        for name, m in module.named_modules()
        if name and type(m).__name__ in FLOAT_KINDS
    ]
    share = sum(n for *_, n in kept) / total if total else 0.0
    if not kept or share < 0.05:
        return None
    layers = ", ".join(f"{name} ({kind})" for name, kind, _ in kept[:4])
    return (
        f"{layers} stay float: int8 quantizes Linear and convolution weights only, so "
        f"{share:.0%} of the parameters keep their 32-bit size"
    )


def _keep_fp32(ctx, module, options: dict) -> list[str]:
    """``keep_fp32`` as the module's own layer names (an unknown name names the real ones)."""
    names = {n for n, _ in module.named_modules() if n}
    # a model whose tuple/dict output was selected is wrapped (SelectOutput): its layers
    # live under "inner."; users write the names they see in their own code
    keep = [
        k if k in names or f"inner.{k}" not in names else f"inner.{k}"
        for k in options.get("keep_fp32") or []
    ]
    missing = [k for k in keep if k not in names]
    if missing:
        raise unknown_layer_error(ctx, "keep_fp32", missing, module)
    return keep


def _sensitivity(ctx, module) -> None:
    """The per-layer table, and a note naming the most sensitive layer."""
    from deploy_studio.core.steps._sensitivity import layer_sensitivity

    rows = layer_sensitivity(ctx, module, ctx.calibration_tensors(), SENSITIVITY_SAMPLES)
    ctx.state.setdefault("quantize", {})["sensitivity"] = rows
    if rows and rows[0].get("accuracy_drop") is not None and rows[0]["accuracy_drop"] > 0:
        ctx.notes.append(
            f"most quantization-sensitive layer: {rows[0]['layer']} (accuracy drop "
            f"{rows[0]['accuracy_drop']:.2%} when quantized alone); try keep_fp32 = "
            f'["{rows[0]["layer"]}"]'
        )


def _numerics(ctx, module, keep_fp32: list[str]) -> None:
    """The numerical debugger's rows, the layers where the error enters, and a note naming
    them (with the ``keep_fp32`` that keeps the worst float when it adds much error)."""
    from deploy_studio.core.steps._numerics import (
        SUGGEST_BELOW_DB,
        layer_numerics,
        worst_layers,
    )

    rows = layer_numerics(module, ctx.inputs, ctx.calibration_inputs(), keep_fp32, ctx.reporter)
    worst = [r for r in worst_layers(rows) if r["layer"] not in keep_fp32]
    state = ctx.state.setdefault("quantize", {})
    state["numerics"] = rows
    state["numerics_worst"] = [r["layer"] for r in worst]
    # the worst layers that add much error: what "keep worst in float" (the window) keeps
    state["numerics_suggest"] = [r["layer"] for r in worst if r["local_snr_db"] < SUGGEST_BELOW_DB]
    if ctx.variant.format != "pte" or _delegate_of(ctx) != "xnnpack":
        ctx.notes.append(
            "int8 numerical debugger: measured on PT2E with the XNNPACK quantizer (the pte "
            f"format's int8-static recipe), not on this {ctx.variant.format} variant's own "
            "quantizer: its figures approximate the artifact's"
        )
    if not worst:
        return
    named = ", ".join(
        f"{r['layer']} (its own error: SNR {r['local_snr_db']:.1f} dB)" for r in worst
    )
    note = f"int8 numerical debugger: the error enters most at {named}"
    if worst[0]["local_snr_db"] < SUGGEST_BELOW_DB:
        note += f'; try keep_fp32 = ["{worst[0]["layer"]}"]'
    ctx.notes.append(note)


def _delegate_of(ctx) -> str | None:
    """The pte variant's delegate key (None for other formats)."""
    fmt = FORMATS.get(ctx.variant.format).obj
    return (fmt.options_for(ctx.variant) or {}).get("delegate")
