"""The recipe's ``[preprocess]`` table, validated: which keys it may set and their values.

The keys are :data:`~deploy_studio.core.data.preprocess.EDITABLE`; ``audio`` and ``tabular``
are inline tables checked by :meth:`~deploy_studio.core.data.audio.AudioSpec.parse` and
:meth:`~deploy_studio.core.data.tabular.TabularSpec.parse`. The result holds plain TOML values
only (it is written back into the recipe as is) and is applied with
:meth:`~deploy_studio.core.data.preprocess.Preprocess.with_overrides`.
"""

from __future__ import annotations

from typing import Any

from deploy_studio.core.data.audio import AudioSpec
from deploy_studio.core.data.tabular import TabularSpec
from deploy_studio.core.errors import RecipeError

RESIZE_MODES = ("stretch", "center-crop")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
LAYOUTS = ("NCHW", "NHWC")
CHANNEL_ORDERS = ("RGB", "BGR")
EDITABLE = (
    "resize",
    "resize_size",
    "interpolation",
    "channel_order",
    "scale",
    "mean",
    "std",
    "layout",
    "audio",
    "tabular",
)
"""Keys a recipe's ``[preprocess]`` table may set (size and channels follow the input shape)."""


def parse_overrides(table: Any, where: str = "[preprocess]") -> dict[str, Any]:
    """Validate a recipe's ``[preprocess]`` table; returns the keys it sets.

    Raises :class:`RecipeError` naming the key and the allowed values.
    """
    if not isinstance(table, dict):
        raise RecipeError(f"{where} must be a table, got {type(table).__name__}")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in EDITABLE:
            raise RecipeError(
                f"unknown key {key!r} in {where}", f"allowed keys: {', '.join(EDITABLE)}"
            )
        choices = {
            "resize": RESIZE_MODES,
            "interpolation": INTERPOLATIONS,
            "layout": LAYOUTS,
            "channel_order": CHANNEL_ORDERS,
        }.get(key)
        if choices is not None:
            if value not in choices:
                raise RecipeError(
                    f"{where}.{key} = {value!r} is not allowed",
                    f"allowed values: {', '.join(choices)}",
                )
        elif key in ("audio", "tabular"):
            spec = AudioSpec if key == "audio" else TabularSpec
            value = spec.parse(value, f"{where}.{key}")
        elif key == "resize_size":
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise RecipeError(
                    f"{where}.resize_size must be a positive int, got {value!r}", "e.g. 256"
                )
        elif key == "scale":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise RecipeError(
                    f"{where}.scale must be a positive number, got {value!r}",
                    "e.g. 0.00392156862745098 (1/255)",
                )
            value = float(value)
        else:  # mean, std
            vals = value if isinstance(value, list) else [value]
            if not vals or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals
            ):
                raise RecipeError(
                    f"{where}.{key} must be a number or a list of numbers, got {value!r}",
                    "e.g. [0.485, 0.456, 0.406] or 0.5",
                )
            if key == "std" and any(v <= 0 for v in vals):
                raise RecipeError(f"{where}.std values must be > 0, got {value!r}")
            value = [float(v) for v in vals]
        out[key] = value
    return out
