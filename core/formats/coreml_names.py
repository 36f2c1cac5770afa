"""The Core ML feature names of a model's outputs.

coremltools turns an output name into a MIL identifier (``out.0`` becomes ``out_0``); the
converter is given these names (``ct.convert(outputs=...)``) so a converted model's outputs
keep the desktop's names and order, and the iOS app looks them up by the same names.
"""

from __future__ import annotations

import re


def coreml_feature_name(name: str) -> str:
    """``name`` as a Core ML feature name: letters, digits and ``_``, not starting with a digit."""
    text = re.sub(r"\W", "_", str(name), flags=re.ASCII) or "output"
    return f"_{text}" if text[0].isdigit() else text


def coreml_output_names(names: list[str]) -> list[str]:
    """:func:`coreml_feature_name` of each of ``names``, made unique (``_2``, ``_3``...)."""
    out: list[str] = []
    for name in names:
        base = candidate = coreml_feature_name(name)
        k = 2
        while candidate in out:
            candidate, k = f"{base}_{k}", k + 1
        out.append(candidate)
    return out
