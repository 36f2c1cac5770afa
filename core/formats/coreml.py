"""Core ML ``.mlpackage`` via coremltools; structurally validated only (it cannot run on Linux).

fp16 is the converter's FLOAT16 compute precision; int8-weight-only is coremltools'
``linear_quantize_weights`` on the written package.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from deploy_studio.core.errors import ExportError
from deploy_studio.core.formats.contract import Artifact, Format, QuantizerPlan
from deploy_studio.core.formats.coreml_names import coreml_output_names
from deploy_studio.core.fsutil import atomic_dir
from deploy_studio.core.registry import FORMATS

NOT_RUN = (
    "Core ML cannot run on this host (Linux): converted and structurally validated only, not run"
)


def compute_precision(ctx):
    """The ``compute_precision`` for ``coremltools.convert``: FLOAT16 only for mode fp16.

    coremltools defaults ML programs to FLOAT16, so an unquantized variant must pass FLOAT32
    explicitly to really be float32.
    """
    import coremltools as ct

    q = ctx.quantization or {}
    return ct.precision.FLOAT16 if q.get("mode") == "fp16" else ct.precision.FLOAT32


def _fp16_note(ctx, module, options: dict) -> None:
    ctx.notes.append("fp16: Core ML converts with FLOAT16 compute precision")


def _save_mlpackage(model, path) -> None:
    """Save an MLModel to the folder ``path`` atomically."""
    with atomic_dir(path) as tmp:
        model.save(str(tmp / "m.mlpackage"))
        for p in (tmp / "m.mlpackage").iterdir():
            p.rename(tmp / p.name)
        (tmp / "m.mlpackage").rmdir()


def _weights_int8(artifact, ctx, options: dict):
    """finish: int8 per-channel weights in the .mlpackage (coremltools)."""
    import coremltools as ct
    import coremltools.optimize.coreml as cto

    from deploy_studio.core.quantizers import quiet

    path = Path(artifact.path)
    ctx.reporter.progress("quantize weights (coremltools)", 0.0)
    logging.getLogger("coremltools").setLevel(logging.ERROR)
    model = ct.models.MLModel(str(path), skip_model_load=True)
    config = cto.OptimizationConfig(
        global_config=cto.OpLinearQuantizerConfig(
            mode="linear_symmetric", dtype="int8", granularity="per_channel"
        )
    )
    with quiet():
        quantized = cto.linear_quantize_weights(model, config)
    _save_mlpackage(quantized, path)
    artifact.notes.append("int8 per-channel weights (coremltools linear_quantize_weights)")
    ctx.reporter.progress("quantize weights (coremltools)", 1.0)
    return artifact


@FORMATS.register("coreml")
class CoreMLFormat(Format):
    label = "Core ML (.mlpackage)"
    help = "for iOS; validated structurally on Linux"
    suffix = ".mlpackage"
    runtime = None
    not_runnable_reason = (
        "Core ML runs only on Apple platforms: converted and structurally validated here, not run"
    )
    converters = ("export", "trace")
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {
        "int8-weight-only": QuantizerPlan(
            "coremltools int8 per-channel weight quantization",
            finish=_weights_int8,
            needs_module=False,
        ),
        "fp16": QuantizerPlan(
            "Core ML FLOAT16 compute precision", prepare=_fp16_note, needs_module=False
        ),
    }
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-static": "the Core ML converter does not take XNNPACK-quantized graphs",
        "int8-dynamic": "Core ML has no dynamic activation quantization",
    }
    packages = ("coremltools",)

    def write(self, ctx, path) -> Artifact:
        import coremltools as ct

        precision = compute_precision(ctx)
        ctx.reporter.progress("convert to Core ML", 0.1)
        logging.getLogger("coremltools").setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                src = ctx.converted
                # the desktop's output names (as Core ML identifiers), in its order
                outputs = [
                    ct.TensorType(name=n) for n in coreml_output_names(ctx.signature.output_names)
                ]
                if hasattr(src, "run_decompositions"):
                    src = src.run_decompositions({})
                    mlmodel = ct.convert(
                        src,
                        outputs=outputs or None,
                        minimum_deployment_target=ct.target.iOS17,
                        compute_precision=precision,
                    )
                else:
                    mlmodel = ct.convert(
                        src,
                        inputs=[
                            ct.TensorType(
                                name=spec.name, shape=tuple(x.shape), dtype=x.numpy().dtype
                            )
                            for spec, x in zip(ctx.signature.inputs, ctx.inputs, strict=True)
                        ],
                        outputs=outputs or None,
                        minimum_deployment_target=ct.target.iOS17,
                        compute_precision=precision,
                    )
        except Exception as e:  # noqa: BLE001
            raise ExportError(
                f"Core ML conversion failed: {str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__}",
                'try convert = "trace" (or "export"), or ship the .pte to iOS with ExecuTorch',
            ) from None
        ctx.reporter.progress("convert to Core ML", 0.8)
        _save_mlpackage(mlmodel, path)
        first = ctx.signature.inputs[0]
        validate_mlpackage(
            path, None if first.dynamic else list(ctx.example.shape), n_inputs=len(ctx.inputs)
        )
        return Artifact(self.key, path, [path], None, [NOT_RUN])


def validate_mlpackage(path, input_shape: list[int] | None, n_inputs: int = 1) -> dict:
    """Check an .mlpackage's structure: manifest, spec, ``n_inputs`` inputs (the first of
    ``input_shape``, unless None: a dynamic one), outputs."""
    import coremltools as ct

    if not (path / "Manifest.json").exists():
        raise ExportError(f"{path} has no Manifest.json: not a valid .mlpackage")
    spec = ct.utils.load_spec(str(path))
    count = n_inputs
    inputs = list(spec.description.input)
    outputs = list(spec.description.output)
    if len(inputs) != count or not outputs:
        raise ExportError(
            f"{path}: expected {count} input(s) and at least one output, got "
            f"{len(inputs)}/{len(outputs)}"
        )
    shape = list(inputs[0].type.multiArrayType.shape)
    if shape and input_shape is not None and shape != list(input_shape):
        raise ExportError(f"{path}: input shape {shape} differs from the model's {input_shape}")
    return {
        "input": inputs[0].name,
        "outputs": [o.name for o in outputs],
        "spec_version": spec.specificationVersion,
    }
