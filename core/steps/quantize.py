"""The ``quantize`` step: int8-static, int8-dynamic, int8-weight-only and fp16 per format.

What each mode does for each format (anything else is rejected before work starts):

================  =====================================================================
int8-static       pte: torchao PT2E prepare/convert with ExecuTorch's XNNPACKQuantizer
                  (symmetric, per-channel), calibrated sample by sample on the training
                  side; XNNPACK then runs int8 kernels.
                  onnx: ONNX Runtime ``quantize_static`` (QDQ, per-channel int8 weights,
                  uint8 activations: ORT's faster pair on x86, measured) on the
                  exported ``.onnx``, calibrated on the same samples. Weights use the
                  7-bit range (``reduce_range``): on x86 CPUs without VNNI, ORT's U8S8
                  kernels saturate full-range int8 weights (the digits model lost 1.2
                  points that way; with the 7-bit range it lost none), and an artifact
                  must give the same answers on every machine it is measured or run on.
int8-dynamic      pte / eager: torchao ``Int8DynamicActivationIntxWeightConfig`` (int8
                  per-channel weights, activations quantized at run time) on Linear layers.
                  onnx: ONNX Runtime ``quantize_dynamic``. ptl: ``torch.ao`` dynamic
                  quantization (the only int8 path the lite interpreter runs).
int8-weight-only  eager: torchao ``IntxWeightOnlyConfig`` (int8 per-channel weights).
                  coreml: coremltools ``linear_quantize_weights`` on the converted model.
fp16              pte / ptl / onnx / eager: the model runs in float16 between a cast of the
                  float32 input and a cast back of the output (the app still passes
                  float32). coreml: the converter's compute precision is FLOAT16.
================  =====================================================================

``keep_fp32`` (int8-static) leaves named layers in float; ``sensitivity = true`` measures,
for int8-static, each layer's effect when quantized alone (``ctx.state["quantize"]["sensitivity"]``).
"""

from __future__ import annotations

import contextlib
import copy
import warnings
from pathlib import Path

import torch
from torch import nn

from deploy_studio.core.errors import ExportError, RecipeError
from deploy_studio.core.registry import STEPS, Option
from deploy_studio.core.steps._common import unknown_layer_error, working_module

MODES = ("int8-static", "int8-dynamic", "int8-weight-only", "fp16")

# mode -> format -> how it is done (shown in hints and in the report)
SUPPORT: dict[str, dict[str, str]] = {
    "int8-static": {
        "pte": "PT2E + XNNPACKQuantizer (per-channel)",
        "onnx": "ONNX Runtime static QDQ (per-channel, U8S8, 7-bit weight range)",
    },
    "int8-dynamic": {
        "pte": "torchao int8 dynamic activations + int8 per-channel weights",
        "eager": "torchao int8 dynamic activations + int8 per-channel weights",
        "onnx": "ONNX Runtime dynamic quantization",
        "ptl": "torch.ao dynamic quantization of Linear layers",
    },
    "int8-weight-only": {
        "eager": "torchao int8 per-channel weight-only",
        "coreml": "coremltools int8 per-channel weight quantization",
    },
    "fp16": {
        "pte": "float16 model between float32 casts (XNNPACK fp16 kernels)",
        "ptl": "float16 model between float32 casts",
        "onnx": "float16 model between float32 casts",
        "eager": "float16 model between float32 casts",
        "coreml": "Core ML FLOAT16 compute precision",
    },
}

WHY_NOT: dict[tuple[str, str], str] = {
    ("int8-static", "ptl"): "the lite interpreter has no kernels for PT2E int8 graphs",
    ("int8-static", "eager"): "PT2E int8 graphs only simulate int8 in eager PyTorch",
    ("int8-static", "coreml"): "the Core ML converter does not take XNNPACK-quantized graphs",
    ("int8-dynamic", "coreml"): "Core ML has no dynamic activation quantization",
    ("int8-weight-only", "pte"): "XNNPACK mis-lowers torchao weight-only int8 graphs on this stack",
    ("int8-weight-only", "onnx"): "ONNX Runtime has no int8 weight-only quantizer for these ops",
    (
        "int8-weight-only",
        "ptl",
    ): "torchao weight-only tensors cannot be traced for the lite interpreter",
}

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
        "sensitivity",
        "bool",
        False,
        help="int8-static: measure each layer's accuracy and output error when it alone is "
        "quantized (slower build)",
    ),
]


@STEPS.register(
    "quantize",
    label="Quantize",
    help="Store weights (and activations) in int8 or float16: smaller and usually faster.",
    options=OPTIONS,
)
class Quantize:
    """The quantize step plugin (see the module docstring for the mode x format table)."""

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
        fmt = variant.format
        where = f"variant {variant.name!r}"
        later = [s.kind for s in variant.steps[index + 1 :]]
        if "quantize" in later:
            raise RecipeError(f"{where} quantizes twice", "keep one quantize step per variant")
        if any(k in ("prune", "distill") for k in later):
            raise RecipeError(
                f"{where}: quantize must come after prune and distill",
                "move the quantize step to the end of steps",
            )
        if fmt not in SUPPORT[mode]:
            formats = ", ".join(SUPPORT[mode])
            modes = [m for m in MODES if fmt in SUPPORT[m]]
            reason = WHY_NOT.get((mode, fmt))
            raise RecipeError(
                f"{where}: quantize mode {mode!r} is not supported for format {fmt!r}"
                + (f" ({reason})" if reason else ""),
                f"{mode} works with format {formats}"
                + (
                    f"; for {fmt} use mode {', '.join(modes)}"
                    if modes
                    else f"; {fmt} takes no quantize step"
                ),
            )
        if options.get("keep_fp32") and mode != "int8-static":
            raise RecipeError(
                f"{where}: keep_fp32 applies to mode 'int8-static' only, not {mode!r}",
                'remove keep_fp32, or use mode = "int8-static"',
            )
        if options.get("sensitivity") and mode != "int8-static":
            raise RecipeError(
                f"{where}: sensitivity applies to mode 'int8-static' only, not {mode!r}",
                'remove sensitivity, or use mode = "int8-static"',
            )

    @staticmethod
    def apply(ctx, options: dict) -> None:
        """Quantize ``ctx.module`` (or register a post-export hook) for ``ctx.variant.format``."""
        mode = options["mode"]
        fmt = ctx.variant.format
        ctx.quantization = {"mode": mode, "format": fmt, "method": SUPPORT[mode][fmt]}
        if mode == "fp16" and fmt == "coreml":
            ctx.notes.append("fp16: Core ML converts with FLOAT16 compute precision")
            return
        if mode == "int8-weight-only" and fmt == "coreml":
            ctx.post_export.append(_coreml_weights_int8_hook)
            return
        module = working_module(ctx, "quantize").eval()
        if mode == "fp16":
            ctx.module = Float16Module(module)
            ctx.notes.append("fp16: weights and compute in float16; input and output stay float32")
        elif mode == "int8-static":
            _int8_static(ctx, module, options)
        elif mode == "int8-dynamic":
            _int8_dynamic(ctx, module, fmt)
        elif mode == "int8-weight-only":
            _torchao(module, "weight-only")
            ctx.module = module
            ctx.notes.append("int8 weight-only (torchao): int8 weights, float compute")


# --- helpers the format exporters call ---------------------------------------------------


def pte_partitioners(ctx) -> list:
    """The ExecuTorch partitioners for this variant's ``.pte`` lowering.

    Always XNNPACK with every precision enabled: int8-static (PT2E q/dq patterns),
    int8-dynamic (torchao dynamic linear) and fp16 (float16 graph) are all recognised from the
    graph itself, so the exporter needs no mode-specific flag.
    """
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    return [XnnpackPartitioner()]


def coreml_compute_precision(ctx):
    """The ``compute_precision`` for ``coremltools.convert``: FLOAT16 only for mode fp16.

    coremltools defaults ML programs to FLOAT16, so an unquantized variant must pass FLOAT32
    explicitly to really be float32.
    """
    import coremltools as ct

    q = ctx.quantization or {}
    return ct.precision.FLOAT16 if q.get("mode") == "fp16" else ct.precision.FLOAT32


class Float16Module(nn.Module):
    """Runs ``inner`` in float16 between a float32->float16 cast and a cast back.

    Apps and runtimes keep passing float32 tensors; the artifact holds float16 weights.
    """

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = copy.deepcopy(inner).half().eval()

    def forward(self, x):
        return self.inner(x.to(torch.float16)).to(torch.float32)


# --- int8-static -------------------------------------------------------------------------


def _data_note(ctx, n: int) -> str:
    if ctx.dataset.labels is None or ctx.dataset.name == "random":
        return (
            f"calibrated on {n} samples of random data (the 'random' data source): int8 "
            "ranges may not match real inputs, so accuracy after quantization is unknown"
        )
    return f"calibrated on {n} real samples from the training side of {ctx.dataset.name}"


def xnnpack_quantizer(keep_fp32=(), only: str | None = None):
    """An XNNPACKQuantizer with the symmetric per-channel static config.

    Parameters
    ----------
    keep_fp32 : iterable of str
        Module names left in float (with everything traced from their children).
    only : str, optional
        Quantize only this module (for the per-layer sensitivity table).
    """
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )

    class PtqXnnpackQuantizer(XNNPACKQuantizer):
        # The conv+batchnorm patterns are for QAT only (prepare_pt2e folds batchnorm into
        # convs first), yet XNNPACKQuantizer tries them for static configs too, re-exporting
        # a dozen pattern graphs per prepare (~4 s). Skipping them changes no annotation.
        SUPPORTED_PATTERNS = [p for p in XNNPACKQuantizer.SUPPORTED_PATTERNS if not p.is_qat]

    from torchao.quantization.pt2e.quantizer.utils import get_module_name_filter

    config = get_symmetric_quantization_config(is_per_channel=True)
    quantizer = PtqXnnpackQuantizer().set_global(config)
    if only is not None:
        quantizer.set_filter_function(_layer_filter(get_module_name_filter(only)))
        return quantizer
    keep = list(keep_fp32)
    if keep:
        kept = [get_module_name_filter(name) for name in keep]
        # a node traced from a kept module (or its children) gets no annotation: stays float
        quantizer.set_filter_function(lambda node: not any(f(node) for f in kept))
    return quantizer


_ACTIVATIONS = ("relu", "relu_", "hardtanh", "hardtanh_", "relu6")


def _layer_filter(in_layer):
    """Accept a layer's nodes, its weights, and an activation applied right after it.

    XNNPACKQuantizer annotates conv+relu as one partition and checks the filter on every
    node of it, including the weight/bias attributes and a ReLU that is its own module
    (``self.relu``); without this, "quantize only conv1" would quantize nothing.
    """

    def accept(node) -> bool:
        if in_layer(node):
            return True
        if node.op == "get_attr":
            return bool(node.users) and all(in_layer(u) for u in node.users)
        if node.op == "call_function" and node.args and isinstance(node.args[0], torch.fx.Node):
            name = getattr(node.target, "__name__", str(node.target)).split(".")[0]
            return name in _ACTIVATIONS and in_layer(node.args[0])
        return False

    return accept


def capture(module: nn.Module, example: torch.Tensor) -> torch.fx.GraphModule:
    """torch.export a module for PT2E quantization; failures become the same clean message
    the export converter gives (the op, the user's line, what to try)."""
    from deploy_studio.core.converters._diagnose import conversion_error

    try:
        return torch.export.export(module, (example,)).module()
    except Exception as e:  # noqa: BLE001 - every export failure becomes a user message
        err = conversion_error(
            "torch.export (needed by int8-static quantization)",
            e,
            '"trace" with format = "ptl" and mode = "int8-dynamic", or no quantize step',
        )
        raise type(err)(err.message, err.hint, op=err.op) from None


def pt2e_quantize(
    module,
    example: torch.Tensor,
    calibration: torch.Tensor,
    quantizer,
    reporter=None,
    stage: str = "calibrate",
):
    """PT2E: export (batch 1), prepare, calibrate one sample at a time, convert.

    ``module`` is an nn.Module, or a GraphModule already captured with
    ``torch.export.export(...).module()`` (it is copied, not changed). Returns the converted
    GraphModule (q/dq ops around float ops, which XNNPACK lowers to int8 kernels).
    ``reporter.progress`` is called per sample and may raise Cancelled.
    """
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    with _quiet():
        graph = (
            copy.deepcopy(module)
            if isinstance(module, torch.fx.GraphModule)
            else capture(module, example)
        )
        prepared = prepare_pt2e(graph, quantizer)
    n = len(calibration)
    with torch.no_grad():
        for i in range(n):
            prepared(calibration[i : i + 1])
            if reporter is not None:
                reporter.progress(stage, (i + 1) / n)
    with _quiet():
        return convert_pt2e(prepared)


def _int8_static(ctx, module: nn.Module, options: dict) -> None:
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
    calibration = ctx.calibration_tensors()
    n = len(calibration)
    if options.get("sensitivity"):
        from deploy_studio.core.steps._sensitivity import layer_sensitivity

        rows = layer_sensitivity(ctx, module, calibration, SENSITIVITY_SAMPLES)
        ctx.state.setdefault("quantize", {})["sensitivity"] = rows
        if rows and rows[0].get("accuracy_drop") is not None and rows[0]["accuracy_drop"] > 0:
            ctx.notes.append(
                f"most quantization-sensitive layer: {rows[0]['layer']} (accuracy drop "
                f"{rows[0]['accuracy_drop']:.2%} when quantized alone); try keep_fp32 = "
                f'["{rows[0]["layer"]}"]'
            )
    note = _data_note(ctx, n)
    if ctx.variant.format == "onnx":
        ctx.post_export.append(_OnnxStatic(keep))
        ctx.notes.append(
            note
            + " (ONNX Runtime static QDQ, per-channel int8 weights in the 7-bit range, uint8 activations)"
        )
        return
    ctx.module = pt2e_quantize(
        module, ctx.example, calibration, xnnpack_quantizer(keep), ctx.reporter
    )
    ctx.notes.append(note + " (PT2E, XNNPACK per-channel)")
    if keep:
        ctx.notes.append(f"kept in float32: {', '.join(keep)}")


# --- int8-dynamic / weight-only ----------------------------------------------------------


def _torchao(module: nn.Module, kind: str) -> None:
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
    with _quiet():
        quantize_(module, config)


def _int8_dynamic(ctx, module: nn.Module, fmt: str) -> None:
    if fmt == "onnx":
        ctx.post_export.append(_onnx_dynamic_hook)
        ctx.notes.append(
            "int8 dynamic (ONNX Runtime): int8 weights, activations quantized at run time"
        )
        return
    if fmt == "ptl":
        with _quiet():
            from torch.ao.quantization import quantize_dynamic

            ctx.module = quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)
        ctx.notes.append(
            "int8 dynamic for the lite interpreter uses torch.ao.quantization.quantize_dynamic "
            "(deprecated, but the only int8 path .ptl runs); only Linear layers are quantized"
        )
        return
    _torchao(module, "dynamic")
    ctx.module = module
    ctx.notes.append(
        "int8 dynamic (torchao): int8 per-channel Linear weights, activations quantized at "
        "run time; convolutions stay float"
    )


# --- ONNX Runtime post-export hooks ------------------------------------------------------


def _onnx_external_files(path: Path) -> list[Path]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    locations = set()
    for init in model.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                locations.add(entry.value)
    return [path.parent / loc for loc in sorted(locations)]


def _replace_onnx(artifact, write) -> object:
    """Run ``write(tmp_path)``, then atomically swap it in and drop stale external data."""
    from deploy_studio.core.fsutil import atomic_path

    path = Path(artifact.path)
    stale = _onnx_external_files(path)
    with atomic_path(path) as tmp:
        write(tmp)
    for f in stale:
        if f.exists() and f != path:
            f.unlink()
    artifact.files = [path] + [
        f for f in artifact.files if Path(f) != path and Path(f) not in stale and Path(f).exists()
    ]
    return artifact


def onnx_layer_nodes(model_path: Path, layers: list[str]) -> list[str]:
    """ONNX node names that the torch exporter traced from modules named in ``layers``."""
    import ast

    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    hits = []
    for node in model.graph.node:
        scopes = None
        for p in node.metadata_props:
            if p.key == "pkg.torch.onnx.name_scopes":
                with contextlib.suppress(ValueError, SyntaxError):
                    scopes = ast.literal_eval(p.value)
        if not scopes:
            continue
        path = ".".join(s for s in scopes[1:-1] if s)
        if any(path == layer or path.startswith(layer + ".") for layer in layers):
            hits.append(node.name)
    return hits


class _OnnxStatic:
    """Post-export hook: ONNX Runtime static QDQ quantization calibrated on the training side."""

    def __init__(self, keep_fp32: list[str]) -> None:
        self.keep_fp32 = keep_fp32

    def __call__(self, artifact, ctx):
        import onnx
        from onnxruntime.quantization import (
            CalibrationDataReader,
            QuantFormat,
            QuantType,
            quantize_static,
        )

        path = Path(artifact.path)
        input_name = onnx.load(str(path), load_external_data=False).graph.input[0].name
        calibration = ctx.calibration_tensors().numpy()
        n = len(calibration)
        reporter = ctx.reporter

        class Reader(CalibrationDataReader):
            def __init__(self) -> None:
                self.i = 0

            def get_next(self):
                if self.i >= n:
                    return None
                sample = calibration[self.i : self.i + 1]
                self.i += 1
                reporter.progress("calibrate (onnxruntime)", self.i / n)
                return {input_name: sample}

        exclude = onnx_layer_nodes(path, self.keep_fp32) if self.keep_fp32 else None
        if self.keep_fp32 and not exclude:
            raise ExportError(
                f"keep_fp32 layers {self.keep_fp32} match no node of the exported ONNX graph",
                "check the layer names against the sensitivity table",
            )

        def write(tmp: Path) -> None:
            with _quiet():
                quantize_static(
                    str(path),
                    str(tmp),
                    Reader(),
                    quant_format=QuantFormat.QDQ,
                    per_channel=True,
                    activation_type=QuantType.QUInt8,
                    weight_type=QuantType.QInt8,
                    nodes_to_exclude=exclude,
                    reduce_range=True,
                )

        artifact = _replace_onnx(artifact, write)
        if self.keep_fp32:
            artifact.notes.append(
                f"kept in float32: {', '.join(self.keep_fp32)} ({len(exclude)} ONNX nodes)"
            )
        return artifact


def _onnx_dynamic_hook(artifact, ctx):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = Path(artifact.path)
    ctx.reporter.progress("quantize (onnxruntime dynamic)", 0.0)

    def write(tmp: Path) -> None:
        with _quiet():
            quantize_dynamic(
                str(path),
                str(tmp),
                per_channel=True,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul", "Gemm"],
                reduce_range=True,
            )

    artifact = _replace_onnx(artifact, write)
    ctx.reporter.progress("quantize (onnxruntime dynamic)", 1.0)
    return artifact


# --- Core ML post-export hook ------------------------------------------------------------


def _coreml_weights_int8_hook(artifact, ctx):
    """Post-export hook: int8 per-channel weights in the .mlpackage (coremltools)."""
    import logging

    import coremltools as ct
    import coremltools.optimize.coreml as cto

    from deploy_studio.core.fsutil import atomic_dir

    path = Path(artifact.path)
    ctx.reporter.progress("quantize weights (coremltools)", 0.0)
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    model = ct.models.MLModel(str(path), skip_model_load=True)
    config = cto.OptimizationConfig(
        global_config=cto.OpLinearQuantizerConfig(
            mode="linear_symmetric", dtype="int8", granularity="per_channel"
        )
    )
    with _quiet():
        quantized = cto.linear_quantize_weights(model, config)
    with atomic_dir(path) as tmp:
        quantized.save(str(tmp / "m.mlpackage"))
        for p in (tmp / "m.mlpackage").iterdir():
            p.rename(tmp / p.name)
        (tmp / "m.mlpackage").rmdir()
    artifact.notes.append("int8 per-channel weights (coremltools linear_quantize_weights)")
    ctx.reporter.progress("quantize weights (coremltools)", 1.0)
    return artifact


@contextlib.contextmanager
def _quiet():
    """Silence library deprecation chatter that users cannot act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
