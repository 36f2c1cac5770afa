"""TorchScript-lite ``.ptl`` for apps still on ``pytorch_android_lite`` (TorchScript is deprecated)."""

from __future__ import annotations

import warnings

from deploy_studio.core.errors import ExportError
from deploy_studio.core.fsutil import atomic_path
from deploy_studio.core.pipeline.context import Artifact
from deploy_studio.core.registry import FORMATS


@FORMATS.register(
    "ptl",
    label="TorchScript-lite (.ptl)",
    help="for pytorch_android_lite apps (legacy)",
    suffix=".ptl",
    runtime="torchscript-lite",
    converters=("trace", "script"),
)
class PtlFormat:
    @staticmethod
    def write(ctx, path) -> Artifact:
        ctx.reporter.progress("save lite-interpreter archive", 0.2)
        try:
            with warnings.catch_warnings(), atomic_path(path) as tmp:
                warnings.simplefilter("ignore")
                ctx.converted._save_for_lite_interpreter(str(tmp))
        except Exception as e:  # noqa: BLE001
            raise ExportError(
                f"saving the lite-interpreter archive failed: {str(e).splitlines()[0][:300]}",
                'try convert = "script" or the pte format',
            ) from None
        return Artifact(
            "ptl",
            path,
            [path],
            "torchscript-lite",
            ["TorchScript is deprecated upstream: prefer .pte for new apps"],
        )
