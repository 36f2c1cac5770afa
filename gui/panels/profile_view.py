"""One variant's profile: the top operators as bars, the op table, coverage, memory and load.

Bars of operators that ran on ExecuTorch's portable kernels are drawn in the warning colour:
they are what a user looks for when a program is slow ("half the graph runs on portable
kernels"). Everything shown comes from the variant's report row (see ``profile_text``).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui.colors import with_alpha
from deploy_studio.gui.panels.chart_items import Labels, set_bars
from deploy_studio.gui.panels.profile_text import (
    PORTABLE,
    coverage_line,
    memory_line,
    summary_line,
    table_cells,
    top_ops,
)

HEADERS = ["Op", "Layer", "Delegate", "Calls/run", "ms/run", "Share"]
PORTABLE_COLOR = QColor("#d9822b")
ROW_H = 20
BAR_ROW_PX = 19  # one top-operator bar per line of 8 pt text


class ProfileView(QWidget):
    """The profile of the variant given to :meth:`show_row` (an empty view for None)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = ""
        self.color = QColor("#4a7bd0")
        self.title = QLabel("")
        self.title.setObjectName("subTitle")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("muted")
        self.coverage = QLabel("")
        self.coverage.setWordWrap(True)
        self.memory = QLabel("")
        self.memory.setWordWrap(True)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        self.plot.invertY(True)
        self.plot.hideAxis("left")
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.getViewBox().setMenuEnabled(False)
        self.plot.setLabel("bottom", "ms per run")
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.bars = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[])
        self.plot.addItem(self.bars)
        self.labels = Labels(self.plot)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("profileTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_H)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        h = self.table.horizontalHeader()
        for col in range(len(HEADERS)):
            h.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        for col in (0, 1):  # op and layer names share what the numbers leave
            h.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(3)
        for w in (self.title, self.summary, self.coverage, self.memory):
            lay.addWidget(w)
        lay.addWidget(self.plot_widget)
        lay.addWidget(self.table)
        lay.addStretch(1)
        scroll = QScrollArea()  # the chart and the whole table, scrolled as one page
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.show_row("", None)

    def show_row(self, name: str, row, color: QColor | None = None) -> None:
        """Show ``row``'s profile (``None``: the variant has no result yet)."""
        self.name = name
        if color is not None:
            self.color = color
        self.title.setText(name or "No variant selected")
        if row is None:
            self.summary.setText("Build & measure this variant to see where its time goes.")
            for w in (self.coverage, self.memory):
                w.setText("")
                w.setVisible(False)
            self._set_ops([], [])
            return
        self.summary.setText(summary_line(row))
        cov = coverage_line(row)
        self.coverage.setText(cov)
        self.coverage.setVisible(bool(cov))
        self.memory.setText(memory_line(row))
        self.memory.setVisible(True)
        self._set_ops(top_ops(row.profile), table_cells(row.profile))

    def _set_ops(self, ops: list, cells: list[list[str]]) -> None:
        widths = np.array([ms for _, ms, _ in ops], dtype=float)
        ys = np.arange(len(ops), dtype=float)
        brushes = [  # light bars: the op names are written over them
            pg.mkBrush(with_alpha(PORTABLE_COLOR if d == PORTABLE else self.color, 120))
            for *_, d in ops
        ]
        set_bars(self.bars, ys, widths, brushes, [pg.mkPen(None)] * len(ops))
        self.labels.show([(0, y, label) for y, (label, _, _) in zip(ys, ops, strict=True)])
        self.plot_widget.setVisible(bool(ops))
        self.plot_widget.setFixedHeight(BAR_ROW_PX * max(len(ops), 1) + 44)
        if ops:
            self.plot.setXRange(0, float(widths.max()) * 1.05, padding=0)
            self.plot.setYRange(-0.6, len(ops) - 0.4, padding=0)
        self.table.setRowCount(len(cells))
        for i, row in enumerate(cells):
            for col, text in enumerate(row):
                it = QTableWidgetItem(text)
                it.setToolTip(text)
                if col >= 3:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 2 and text == PORTABLE:
                    it.setForeground(PORTABLE_COLOR)
                self.table.setItem(i, col, it)
        self.table.setVisible(bool(cells))
        self.table.setFixedHeight(  # every row shown: the page scrolls, not the table
            self.table.horizontalHeader().sizeHint().height() + ROW_H * len(cells) + 4
        )

    def apply_theme(self, dark: bool) -> None:
        bg = QColor("#1f2227") if dark else QColor("#ffffff")
        fg = QColor("#c9ced6") if dark else QColor("#3a3f47")
        self.plot_widget.setBackground(bg)
        a = self.plot.getAxis("bottom")
        a.setPen(pg.mkPen(fg))
        a.setTextPen(pg.mkPen(fg))
        self.labels.set_color(fg)

    def op_rows(self) -> list[list[str]]:
        """The table's cells (for tests)."""
        return [
            [self.table.item(i, c).text() for c in range(self.table.columnCount())]
            for i in range(self.table.rowCount())
        ]
