"""ExecuTorch ``.pte``: torch.export -> to_edge_transform_and_lower(XNNPACK) -> to_executorch."""

from __future__ import annotations

from deploy_studio.core.errors import ExportError
from deploy_studio.core.fsutil import write_bytes_atomic
from deploy_studio.core.pipeline.context import Artifact
from deploy_studio.core.registry import FORMATS


def _partitioners(ctx) -> list:
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

    custom = (ctx.quantization or {}).get("pte_partitioners")
    if callable(custom):
        return custom(ctx)
    return [XnnpackPartitioner()]


@FORMATS.register(
    "pte",
    label="ExecuTorch (.pte)",
    help="ExecuTorch program lowered to XNNPACK",
    suffix=".pte",
    runtime="executorch",
    converters=("export",),
)
class PteFormat:
    @staticmethod
    def write(ctx, path) -> Artifact:
        from executorch.exir import to_edge_transform_and_lower

        ctx.reporter.progress("lower to ExecuTorch (XNNPACK)", 0.1)
        try:
            prog = to_edge_transform_and_lower(
                ctx.converted, partitioner=_partitioners(ctx)
            ).to_executorch()
        except Exception as e:  # noqa: BLE001
            from deploy_studio.core.converters._diagnose import conversion_error

            err = conversion_error(
                "ExecuTorch lowering",
                e,
                '"export" with a different model structure, or format = "onnx"',
            )
            raise ExportError(
                err.message,
                "this op may not be supported by ExecuTorch's portable kernels; try the onnx or ptl format",
                op=err.op,
            ) from None
        ctx.reporter.progress("lower to ExecuTorch (XNNPACK)", 0.9)
        write_bytes_atomic(path, prog.buffer)
        return Artifact("pte", path, [path], "executorch", ["lowered to XNNPACK"])
