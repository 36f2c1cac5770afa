"""``tabular:FILE.csv``: one sample per row, numeric feature columns and a label column.

The file has a header row. The label column is ``[preprocess] tabular = { label = "..." }``,
else the column named ``label``, ``target``, ``class`` or ``y``, else the last one; the feature
columns are ``columns`` (default: every other column, in file order). Every feature cell must
be a number. Text labels become class indices in sorted order (``classes`` = the names);
whole-number labels are class indices themselves; a label column of fractional numbers with
many distinct values is a regression target (``values``).

Standardisation is part of the spec (:class:`TabularSpec`, carried as ``Preprocess.tabular``
and shipped in ``preprocess.json``): ``x = (value - mean[f]) / std[f]``, with ``mean``/``std``
from the recipe when it gives them, else computed over the file's rows (and the dataset's
spec then holds them, so every app standardises the same way). Features are reshaped to the
model's one input (``[1, F]``). The raw rows stay on the dataset (``columns``, ``table``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from deploy_studio.core.errors import DataError, RecipeError

LABEL_NAMES = ("label", "target", "class", "y")
TABULAR_KEYS = ("columns", "label", "mean", "std")
REGRESSION_DISTINCT = 10
"""A fractional label column with more distinct values than this is a regression target."""


@dataclass
class TabularSpec:
    """Which columns feed the model and how they are standardised (see the module docstring)."""

    columns: list[str] | None = None
    label: str | None = None
    mean: list[float] | None = None
    std: list[float] | None = None

    def __post_init__(self) -> None:
        for key in ("mean", "std"):
            v = getattr(self, key)
            if v is not None:
                setattr(self, key, [float(x) for x in v])
        if self.std is not None and any(s <= 0 for s in self.std):
            raise DataError(f"tabular std values must be > 0, got {self.std}")
        n = len(self.columns) if self.columns is not None else None
        for key in ("mean", "std"):
            v = getattr(self, key)
            if v is not None and n is not None and len(v) != n:
                raise DataError(
                    f"tabular {key} has {len(v)} values for {n} columns ({', '.join(self.columns or [])})",
                    "give one value per feature column",
                )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | TabularSpec) -> TabularSpec:
        if isinstance(d, TabularSpec):
            return d
        return cls(**{k: d[k] for k in TABULAR_KEYS if k in d})

    def describe(self) -> str:
        cols = len(self.columns) if self.columns is not None else "all"
        return f"table: {cols} feature column(s), label {self.label or '(auto)'}, standardised"

    def apply(self, table: np.ndarray) -> np.ndarray:
        """Raw rows float ``[N, F]`` -> standardised float32 features."""
        mean = np.asarray(self.mean, dtype=np.float64)
        std = np.asarray(self.std, dtype=np.float64)
        return ((table - mean) / std).astype(np.float32)

    @staticmethod
    def parse(table: Any, where: str = "[preprocess].tabular") -> dict:
        """Validate a recipe's ``tabular`` table; returns the keys it sets."""
        if not isinstance(table, dict):
            raise RecipeError(f"{where} must be a table", 'e.g. tabular = { label = "target" }')
        out: dict[str, Any] = {}
        for key, value in table.items():
            if key not in TABULAR_KEYS:
                raise RecipeError(
                    f"unknown key {key!r} in {where}", f"allowed: {', '.join(TABULAR_KEYS)}"
                )
            if key == "label":
                if not isinstance(value, str) or not value:
                    raise RecipeError(f"{where}.label must be a column name, got {value!r}")
            elif key == "columns":
                if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
                    raise RecipeError(
                        f"{where}.columns must be a list of column names, got {value!r}"
                    )
            elif not isinstance(value, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
            ):
                raise RecipeError(f"{where}.{key} must be a list of numbers, got {value!r}")
            else:
                value = [float(v) for v in value]
            out[key] = value
        try:
            TabularSpec.from_dict(out)
        except DataError as e:
            raise RecipeError(f"{where}: {e.message}", e.hint) from None
        return out
