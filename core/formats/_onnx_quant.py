"""The onnx format's quantizers: ONNX Runtime static QDQ and dynamic int8 on the written file.

int8-static is ``quantize_static`` (QDQ, per-channel int8 weights, uint8 activations: ORT's
faster pair on x86, measured), calibrated on the training side. Weights use the 7-bit range
(``reduce_range``): on x86 CPUs without VNNI, ORT's U8S8 kernels saturate full-range int8
weights (the digits model lost 1.2 points that way; with the 7-bit range it lost none), and
an artifact must give the same answers on every machine it is measured or run on.
int8-dynamic is ``quantize_dynamic`` on MatMul/Gemm.
"""

from __future__ import annotations

from pathlib import Path

from deploy_studio.core.errors import ExportError
from deploy_studio.core.quantizers import calibration_note, quiet


def static_note(ctx, module, options: dict) -> None:
    """prepare: say what the static quantizer will be calibrated on."""
    n = len(ctx.calibration_inputs()[0])
    ctx.notes.append(
        calibration_note(ctx, n)
        + " (ONNX Runtime static QDQ, per-channel int8 weights in the 7-bit range, uint8 activations)"
    )


def dynamic_note(ctx, module, options: dict) -> None:
    """prepare: say what the dynamic quantizer does."""
    ctx.notes.append("int8 dynamic (ONNX Runtime): int8 weights, activations quantized at run time")


def _external_files(path: Path) -> list[Path]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    locations = set()
    for init in model.graph.initializer:
        for entry in init.external_data:
            if entry.key == "location":
                locations.add(entry.value)
    return [path.parent / loc for loc in sorted(locations)]


def _replace(artifact, write):
    """Run ``write(tmp_path)``, then atomically swap it in and drop stale external data."""
    from deploy_studio.core.fsutil import atomic_path

    path = Path(artifact.path)
    stale = _external_files(path)
    with atomic_path(path) as tmp:
        write(tmp)
    for f in stale:
        if f.exists() and f != path:
            f.unlink()
    artifact.files = [path] + [
        f for f in artifact.files if Path(f) != path and Path(f) not in stale and Path(f).exists()
    ]
    return artifact


def layer_nodes(model_path: Path, layers: list[str]) -> list[str]:
    """ONNX node names that the torch exporter traced from modules named in ``layers`` (or
    from modules inside them), by the node's scope or by its weights' names: the exporter
    folds a BatchNorm into the Conv before it and gives the fused node the BatchNorm's scope,
    while the weights keep the convolution's name (``stage4.1.branch2.3.weight``)."""
    import onnx

    from deploy_studio.core.formats.onnx_scopes import node_layer

    model = onnx.load(str(model_path), load_external_data=False)
    weights = {i.name for i in model.graph.initializer}
    hits = []
    for node in model.graph.node:
        paths = [node_layer(node)]
        paths += [name.rsplit(".", 1)[0] for name in node.input if name in weights and "." in name]
        if any(
            path == layer or path.startswith(layer + ".")
            for path in paths
            if path is not None
            for layer in layers
        ):
            hits.append(node.name)
    return hits


def static(artifact, ctx, options: dict):
    """finish: ONNX Runtime static QDQ calibrated on the training side (``keep_fp32`` kept)."""
    import onnx
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    keep = list(options.get("keep_fp32") or [])
    path = Path(artifact.path)
    input_names = [i.name for i in onnx.load(str(path), load_external_data=False).graph.input]
    calibration = [t.numpy() for t in ctx.calibration_inputs()]
    n = len(calibration[0])
    reporter = ctx.reporter

    class Reader(CalibrationDataReader):
        """One dict per sample: sample ``i`` of every input, by its ONNX input name."""

        def __init__(self) -> None:
            self.i = 0

        def get_next(self):
            if self.i >= n:
                return None
            sample = {
                name: a[self.i : self.i + 1]
                for name, a in zip(input_names, calibration, strict=True)
            }
            self.i += 1
            reporter.progress("calibrate (onnxruntime)", self.i / n)
            return sample

    exclude = layer_nodes(path, keep) if keep else []
    if keep and not exclude:
        raise ExportError(
            f"keep_fp32 layers {keep} match no node of the exported ONNX graph",
            "check the layer names against the sensitivity table",
        )

    def write(tmp: Path) -> None:
        with quiet():
            quantize_static(
                str(path),
                str(tmp),
                Reader(),
                quant_format=QuantFormat.QDQ,
                per_channel=True,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                nodes_to_exclude=exclude or None,
                reduce_range=True,
            )

    artifact = _replace(artifact, write)
    if keep:
        artifact.notes.append(f"kept in float32: {', '.join(keep)} ({len(exclude)} ONNX nodes)")
    return artifact


def dynamic(artifact, ctx, options: dict):
    """finish: ONNX Runtime dynamic int8 (per-channel weights of MatMul/Gemm)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = Path(artifact.path)
    ctx.reporter.progress("quantize (onnxruntime dynamic)", 0.0)

    def write(tmp: Path) -> None:
        with quiet():
            quantize_dynamic(
                str(path),
                str(tmp),
                per_channel=True,
                weight_type=QuantType.QInt8,
                op_types_to_quantize=["MatMul", "Gemm"],
                reduce_range=True,
            )

    artifact = _replace(artifact, write)
    ctx.reporter.progress("quantize (onnxruntime dynamic)", 1.0)
    return artifact
