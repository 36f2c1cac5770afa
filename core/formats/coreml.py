"""Core ML ``.mlpackage`` via coremltools; structurally validated only (it cannot run on Linux)."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

from deploy_studio.core.errors import ExportError
from deploy_studio.core.fsutil import atomic_dir
from deploy_studio.core.pipeline.context import Artifact
from deploy_studio.core.registry import FORMATS

NOT_RUN = (
    "Core ML cannot run on this host (Linux): converted and structurally validated only, not run"
)


@FORMATS.register(
    "coreml",
    label="Core ML (.mlpackage)",
    help="for iOS; validated structurally on Linux",
    suffix=".mlpackage",
    runtime=None,
    converters=("export", "trace"),
    not_runnable="Core ML runs only on Apple platforms: converted and structurally validated here, not run",
)
class CoreMLFormat:
    @staticmethod
    def write(ctx, path) -> Artifact:
        import coremltools as ct

        from deploy_studio.core.steps.quantize import coreml_compute_precision

        precision = coreml_compute_precision(ctx)
        ctx.reporter.progress("convert to Core ML", 0.1)
        logging.getLogger("coremltools").setLevel(logging.ERROR)
        try:
            with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                src = ctx.converted
                if hasattr(src, "run_decompositions"):
                    src = src.run_decompositions({})
                    mlmodel = ct.convert(
                        src, minimum_deployment_target=ct.target.iOS17, compute_precision=precision
                    )
                else:
                    mlmodel = ct.convert(
                        src,
                        inputs=[ct.TensorType(name="input", shape=tuple(ctx.example.shape))],
                        minimum_deployment_target=ct.target.iOS17,
                        compute_precision=precision,
                    )
        except Exception as e:  # noqa: BLE001
            raise ExportError(
                f"Core ML conversion failed: {str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__}",
                'try convert = "trace" (or "export"), or ship the .pte to iOS with ExecuTorch',
            ) from None
        ctx.reporter.progress("convert to Core ML", 0.8)
        with atomic_dir(path) as tmp:
            mlmodel.save(str(tmp / "m.mlpackage"))
            for p in (tmp / "m.mlpackage").iterdir():
                p.rename(tmp / p.name)
            (tmp / "m.mlpackage").rmdir()
        validate_mlpackage(path, list(ctx.example.shape))
        return Artifact("coreml", path, [path], None, [NOT_RUN])


def validate_mlpackage(path, input_shape: list[int]) -> dict:
    """Check an .mlpackage's structure: manifest, spec, one input of the right shape, outputs."""
    import coremltools as ct

    if not (path / "Manifest.json").exists():
        raise ExportError(f"{path} has no Manifest.json: not a valid .mlpackage")
    spec = ct.utils.load_spec(str(path))
    inputs = list(spec.description.input)
    outputs = list(spec.description.output)
    if len(inputs) != 1 or not outputs:
        raise ExportError(
            f"{path}: expected one input and at least one output, got {len(inputs)}/{len(outputs)}"
        )
    shape = list(inputs[0].type.multiArrayType.shape)
    if shape and shape != list(input_shape):
        raise ExportError(f"{path}: input shape {shape} differs from the model's {input_shape}")
    return {
        "input": inputs[0].name,
        "outputs": [o.name for o in outputs],
        "spec_version": spec.specificationVersion,
    }
