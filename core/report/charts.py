"""Small, dependency-free SVG bar charts for the HTML report (one colour per variant)."""

from __future__ import annotations

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
) -> str:
    """Horizontal bars, one per variant; ``None`` values are drawn as 'n/a'."""
    row_h, left, right, top = 26, 170, 90, 34
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
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour(i)}" rx="2"/>'
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
