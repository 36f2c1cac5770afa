"""ExecuTorch delegates: the backends a ``.pte`` program is lowered to.

A variant picks one with ``format_options = { delegate = "xnnpack" }`` (the default). Each
delegate supplies its partitioners (for ``to_edge_transform_and_lower``), its int8-static
quantizer (plugged into PT2E), the quantize modes it lowers, and the libraries an app links
to run it; the artifact records its delegates so the app templates link the right ones.
Adding a delegate is one class, registered with :func:`register_delegate` (XNNPACK here;
Core ML and Vulkan in ``pte_delegate_coreml.py`` and ``pte_delegate_vulkan.py``, which the pte
format imports)::

    @register_delegate("vulkan")
    class VulkanDelegate(Delegate):
        label = "Vulkan"
        modes = ("fp16",)
        app_libraries = {"android": ("executorch-android-vulkan",)}
        platforms = ("android",)
        not_runnable = "needs the Vulkan-enabled ExecuTorch runtime and a GPU"

        def partitioners(self, ctx):
            from executorch.backends.vulkan.partitioner.vulkan_partitioner import VulkanPartitioner
            return [VulkanPartitioner()]

A delegate with ``not_runnable`` set marks its artifacts not runnable on this host (size and
partition coverage are reported, latency is not measured).

Nothing here imports ExecuTorch until a delegate is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from deploy_studio.core.formats.contract import QUANTIZE_MODES, QuantizerPlan


class Delegate:
    """Base class of an ExecuTorch delegate.

    Attributes
    ----------
    key: the ``delegate`` format option's value; set when the class registers.
    label: the backend's name in progress and notes (``"XNNPACK"``).
    help: one line for the option's help.
    int8_description: how int8-static is done (hints, ``ctx.quantization``).
    int8_note: the same in the variant's notes, after the calibration sentence.
    modes: quantize modes whose graphs it lowers (of those the pte format implements).
    app_libraries: platform -> libraries (Swift package products, Gradle artifacts) an app
        links to run programs lowered to it, beyond what the template always links.
    platforms: the app platforms whose ExecuTorch runtime runs programs lowered to it.
    not_runnable: why this host cannot run its programs ('' when the desktop ExecuTorch
        runtime can: they are measured like any artifact).
    plans: quantize mode -> a :class:`QuantizerPlan` replacing the pte format's plan for
        this delegate (Core ML's fp16 is a compile option, not a float16 module).
    unsupported: quantize mode -> why it does not lower them (quoted when a recipe asks).
    """

    key: str = ""
    label: str = ""
    help: str = ""
    int8_description: str = ""
    int8_note: str = ""
    modes: tuple[str, ...] = QUANTIZE_MODES
    app_libraries: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    platforms: tuple[str, ...] = ("android", "ios")
    not_runnable: str = ""
    plans: ClassVar[Mapping[str, QuantizerPlan]] = {}
    unsupported: ClassVar[Mapping[str, str]] = {}

    def partitioners(self, ctx) -> list:
        """The ExecuTorch partitioners that lower ``ctx.converted`` to this backend."""
        raise NotImplementedError

    def mode(self, ctx) -> str | None:
        """The quantize mode ``ctx``'s variant asked for (None: fp32)."""
        return (ctx.quantization or {}).get("mode")

    def int8_quantizer(self, keep_fp32=(), only: str | None = None):
        """A PT2E quantizer for int8-static.

        Parameters
        ----------
        keep_fp32 : iterable of str
            Module names left in float (with everything traced from their children).
        only : str, optional
            Quantize only this module (for the per-layer sensitivity table).
        """
        raise NotImplementedError


DELEGATES: dict[str, Delegate] = {}


def register_delegate(key: str):
    """Class decorator: register a :class:`Delegate` under ``key`` (checked here)."""

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, Delegate)):
            raise TypeError(f"delegate {key!r} must derive from pte_delegates.Delegate")
        if cls.partitioners is Delegate.partitioners or not cls.label:
            raise TypeError(f"delegate {key!r} needs a label and partitioners(ctx)")
        if "int8-static" in cls.modes and (
            cls.int8_quantizer is Delegate.int8_quantizer or not cls.int8_description
        ):
            raise TypeError(
                f"delegate {key!r} lowers int8-static: give int8_quantizer and int8_description"
            )
        unknown = set(cls.modes) - set(QUANTIZE_MODES)
        if unknown:
            raise TypeError(f"delegate {key!r} names unknown quantize modes {sorted(unknown)}")
        delegate = cls()
        delegate.key = key
        DELEGATES[key] = delegate
        return cls

    return deco


class DelegateKeys(Sequence):
    """The registered delegate keys, read when used: the ``delegate`` option's choices stay
    current when a delegate registers after the pte format."""

    def __getitem__(self, i):
        return list(DELEGATES)[i]

    def __len__(self) -> int:
        return len(DELEGATES)

    def __repr__(self) -> str:
        return repr(tuple(DELEGATES))


def delegate(key: str) -> Delegate:
    """The registered delegate ``key`` (a KeyError is a bug: options are checked first)."""
    return DELEGATES[key]


# --- XNNPACK -------------------------------------------------------------------------------

_ACTIVATIONS = ("relu", "relu_", "hardtanh", "hardtanh_", "relu6")


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
        SUPPORTED_PATTERNS: ClassVar = [
            p for p in XNNPACKQuantizer.SUPPORTED_PATTERNS if not p.is_qat
        ]

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


def _layer_filter(in_layer):
    """Accept a layer's nodes, its weights, and an activation applied right after it.

    XNNPACKQuantizer annotates conv+relu as one partition and checks the filter on every
    node of it, including the weight/bias attributes and a ReLU that is its own module
    (``self.relu``); without this, "quantize only conv1" would quantize nothing.
    """
    import torch

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


@register_delegate("xnnpack")
class XnnpackDelegate(Delegate):
    """XNNPACK: optimized CPU kernels on Android, iOS and desktop (fp32, fp16 and int8)."""

    label = "XNNPACK"
    help = "CPU kernels for Android, iOS and desktop"
    int8_description = "PT2E + XNNPACKQuantizer (per-channel)"
    int8_note = "PT2E, XNNPACK per-channel"
    modes = ("int8-static", "int8-dynamic", "fp16")
    # The Android AAR bundles XNNPACK; the iOS Swift package ships it as a product.
    app_libraries: ClassVar[Mapping[str, tuple[str, ...]]] = {"ios": ("backend_xnnpack",)}
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-weight-only": "XNNPACK mis-lowers torchao weight-only int8 graphs on this stack",
    }

    def partitioners(self, ctx) -> list:
        # Every precision is enabled: int8-static (PT2E q/dq patterns), int8-dynamic (torchao
        # dynamic linear) and fp16 are recognised from the graph itself.
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner

        return [XnnpackPartitioner()]

    def int8_quantizer(self, keep_fp32=(), only: str | None = None):
        return xnnpack_quantizer(keep_fp32, only)
