"""Latency p50 against the thread count, one line per variant in its colour (pyqtgraph).

Only variants measured at several counts (``[benchmark] threads = [1, 2, 4]``) have a line;
without any, the chart says how to ask for the measurement.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from deploy_studio.gui.panels.profile_text import scaling_points

EMPTY = (
    "Thread scaling: not measured. Tick “Also at 1, 2, 4 threads” in the Samples panel "
    "(or set [benchmark] threads = [1, 2, 4]) and build again."
)


class ScalingChart(QWidget):
    """p50 latency per thread count for every variant with a ``threads_scaling``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = pg.PlotWidget()
        self.widget.setMinimumSize(240, 150)
        self.widget.setAntialiasing(True)
        self.plot = self.widget.getPlotItem()
        self.plot.setLabel("bottom", "threads")
        self.plot.setLabel("left", "p50 (ms)")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.hideButtons()
        self.plot.getViewBox().setMenuEnabled(False)
        for ax in ("left", "bottom"):
            self.plot.getAxis(ax).enableAutoSIPrefix(False)
        self.legend = self.plot.addLegend(offset=(-4, 4), labelTextSize="8pt")
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 200))  # readable over the lines
        self.empty = QLabel(EMPTY)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("muted")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.empty)
        lay.addWidget(self.widget, 1)
        self.lines: dict[str, list[tuple[int, float]]] = {}

    def show_rows(self, rows: list, colors: dict[str, QColor]) -> None:
        """Draw one line per row measured at several thread counts."""
        lines = {r.name: pts for r in rows if len(pts := scaling_points(r)) > 1}
        if lines == self.lines:
            return
        self.lines = lines
        self.plot.clear()
        self.legend.clear()
        counts: set[int] = set()
        for name, pts in lines.items():
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            counts.update(xs)
            color = colors.get(name, QColor("#888"))
            self.plot.plot(
                xs,
                ys,
                pen=pg.mkPen(color, width=2),
                symbol="o",
                symbolSize=6,
                symbolBrush=color,
                symbolPen=None,
                name=name,
            )
        if counts:
            self.plot.getAxis("bottom").setTicks([[(c, str(c)) for c in sorted(counts)]])
        self.empty.setVisible(not lines)
        self.widget.setVisible(bool(lines))

    def apply_theme(self, dark: bool) -> None:
        bg = QColor("#1f2227") if dark else QColor("#ffffff")
        fg = QColor("#c9ced6") if dark else QColor("#3a3f47")
        self.widget.setBackground(bg)
        self.legend.setBrush(
            pg.mkBrush(31, 34, 39, 200) if dark else pg.mkBrush(255, 255, 255, 200)
        )
        self.legend.setLabelTextColor(fg)
        for ax in ("left", "bottom"):
            a = self.plot.getAxis(ax)
            a.setPen(pg.mkPen(fg))
            a.setTextPen(pg.mkPen(fg))
