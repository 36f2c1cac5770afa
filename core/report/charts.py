"""Small, dependency-free SVG charts for the HTML report: horizontal bars (one colour per
variant, or per bar when given) and lines over a shared x axis (thread scaling)."""

from __future__ import annotations

import math
from html import escape

PALETTE = [
    "#4C72B0",
    "#DD8452",
    "#55A868",
    "#C44E52",
    "#8172B3",
    "#937860",
    "#DA8BC3",
    "#8C8C8C",
    "#CCB974",
    "#64B5CD",
]


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def bar_chart(
    title: str,
    names: list[str],
    values: list[float | None],
    unit: str,
    *,
    fmt: str = "{:.3g}",
    whiskers: list[tuple[float, float] | None] | None = None,
    line: tuple[float, str] | None = None,
    width: int = 640,
    colours: list[str] | None = None,
    left: int = 170,
) -> str:
    """Horizontal bars, one per variant; ``None`` values are drawn as 'n/a'. ``colours``
    gives each bar its own colour (default: the variant palette in order); ``left`` is the
    width of the label column."""
    row_h, right, top = 26, 90, 34
    height = top + row_h * len(names) + 30
    plot_w = width - left - right
    vmax = max(
        [v for v in values if v is not None]
        + [hi for w in (whiskers or []) if w for hi in w[1:]]
        + ([line[0]] if line else [])
        + [1e-12]
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="Helvetica,Arial,sans-serif" font-size="12">',
        f'<text x="8" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (name, v) in enumerate(zip(names, values, strict=True)):
        y = top + i * row_h
        parts.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(name)}</text>')
        if v is None:
            parts.append(f'<text x="{left + 4}" y="{y + 16}" fill="#888">n/a</text>')
            continue
        w = max(1.0, plot_w * v / vmax)
        parts.append(
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colours[i] if colours else colour(i)}" rx="2"/>'
        )
        label_x = left + w + 4
        whisker = whiskers[i] if whiskers else None
        if whisker:
            lo, hi = whisker
            x0, x1 = left + plot_w * lo / vmax, left + plot_w * hi / vmax
            cy = y + row_h / 2 - 1
            parts.append(
                f'<line x1="{x0:.1f}" y1="{cy}" x2="{x1:.1f}" y2="{cy}" stroke="#222" stroke-width="1.5"/>'
            )
            parts.append(
                f'<line x1="{x0:.1f}" y1="{cy - 5}" x2="{x0:.1f}" y2="{cy + 5}" stroke="#222"/>'
            )
            parts.append(
                f'<line x1="{x1:.1f}" y1="{cy - 5}" x2="{x1:.1f}" y2="{cy + 5}" stroke="#222"/>'
            )
            label_x = max(label_x, x1 + 4)
        parts.append(
            f'<text x="{label_x:.1f}" y="{y + 16}">{escape(fmt.format(v))} {escape(unit)}</text>'
        )
    if line:
        x = left + plot_w * line[0] / vmax
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" stroke="#333" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="#333">{escape(line[1])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _nice_step(raw: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is at least ``raw``."""
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))


def line_chart(
    title: str,
    xs: list[int],
    series: list[tuple[str, list[float | None], str]],
    unit: str,
    *,
    x_label: str = "",
    width: int = 640,
    height: int = 300,
) -> str:
    """One line per ``(name, values, colour)`` over the x positions ``xs`` (equally spaced,
    labelled by value); a ``None`` value breaks its line. A legend names the series."""
    left, right, top, bottom = 60, 170, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    vals = [v for _, values, _ in series for v in values if v is not None]
    tick = _nice_step(max([*vals, 1e-12]) / 4)
    vmax = tick * max(1, math.ceil(max([*vals, 1e-12]) / tick - 1e-9))
    step = plot_w / max(1, len(xs) - 1)

    def px(i: int) -> float:
        return left + (step * i if len(xs) > 1 else plot_w / 2)

    def py(v: float) -> float:
        return top + plot_h * (1 - v / vmax)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="Helvetica,Arial,sans-serif" font-size="12">',
        f'<text x="8" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#888"/>',
    ]
    for k in range(round(vmax / tick) + 1):  # y grid at round values
        v = tick * k
        y = py(v)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v:.3g}</text>'
        )
    parts.append(
        f'<text x="14" y="{top + plot_h / 2:.1f}" transform="rotate(-90 14 {top + plot_h / 2:.1f})" '
        f'text-anchor="middle" fill="#555">{escape(unit)}</text>'
    )
    for i, x in enumerate(xs):
        parts.append(
            f'<text x="{px(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(str(x))}</text>'
        )
    if x_label:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle" fill="#555">{escape(x_label)}</text>'
        )
    for j, (name, values, col) in enumerate(series):
        points = [(px(i), py(v)) for i, v in enumerate(values) if v is not None]
        segments: list[list[str]] = [[]]
        for i, val in enumerate(values):  # a missing value breaks the line
            if val is None:
                segments.append([])
            else:
                segments[-1].append(f"{px(i):.1f},{py(val):.1f}")
        for seg in segments:
            if len(seg) > 1:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{col}" stroke-width="2"/>'
                )
        for cx, cy in points:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{col}"/>')
        ly = top + 8 + j * 18
        parts.append(
            f'<rect x="{left + plot_w + 14}" y="{ly - 9}" width="10" height="10" fill="{col}" rx="2"/>'
            f'<text x="{left + plot_w + 30}" y="{ly}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
