"""How numbers from a report are written in the window (the table, tooltips, charts).

Tests format report.json values with these same functions and compare them with the
table's cell text, so the window and the report cannot drift apart silently.
"""

from __future__ import annotations

NA = "n/a"


def fmt_bytes(n: float | None) -> str:
    """Size on disk: ``"11.09 MB"``, ``"842.3 kB"`` or ``"512 B"``."""
    if n is None:
        return NA
    if n >= 1e6:
        return f"{n / 1e6:.2f} MB"
    if n >= 1e3:
        return f"{n / 1e3:.1f} kB"
    return f"{int(n)} B"


def fmt_count(n: int | None) -> str:
    """A parameter count with thousands separators."""
    return NA if n is None else f"{int(n):,}"


def fmt_ms(v: float | None) -> str:
    """A latency in milliseconds with three decimals."""
    return NA if v is None else f"{v:.3f}"


def fmt_pct(fraction: float | None, digits: int = 2) -> str:
    """A fraction 0..1 as a percentage: ``0.978 -> "97.80 %"``."""
    return NA if fraction is None else f"{fraction * 100:.{digits}f} %"


def fmt_sci(v: float | None) -> str:
    """A small difference such as max |Δ logit|: ``"3.1e-06"``."""
    if v is None:
        return NA
    return "0" if v == 0 else f"{v:.1e}"


def fmt_shape(shape) -> str:
    """``[1, 1, 28, 28] -> "1 × 1 × 28 × 28"``."""
    return NA if not shape else " × ".join(str(s) for s in shape)
