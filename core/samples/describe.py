"""Text forms of samples that are not pictures: a tabular row (``column=value``), token ids
(as a list, and as text when the data names its tokens), any model input, and summaries of a
model's outputs (name, shape, min/max/mean, top values). Plain numpy, no Qt."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MAX_ITEMS = 32  # longer lists are cut with "…"


def fmt_value(v: float) -> str:
    """A number as people read it: integers without a point, others to 4 significant digits."""
    v = float(v)
    if np.isnan(v):
        return "nan"
    if v == int(v) and abs(v) < 1e9:
        return str(int(v))
    return f"{v:.4g}"


def table_row(columns: Sequence[str] | None, values: np.ndarray) -> list[tuple[str, str]]:
    """``(column, value)`` pairs of one tabular row (columns ``f0, f1...`` when unnamed)."""
    vals = np.asarray(values).reshape(-1)
    names = list(columns or [])
    return [(names[i] if i < len(names) else f"f{i}", fmt_value(v)) for i, v in enumerate(vals)]


def row_text(columns: Sequence[str] | None, values: np.ndarray, limit: int = MAX_ITEMS) -> str:
    """``column=value, ...`` of one tabular row (cut after ``limit`` columns)."""
    pairs = table_row(columns, values)
    text = ", ".join(f"{c}={v}" for c, v in pairs[:limit])
    return text + (f", … ({len(pairs)} columns)" if len(pairs) > limit else "")


def token_list(ids: np.ndarray, limit: int = MAX_ITEMS) -> str:
    """Token ids as ``[3, 14, 15, …]`` (cut after ``limit``)."""
    flat = [int(v) for v in np.asarray(ids).reshape(-1)]
    body = ", ".join(str(v) for v in flat[:limit])
    return "[" + body + (", …" if len(flat) > limit else "") + "]"


def token_text(
    ids: np.ndarray, vocabulary: Sequence[str] | None, limit: int = MAX_ITEMS
) -> str | None:
    """The tokens as text (``vocabulary[id]`` joined by spaces; an id outside it as ``<id>``),
    or None without a vocabulary."""
    if not vocabulary:
        return None
    flat = [int(v) for v in np.asarray(ids).reshape(-1)]
    words = [str(vocabulary[v]) if 0 <= v < len(vocabulary) else f"<{v}>" for v in flat[:limit]]
    return " ".join(words) + (" …" if len(flat) > limit else "")


def is_token_input(a: np.ndarray) -> bool:
    """Whether a model input's samples are integer ids (tokens)."""
    return np.issubdtype(np.asarray(a).dtype, np.integer)


def input_text(name: str, x: np.ndarray, vocabulary: Sequence[str] | None = None) -> str:
    """One sample of one model input as text: ids (and the tokens' text) for integer inputs,
    the values of a short float vector, else its shape and min/max/mean."""
    a = np.asarray(x)
    if is_token_input(a):
        text = token_text(a, vocabulary)
        return f"{name}: {token_list(a)}" + (f"\n  “{text}”" if text else "")
    if a.size <= 16:
        return f"{name}: [" + ", ".join(fmt_value(v) for v in a.reshape(-1)) + "]"
    s = summarize_output(name, a, top=0)
    return f"{name} {s['shape']}: min {fmt_value(s['min'])}, max {fmt_value(s['max'])}, mean {fmt_value(s['mean'])}"


def summarize_output(name: str, x: np.ndarray, top: int = 3) -> dict:
    """One sample's output ``x`` (no batch axis): ``{name, shape, min, max, mean, top}``,
    ``top`` the largest values as ``[(flat index, value)]``."""
    a = np.asarray(x, np.float64)
    flat = a.reshape(-1)
    best: np.ndarray | list[int] = (
        np.argsort(-flat, kind="stable")[:top] if flat.size and top else []
    )
    return {
        "name": str(name),
        "shape": [int(v) for v in a.shape],
        "min": float(flat.min()) if flat.size else None,
        "max": float(flat.max()) if flat.size else None,
        "mean": float(flat.mean()) if flat.size else None,
        "top": [(int(i), float(flat[i])) for i in best],
    }


def summary_text(s: dict) -> str:
    """A :func:`summarize_output` dict as one line."""
    if s.get("min") is None:
        return f"{s['name']} {s['shape']}: empty"
    text = (
        f"{s['name']} {s['shape']}: min {fmt_value(s['min'])}, max {fmt_value(s['max'])}, "
        f"mean {fmt_value(s['mean'])}"
    )
    if s.get("top"):
        text += "; top " + ", ".join(f"[{i}]={fmt_value(v)}" for i, v in s["top"])
    return text


def cosine(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cosine similarity of two arrays (flattened); 1.0 for two zero arrays, None if sizes
    differ."""
    x = np.asarray(a, np.float64).reshape(-1)
    y = np.asarray(b, np.float64).reshape(-1)
    if x.size != y.size:
        return None
    nx, ny = float(np.linalg.norm(x)), float(np.linalg.norm(y))
    if nx == 0 and ny == 0:
        return 1.0
    if nx == 0 or ny == 0:
        return 0.0
    return float(np.clip(np.dot(x, y) / (nx * ny), -1.0, 1.0))
