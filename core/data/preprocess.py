"""The preprocessing spec: one serialisable object applied identically everywhere.

Python applies it with :meth:`Preprocess.apply`; ``preprocess.json`` (``to_dict``) is shipped
in every generated app and rendered into Kotlin, Swift and JavaScript. The pixel maths is
deliberately simple so every language computes the same numbers:

``value = (pixel * scale - mean[c]) / std[c]`` for an 8-bit pixel, channels-first (NCHW).

Images are resized to ``size`` before this (``resize`` = ``"stretch"`` or
``"center-crop"``) so bundled samples are already at model size and no resampler differs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from core.errors import DataError

MNIST_MEAN, MNIST_STD = [0.1307], [0.3081]
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


@dataclass
class Preprocess:
    """How an 8-bit image becomes the model's input tensor.

    Attributes
    ----------
    size: ``[height, width]`` of the model input.
    channels: 1 (grayscale) or 3 (RGB).
    resize: ``"stretch"`` or ``"center-crop"`` (scale the short side, crop the centre).
    channel_order: ``"RGB"`` or ``"BGR"`` (3-channel models only).
    scale: multiplier applied to the 0..255 pixel value before mean/std.
    mean, std: per-channel normalisation (length = ``channels``).
    layout: ``"NCHW"`` (the only layout the engine emits today).
    """

    size: list[int] = field(default_factory=lambda: [28, 28])
    channels: int = 1
    resize: str = "stretch"
    channel_order: str = "RGB"
    scale: float = 1.0 / 255.0
    mean: list[float] = field(default_factory=lambda: list(MNIST_MEAN))
    std: list[float] = field(default_factory=lambda: list(MNIST_STD))
    layout: str = "NCHW"

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise DataError(
                f"preprocessing supports 1 or 3 channels, not {self.channels}",
                "use an input shape like [1, 1, 28, 28] or [1, 3, 224, 224]",
            )
        if len(self.mean) != self.channels or len(self.std) != self.channels:
            raise DataError(
                f"mean/std need {self.channels} values each (got {self.mean} / {self.std})"
            )
        if self.resize not in ("stretch", "center-crop"):
            raise DataError(f"unknown resize mode {self.resize!r}", "use stretch or center-crop")
        if self.layout != "NCHW":
            raise DataError(f"unsupported layout {self.layout!r}", "use NCHW")

    @property
    def grayscale(self) -> bool:
        return self.channels == 1

    @classmethod
    def for_input_shape(cls, input_shape: list[int] | tuple[int, ...]) -> Preprocess:
        """Sensible defaults for a model input shape ``[N, C, H, W]``.

        1-channel models get MNIST statistics, 3-channel models ImageNet statistics and a
        centre crop.
        """
        if len(input_shape) != 4:
            raise DataError(
                f"image preprocessing needs a 4-D input shape [N, C, H, W], got {list(input_shape)}"
            )
        _, c, h, w = (int(v) for v in input_shape)
        if c == 1:
            return cls(size=[h, w], channels=1, mean=list(MNIST_MEAN), std=list(MNIST_STD))
        return cls(
            size=[h, w], channels=c, resize="center-crop",
            mean=list(IMAGENET_MEAN), std=list(IMAGENET_STD),
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["grayscale"] = self.grayscale
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Preprocess:
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)

    # --- images -------------------------------------------------------------------------
    def resize_image(self, img):  # PIL.Image -> PIL.Image at model size, right mode
        """Convert a PIL image to the model's mode and size (the bundled-sample form)."""
        from PIL import Image

        img = img.convert("L" if self.grayscale else "RGB")
        h, w = self.size
        if self.resize == "center-crop":
            sw, sh = img.size
            s = max(w / sw, h / sh)
            nw, nh = max(w, round(sw * s)), max(h, round(sh * s))
            img = img.resize((nw, nh), Image.Resampling.BILINEAR)
            left, top = (nw - w) // 2, (nh - h) // 2
            img = img.crop((left, top, left + w, top + h))
        elif img.size != (w, h):
            img = img.resize((w, h), Image.Resampling.BILINEAR)
        return img

    def to_uint8(self, img) -> np.ndarray:
        """PIL image -> uint8 array ``[H, W, C]`` at model size."""
        arr = np.asarray(self.resize_image(img), dtype=np.uint8)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return arr

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 ``[N, H, W, C]`` or ``[H, W, C]`` at model size -> float32 NCHW (or CHW)."""
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
        out = np.empty((x.shape[0], x.shape[3], x.shape[1], x.shape[2]), dtype=np.float32)
        out[...] = x.transpose(0, 3, 1, 2)
        return out[0] if single else out
