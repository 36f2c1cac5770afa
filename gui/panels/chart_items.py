"""The charts' reusable pieces: horizontal bars updated in place, a pool of text labels, and
the Pareto front over latency and a task's metric (the engine's rule)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

from deploy_studio.core.pareto import pareto_front
from deploy_studio.core.report.model import Accuracy, VariantResult

BAR_H = 0.62
CHART_OBJECTIVES = ("latency", "accuracy")
"""The latency-vs-metric chart draws the engine's Pareto front over these objectives."""


def set_bars(
    item: pg.BarGraphItem, ys: np.ndarray, widths: np.ndarray, brushes: list, pens: list
) -> None:
    """Update horizontal bars in place (pyqtgraph 0.14 cannot take empty pen lists)."""
    if len(ys) == 0:
        item.setOpts(
            x0=np.zeros(0),
            y=np.zeros(0),
            width=np.zeros(0),
            height=BAR_H,
            pens=None,
            pen=None,
            brushes=None,
            brush=None,
        )
        return
    item.setOpts(x0=np.zeros(len(ys)), y=ys, width=widths, height=BAR_H, brushes=brushes, pens=pens)


class Labels:
    """A pool of TextItems on one plot: grown when needed, hidden when unused."""

    def __init__(self, plot: pg.PlotItem, anchor=(0, 0.5)) -> None:
        self.plot = plot
        self.anchor = anchor
        self.items: list[pg.TextItem] = []
        self.color = QColor("#333")

    def show(self, entries: list[tuple[float, float, str]]) -> None:
        while len(self.items) < len(entries):
            t = pg.TextItem(anchor=self.anchor, color=self.color)
            t.setFont(QFont(t.textItem.font().family(), 8))
            self.plot.addItem(t, ignoreBounds=True)
            self.items.append(t)
        for t, (x, y, text) in zip(self.items, entries, strict=False):
            t.setText(text, color=self.color)
            t.setPos(x, y)
            t.setVisible(True)
        for t in self.items[len(entries) :]:
            t.setVisible(False)

    def set_color(self, color: QColor) -> None:
        self.color = color


def metric_front(rows: list[VariantResult], metric: dict) -> list[str]:
    """The engine's Pareto front (:func:`deploy_studio.core.pareto.pareto_front`) over
    latency and the task's metric: each row's metric, signed so that higher is better, is
    given to the rule as the accuracy it judges."""
    sign = 1.0 if metric.get("higher_is_better", True) else -1.0
    scored = [
        replace(r, accuracy=Accuracy(sign * r.metric, r.accuracy.samples if r.accuracy else 0))
        if r.metric is not None
        else replace(r, accuracy=None)
        for r in rows
    ]
    return pareto_front(scored, CHART_OBJECTIVES)
