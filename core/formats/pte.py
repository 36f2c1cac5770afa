"""ExecuTorch ``.pte``: torch.export -> to_edge_transform_and_lower(delegate) -> to_executorch.

The delegate (``format_options = { delegate = "xnnpack" }``, see ``pte_delegates.py``)
supplies the partitioners and the int8-static quantizer; the artifact records it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import ClassVar

from deploy_studio.core.errors import ExportError
from deploy_studio.core.formats import pte_delegate_coreml, pte_delegate_vulkan  # noqa: F401
from deploy_studio.core.formats.contract import (
    FLOAT16,
    TORCHAO_INT8_DYNAMIC,
    Artifact,
    Format,
    QuantizerPlan,
)
from deploy_studio.core.formats.pte_delegates import Delegate, DelegateKeys, delegate
from deploy_studio.core.fsutil import write_bytes_atomic
from deploy_studio.core.registry import FORMATS, Option


def write_etrecord(prog, path) -> None:
    """Save the ETRecord of ``prog`` beside the ``.pte`` (``<name>.etrecord``): the devtools
    Inspector maps ETDump events to edge ops and module paths with it. Not an artifact file:
    apps do not ship it."""
    from deploy_studio.core.profile.executorch_prof import etrecord_path

    prog.get_etrecord().save(str(etrecord_path(path)))


def drop_etrecord(path) -> None:
    """Remove an ETRecord an earlier build left beside ``path`` (it would not match)."""
    from deploy_studio.core.profile.executorch_prof import etrecord_path

    etrecord_path(path).unlink(missing_ok=True)


def _delegate(ctx) -> Delegate:
    """The delegate ``ctx.variant`` is lowered to (its format_options, defaults filled)."""
    return delegate(FORMATS.get(ctx.variant.format).obj.options_for(ctx.variant)["delegate"])


def partitioners(ctx) -> list:
    """The partitioners that lower ``ctx.converted`` for ``ctx.variant``'s delegate."""
    return _delegate(ctx).partitioners(ctx)


def _int8_static(ctx, module, options: dict) -> None:
    """PT2E with the delegate's quantizer, calibrated sample by sample on the training side."""
    from deploy_studio.core.quantizers import calibration_note, pt2e_on_context

    chosen = _delegate(ctx)
    keep = list(options.get("keep_fp32") or [])
    calibration = pt2e_on_context(ctx, module, chosen.int8_quantizer(keep))
    ctx.notes.append(calibration_note(ctx, len(calibration[0])) + f" ({chosen.int8_note})")
    if keep:
        ctx.notes.append(f"kept in float32: {', '.join(keep)}")


@FORMATS.register("pte")
class PteFormat(Format):
    label = "ExecuTorch (.pte)"
    help = "ExecuTorch program lowered to a delegate (XNNPACK, Core ML, Vulkan)"
    suffix = ".pte"
    runtime = "executorch"
    converters = ("export",)
    options = (
        Option(
            "delegate",
            "str",
            "xnnpack",
            choices=DelegateKeys(),
            help="the backend the program is lowered to (xnnpack: CPU on Android, iOS, desktop; "
            "coreml: iOS/macOS; vulkan: Android GPU; coreml and vulkan are not run here)",
        ),
    )
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {
        "int8-static": QuantizerPlan("PT2E + the delegate's int8 quantizer", _int8_static),
        "int8-dynamic": TORCHAO_INT8_DYNAMIC,
        "fp16": replace(FLOAT16, description=FLOAT16.description + " (delegate fp16 kernels)"),
    }
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-weight-only": "XNNPACK mis-lowers torchao weight-only int8 graphs on this stack",
    }
    packages = ("executorch", "torchao")

    def quantizer(self, mode: str, options: dict | None = None) -> QuantizerPlan | None:
        chosen = delegate(self.resolve_options(options)["delegate"])
        plan = chosen.plans.get(mode) or self.quantization.get(mode)
        if plan is None or mode not in chosen.modes:
            return None
        if mode == "int8-static":
            return replace(plan, description=chosen.int8_description)
        return plan

    def unsupported_reason(self, mode: str, options: dict | None = None) -> str:
        chosen = delegate(self.resolve_options(options)["delegate"])
        if mode not in chosen.modes:
            return chosen.unsupported.get(mode) or (
                f"the {chosen.label} delegate does not lower {mode} graphs"
            )
        return super().unsupported_reason(mode, options)

    def app_libraries(self, platform: str, delegates: list[str]) -> list[str]:
        libraries: list[str] = []
        for key in delegates:
            for lib in delegate(key).app_libraries.get(platform, ()):
                if lib not in libraries:
                    libraries.append(lib)
        return libraries

    def write(self, ctx, path) -> Artifact:
        from executorch.exir import to_edge_transform_and_lower

        from deploy_studio.core.formats.pte_coverage import partition_coverage
        from deploy_studio.core.profile.hints import portable_hints

        chosen = _delegate(ctx)
        stage = f"lower to ExecuTorch ({chosen.label})"
        ctx.reporter.progress(stage, 0.1)
        try:
            parts = chosen.partitioners(ctx)
        except ImportError as e:
            raise ExportError(
                f"the {chosen.label} delegate cannot lower on this host: {e}",
                'use delegate = "xnnpack", or install the ExecuTorch build that has this backend',
            ) from None
        try:
            record = ctx.debug_record and not chosen.not_runnable  # only what is profiled here
            edge = to_edge_transform_and_lower(
                ctx.converted, partitioner=parts, generate_etrecord=record
            )
            # before to_executorch, which rewrites the graph into out-variants and allocs
            coverage = partition_coverage(edge.exported_program(), chosen.key)
            hints = portable_hints(coverage)
            if hints:
                coverage["hints"] = hints
            prog = edge.to_executorch()
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
        ctx.reporter.progress(stage, 0.9)
        write_bytes_atomic(path, prog.buffer)
        notes = [f"lowered to {chosen.label}"]
        drop_etrecord(path)
        if record:
            try:
                write_etrecord(prog, path)
            except Exception as e:  # noqa: BLE001 - the profile then names kernels, not layers
                notes.append(f"no ETRecord for the profile: {type(e).__name__}: {str(e)[:200]}")
        if chosen.not_runnable:
            notes.append(f"not run on this host: {chosen.not_runnable}")
        return Artifact(
            self.key,
            path,
            [path],
            None if chosen.not_runnable else self.runtime,
            notes,
            delegates=[chosen.key],
            not_runnable=chosen.not_runnable,
            coverage=coverage,
        )
