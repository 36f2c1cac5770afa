"""The Core ML delegate of ExecuTorch: ``format_options = { delegate = "coreml" }``.

Lowered here with ExecuTorch's ``CoreMLPartitioner`` (coremltools converts each partition to
an ML program on Linux too); the program runs only where Core ML does (iOS / macOS), so its
artifact is not measured on this host. fp32 lowers with FLOAT32 compute precision (the
partitioner's default is FLOAT16); the ``fp16`` quantize mode is FLOAT16 compute precision;
``int8-static`` is PT2E with ExecuTorch's ``CoreMLQuantizer`` (coremltools'
``LinearQuantizerConfig``: symmetric, per-channel int8 weights, uint8 activations), whose
q/dq patterns the Core ML partition takes as int8 ops.
The iOS app links the Swift package's ``backend_coreml`` product.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from deploy_studio.core.formats.contract import QuantizerPlan
from deploy_studio.core.formats.pte_delegates import Delegate, register_delegate

# The iOS template's deployment target (mobile-templates/ios/manifest.toml): Core ML
# specification of iOS 17, so the partitions need no newer OS than the app does.
IOS_TARGET = "iOS17"


def _fp16_note(ctx, module, options) -> None:
    ctx.notes.append("Core ML FLOAT16 compute precision (weights and activations in float16)")


def coreml_quantizer(keep_fp32=(), only: str | None = None):
    """ExecuTorch's CoreMLQuantizer, static int8: every module, or none of ``keep_fp32``
    (module names left in float), or only the module ``only`` (the sensitivity table: its
    nodes, weights and an activation right after it, as for XNNPACK)."""
    import torch
    from coremltools.optimize.torch.quantization.quantization_config import (
        LinearQuantizerConfig,
        ModuleLinearQuantizerConfig,
        QuantizationScheme,
    )
    from executorch.backends.apple.coreml.quantizer import CoreMLQuantizer
    from torchao.quantization.pt2e.quantizer.utils import get_module_name_filter

    from deploy_studio.core.formats.pte_delegates import _layer_filter

    class PtqCoreMLQuantizer(CoreMLQuantizer):
        only_filter = None

        def annotate(self, model):
            if self.only_filter is None:
                return super().annotate(model)
            self._annotate_all_patterns(model, self._config.global_config, self.only_filter)
            return model

        # Each annotator re-exports its pattern graphs (~0.3-0.6 s each, 405 per prepare).
        # The "*_bn*" patterns cannot match once prepare_pt2e has folded batch norms into
        # convs (it does so before annotating): skipping them when the graph has none changes
        # no annotation and saves 108 of the 405 exports.
        def _annotate_all_patterns(self, model, quantization_config, filter_fn=None):
            from executorch.backends.apple.coreml.quantizer._annotation_config import (
                AnnotationConfig,
            )
            from executorch.backends.apple.coreml.quantizer._coreml_quantizer import (
                _AnnotationPatternRegistry,
            )

            has_bn = any("batch_norm" in str(n.target) for n in model.graph.nodes)
            config = AnnotationConfig.from_quantization_config(quantization_config)
            for name, annotator in _AnnotationPatternRegistry.get_annotators().items():
                if has_bn or "_bn" not in name:
                    annotator(model, config, filter_fn)

    int8 = ModuleLinearQuantizerConfig(
        quantization_scheme=QuantizationScheme.symmetric,
        activation_dtype=torch.quint8,
        weight_dtype=torch.qint8,
        weight_per_channel=True,
    )
    skipped = {name: None for name in keep_fp32} if only is None else {}
    quantizer = PtqCoreMLQuantizer(
        LinearQuantizerConfig(global_config=int8, module_name_configs=skipped)
    )
    if only is not None:
        quantizer.only_filter = _layer_filter(get_module_name_filter(only))
    return quantizer


@register_delegate("coreml")
class CoreMLDelegate(Delegate):
    """Core ML: Neural Engine, GPU or CPU on iOS and macOS (fp32 and fp16)."""

    label = "Core ML"
    help = "Neural Engine / GPU / CPU on iOS and macOS; not run on this host"
    modes = ("int8-static", "fp16")
    int8_description = "PT2E + CoreMLQuantizer (per-channel int8 weights, uint8 activations)"
    int8_note = "PT2E, CoreMLQuantizer per-channel"
    plans: ClassVar[Mapping[str, QuantizerPlan]] = {
        "fp16": QuantizerPlan(
            "Core ML FLOAT16 compute precision", prepare=_fp16_note, needs_module=False
        ),
    }
    app_libraries: ClassVar[Mapping[str, tuple[str, ...]]] = {"ios": ("backend_coreml",)}
    platforms = ("ios",)
    not_runnable = (
        "the Core ML delegate runs only on Apple devices (iOS/macOS); ExecuTorch's Linux "
        "runtime has no Core ML backend"
    )

    def int8_quantizer(self, keep_fp32=(), only: str | None = None):
        return coreml_quantizer(keep_fp32, only)

    def partitioners(self, ctx) -> list:
        import coremltools as ct
        from executorch.backends.apple.coreml.compiler import CoreMLBackend
        from executorch.backends.apple.coreml.partition import CoreMLPartitioner

        precision = ct.precision.FLOAT16 if self.mode(ctx) == "fp16" else ct.precision.FLOAT32
        specs = CoreMLBackend.generate_compile_specs(
            compute_precision=precision,
            minimum_deployment_target=getattr(ct.target, IOS_TARGET),
        )
        return [CoreMLPartitioner(compile_specs=specs)]
