"""The preprocessing spec: one serialisable object applied identically everywhere.

Python applies it with :meth:`Preprocess.apply`; ``preprocess.json`` (``to_dict``) is shipped
in every generated app and rendered into Kotlin, Swift and JavaScript. The pixel maths is
deliberately simple so every language computes the same numbers:

``value = (pixel * scale - mean[c]) / std[c]`` for an 8-bit pixel, channels-first (NCHW) or
channels-last (NHWC).

Images are fitted to ``size`` before this (``resize`` = ``"stretch"``, or ``"center-crop"``:
scale the short side to ``resize_size`` (default: the crop size), then keep the centre), with
``interpolation``, so bundled samples are already at model size and no resampler differs.

Where the spec comes from matters as much as what it says: a model trained on 0..1 inputs and
evaluated with ImageNet statistics loses points that are not its fault. The recipe's
``[preprocess]`` table overrides any key (:func:`parse_overrides`); otherwise the model says
(torchvision weights' transforms, a built-in's training), and failing that the spec is
*guessed* from the input shape and marked so (:data:`GUESSED`).

A model that does not take images carries the rest of its spec here too: ``audio``
(:class:`~deploy_studio.core.data.audio.AudioSpec`: rate, length, log-mel) and ``tabular``
(:class:`~deploy_studio.core.data.tabular.TabularSpec`: columns and standardisation), each
None when unused, serialised under their own key by :meth:`Preprocess.to_dict` and set by the
recipe as inline tables (``[preprocess] audio = { sample_rate = 16000 }``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from deploy_studio.core.data.audio import AudioSpec
from deploy_studio.core.data.overrides import (
    CHANNEL_ORDERS,
    INTERPOLATIONS,
    LAYOUTS,
    RESIZE_MODES,
    parse_overrides,
)
from deploy_studio.core.data.tabular import TabularSpec
from deploy_studio.core.errors import DataError

__all__ = ["GUESSED", "Preprocess", "candidates", "parse_overrides"]

MNIST_MEAN, MNIST_STD = [0.1307], [0.3081]
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
GUESSED = "guessed"
"""``origin`` of a spec derived from the input shape only: accuracy may be wrong until checked."""


@dataclass
class Preprocess:
    """How an 8-bit image becomes the model's input tensor.

    Attributes
    ----------
    size: ``[height, width]`` of the model input.
    channels: 1 (grayscale) or 3 (RGB).
    resize: ``"stretch"`` or ``"center-crop"`` (scale the short side, crop the centre).
    resize_size: for center-crop, the short side's length before cropping (torchvision's
        256 for a 224 crop); None = the crop size itself.
    interpolation: ``"bilinear"``, ``"nearest"`` or ``"bicubic"`` (resampling of other images).
    channel_order: ``"RGB"`` or ``"BGR"`` (3-channel models only).
    scale: multiplier applied to the 0..255 pixel value before mean/std.
    mean, std: per-channel normalisation (length = ``channels``).
    layout: ``"NCHW"`` (channels first) or ``"NHWC"`` (channels last).
    audio: how a recording becomes the input (audio models), else None.
    tabular: which columns feed the input and their standardisation (table models), else None.
    """

    size: list[int] = field(default_factory=lambda: [28, 28])
    channels: int = 1
    resize: str = "stretch"
    channel_order: str = "RGB"
    scale: float = 1.0 / 255.0
    mean: list[float] = field(default_factory=lambda: list(MNIST_MEAN))
    std: list[float] = field(default_factory=lambda: list(MNIST_STD))
    layout: str = "NCHW"
    resize_size: int | None = None
    interpolation: str = "bilinear"
    audio: AudioSpec | None = None
    tabular: TabularSpec | None = None

    def __post_init__(self) -> None:
        if self.audio is not None:
            self.audio = AudioSpec.from_dict(self.audio)
        if self.tabular is not None:
            self.tabular = TabularSpec.from_dict(self.tabular)
        if self.channels not in (1, 3):
            raise DataError(
                f"preprocessing supports 1 or 3 channels, not {self.channels}",
                "use an input shape like [1, 1, 28, 28] or [1, 3, 224, 224]",
            )
        self.mean = [float(v) for v in self.mean]
        self.std = [float(v) for v in self.std]
        if len(self.mean) == 1 and self.channels == 3:
            self.mean = self.mean * 3
        if len(self.std) == 1 and self.channels == 3:
            self.std = self.std * 3
        if len(self.mean) != self.channels or len(self.std) != self.channels:
            raise DataError(
                f"mean/std need {self.channels} values each (got {self.mean} / {self.std})"
            )
        if any(s == 0 for s in self.std):
            raise DataError(
                f"std must not be 0 (got {self.std})", "e.g. std = [0.5] for Normalize(0.5, 0.5)"
            )
        if self.resize not in RESIZE_MODES:
            raise DataError(f"unknown resize mode {self.resize!r}", "use stretch or center-crop")
        if self.layout not in LAYOUTS:
            raise DataError(f"unsupported layout {self.layout!r}", "use NCHW or NHWC")
        if self.interpolation not in INTERPOLATIONS:
            raise DataError(
                f"unknown interpolation {self.interpolation!r}", f"use {', '.join(INTERPOLATIONS)}"
            )
        if self.channel_order not in CHANNEL_ORDERS:
            raise DataError(f"unknown channel order {self.channel_order!r}", "use RGB or BGR")
        if self.resize_size is not None and self.resize_size < min(self.size):
            raise DataError(
                f"resize_size {self.resize_size} is smaller than the crop {self.size}",
                "resize_size is the short side before the centre crop, e.g. 256 for a 224 crop",
            )

    @property
    def grayscale(self) -> bool:
        return self.channels == 1

    @staticmethod
    def image_dims(input_shape: list[int] | tuple[int, ...]) -> tuple[str, int, int, int] | None:
        """(layout, channels, height, width) of an image input shape, or None."""
        if len(input_shape) != 4:
            return None
        _, a, b, c = (int(v) for v in input_shape)
        if a in (1, 3):
            return "NCHW", a, b, c
        if c in (1, 3):
            return "NHWC", c, a, b
        return None

    @classmethod
    def for_input_shape(cls, input_shape: list[int] | tuple[int, ...]) -> Preprocess:
        """The guessed defaults for a model input shape ``[N, C, H, W]`` (or ``[N, H, W, C]``).

        1-channel models get MNIST statistics, 3-channel models ImageNet statistics and a
        centre crop. These are guesses (:data:`GUESSED`): a recipe's ``[preprocess]`` or the
        model's own metadata should replace them.
        """
        dims = cls.image_dims(input_shape)
        if dims is None:
            raise DataError(
                f"image preprocessing needs a 4-D input shape [N, C, H, W], got {list(input_shape)}"
            )
        layout, c, h, w = dims
        if c == 1:
            return cls(
                size=[h, w], channels=1, mean=list(MNIST_MEAN), std=list(MNIST_STD), layout=layout
            )
        return cls(
            size=[h, w],
            channels=c,
            resize="center-crop",
            layout=layout,
            mean=list(IMAGENET_MEAN),
            std=list(IMAGENET_STD),
        )

    def input_shape(self) -> list[int]:
        """The batch-1 input shape this spec produces."""
        h, w = self.size
        return [1, self.channels, h, w] if self.layout == "NCHW" else [1, h, w, self.channels]

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("audio", "tabular"):
            if d[key] is None:
                del d[key]  # image models: the spec the apps have always read
        d["grayscale"] = self.grayscale
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Preprocess:
        known = {k: d[k] for k in (f.name for f in fields(cls)) if k in d}
        return cls(**known)

    def with_overrides(self, overrides: dict[str, Any]) -> Preprocess:
        """A copy with the recipe's ``[preprocess]`` keys applied (validated); ``audio`` and
        ``tabular`` tables are merged key by key into the spec's own."""
        merged = {**asdict(self), **(overrides or {})}
        for key in ("audio", "tabular"):
            new = (overrides or {}).get(key)
            old = getattr(self, key)
            if isinstance(new, dict) and old is not None:
                base = old.to_dict()
                if key == "audio" and "seconds" in new and "samples" not in new:
                    base["samples"] = None  # a length in seconds replaces one in samples
                if key == "audio" and "samples" in new and "seconds" not in new:
                    base["seconds"] = None
                merged[key] = {**base, **new}
        return Preprocess.from_dict(merged)

    def describe(self) -> str:
        """One line for terminals and tooltips."""
        if self.audio is not None:
            return self.audio.describe()
        if self.tabular is not None:
            return self.tabular.describe()
        norm = f"(x*{self.scale:.6g} - {_short(self.mean)}) / {_short(self.std)}"
        fit = (
            self.resize
            if self.resize == "stretch"
            else (
                f"center-crop{f' after resizing to {self.resize_size}' if self.resize_size else ''}"
            )
        )
        return (
            f"{self.size[0]}x{self.size[1]} {fit} ({self.interpolation}), {norm}, {self.layout}"
            + (f", {self.channel_order}" if self.channels == 3 else ", grayscale")
        )

    # --- images -------------------------------------------------------------------------
    def resize_image(self, img):  # PIL.Image -> PIL.Image at model size, right mode
        """Convert a PIL image to the model's mode and size (the bundled-sample form)."""
        from PIL import Image

        resample = {
            "bilinear": Image.Resampling.BILINEAR,
            "nearest": Image.Resampling.NEAREST,
            "bicubic": Image.Resampling.BICUBIC,
        }[self.interpolation]
        return self.fit(img.convert("L" if self.grayscale else "RGB"), resample)

    def geometry(self, width: int, height: int) -> tuple[int, int, int, int]:
        """How an image of ``width`` x ``height`` is fitted: (resized width, resized height,
        crop left, crop top); a point ``x, y`` lands at ``x * rw / width - left``, ``y * rh /
        height - top`` (the same for masks and boxes as for the image)."""
        h, w = self.size
        if (width, height) == (w, h):
            return w, h, 0, 0  # already at model size (a bundled sample): taken as is
        if self.resize != "center-crop":
            return w, h, 0, 0
        s = (
            self.resize_size / min(width, height)
            if self.resize_size
            else max(w / width, h / height)
        )
        nw, nh = max(w, round(width * s)), max(h, round(height * s))
        return nw, nh, (nw - w) // 2, (nh - h) // 2

    def fit(self, img, resample):
        """A PIL image (any mode, kept) fitted to ``size`` by :meth:`geometry` with
        ``resample`` (NEAREST for masks of class indices)."""
        h, w = self.size
        nw, nh, left, top = self.geometry(*img.size)
        if (nw, nh) != img.size:
            img = img.resize((nw, nh), resample)
        if (left, top, nw, nh) != (0, 0, w, h):
            img = img.crop((left, top, left + w, top + h))
        return img

    def to_uint8(self, img) -> np.ndarray:
        """PIL image -> uint8 array ``[H, W, C]`` at model size."""
        arr = np.asarray(self.resize_image(img), dtype=np.uint8)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return arr

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 ``[N, H, W, C]`` or ``[H, W, C]`` at model size -> float32 in ``layout``."""
        single = pixels.ndim == 3
        batch = pixels[None] if single else pixels
        if batch.shape[1:3] != tuple(self.size) or batch.shape[3] != self.channels:
            raise DataError(
                f"pixels of shape {list(batch.shape[1:])} do not match the preprocessing "
                f"size {self.size} x {self.channels} channel(s)"
            )
        x = batch.astype(np.float32)
        if self.channels == 3 and self.channel_order == "BGR":
            x = x[..., ::-1]
        mean = np.asarray(self.mean, dtype=np.float32)
        std = np.asarray(self.std, dtype=np.float32)
        x = (x * np.float32(self.scale) - mean) / std
        # A fresh C-order copy: numpy keeps odd strides on size-1 axes after a no-op
        # ascontiguousarray, and torch then reads a [1, 1, H, W] input as channels-last,
        # which changes what torch.export records (and breaks XNNPACK at run time).
        if self.layout == "NHWC":
            out = np.empty(x.shape, dtype=np.float32)
            out[...] = x
        else:
            out = np.empty((x.shape[0], x.shape[3], x.shape[1], x.shape[2]), dtype=np.float32)
            out[...] = x.transpose(0, 3, 1, 2)
        return out[0] if single else out

    def view(self, x: np.ndarray) -> np.ndarray:
        """A model input (one sample, in ``layout``) as uint8 ``[H, W, C]`` for a preview:
        the values the model sees, mapped min..max to 0..255 per image."""
        a = np.asarray(x, dtype=np.float32)
        if a.ndim == 4:
            a = a[0]
        hwc = a if self.layout == "NHWC" else a.transpose(1, 2, 0)
        lo, hi = float(hwc.min()), float(hwc.max())
        scaled = (hwc - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(hwc)
        return scaled.round().clip(0, 255).astype(np.uint8)


def _short(values: list[float]) -> str:
    vals = [f"{v:.4g}" for v in values]
    return vals[0] if len(set(vals)) == 1 else "[" + ", ".join(vals) + "]"


# --- candidates for the one-click normalisation check ---------------------------------------
def candidates(base: Preprocess) -> list[tuple[str, Preprocess]]:
    """Common normalisations to compare on labelled data: (name, spec) with everything else
    (size, resize, layout, channel order) kept from ``base``."""
    c = base.channels

    def spec(mean, std, scale=1.0 / 255.0):
        return base.with_overrides(
            {
                "mean": list(mean) * (c if len(mean) == 1 else 1),
                "std": list(std) * (c if len(std) == 1 else 1),
                "scale": scale,
            }
        )

    out = [
        ("0..1 (ToTensor only)", spec([0.0], [1.0])),
        ("-1..1 (Normalize(0.5, 0.5))", spec([0.5], [0.5])),
        ("MNIST statistics", spec(MNIST_MEAN, MNIST_STD)),
        ("0..255 (raw pixels)", spec([0.0], [1.0], 1.0)),
    ]
    if c == 3:
        out.insert(2, ("ImageNet statistics", spec(IMAGENET_MEAN, IMAGENET_STD)))
    return out
