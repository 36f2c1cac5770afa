"""The Vulkan delegate of ExecuTorch: ``format_options = { delegate = "vulkan" }``.

Lowered here with ExecuTorch's ``VulkanPartitioner`` (SPIR-V shaders are prebuilt into the
runtime, so lowering needs no GPU); the program runs only on ExecuTorch built with Vulkan on
a Vulkan 1.1 GPU (Android), so its artifact is not measured on this host. The ``fp16``
quantize mode is the backend's ``force_fp16`` compile option (float16 textures and math);
``int8-weight-only`` is PT2E with ExecuTorch's ``VulkanQuantizer`` (symmetric per-channel
int8 weights of linear and conv layers, float activations).
The Android app depends on ``org.pytorch:executorch-android-vulkan`` instead of
``executorch-android`` (it registers both the Vulkan and the XNNPACK backends).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from deploy_studio.core.formats.contract import QuantizerPlan
from deploy_studio.core.formats.pte_delegates import Delegate, register_delegate


def _fp16_note(ctx, module, options) -> None:
    ctx.notes.append("Vulkan force_fp16: float16 tensors and arithmetic on the GPU")


def _weights_int8(ctx, module, options) -> None:
    """PT2E with the VulkanQuantizer's weight-only config (observers see only weights, so
    a few calibration samples do)."""
    from executorch.backends.vulkan.quantizer.vulkan_quantizer import (
        VulkanQuantizer,
        get_symmetric_quantization_config,
    )

    from deploy_studio.core.quantizers import pt2e_on_context

    quantizer = VulkanQuantizer().set_global(get_symmetric_quantization_config(is_dynamic=False))
    pt2e_on_context(ctx, module, quantizer, tuple(c[:2] for c in ctx.calibration_inputs()))
    ctx.notes.append("int8 per-channel weights, float activations (PT2E, VulkanQuantizer)")


@register_delegate("vulkan")
class VulkanDelegate(Delegate):
    """Vulkan: the GPU of Android devices (fp32 and fp16)."""

    label = "Vulkan"
    help = "GPU on Android (Vulkan 1.1); not run on this host"
    modes = ("int8-weight-only", "fp16")
    plans: ClassVar[Mapping[str, QuantizerPlan]] = {
        "fp16": QuantizerPlan(
            "Vulkan fp16 compute (force_fp16)", prepare=_fp16_note, needs_module=False
        ),
        "int8-weight-only": QuantizerPlan(
            "PT2E + VulkanQuantizer (int8 per-channel weights)", prepare=_weights_int8
        ),
    }
    app_libraries: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "android": ("executorch-android-vulkan",)
    }
    platforms = ("android",)
    not_runnable = (
        "the Vulkan delegate needs the Vulkan-enabled ExecuTorch runtime and a GPU; the "
        "desktop pip runtime has no Vulkan backend"
    )

    def partitioners(self, ctx) -> list:
        from executorch.backends.vulkan.partitioner.vulkan_partitioner import VulkanPartitioner

        options = {"force_fp16": True} if self.mode(ctx) == "fp16" else None
        return [VulkanPartitioner(options)]
