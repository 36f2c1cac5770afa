"""Memory and start-up of every variant side by side: size, p50, load cold / warm, peak
resident memory, its growth over the process before loading, ExecuTorch's planned memory."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from deploy_studio.gui.formatting import NA, fmt_bytes, fmt_ms
from deploy_studio.gui.panels.profile_text import memory_cells

HEADERS = [
    "Variant",
    "Size",
    "p50 ms",
    "Load cold ms",
    "Load warm ms",
    "Peak RSS",
    "Model's share",
    "Planned",
]
TIPS = [
    "",
    "size on disk",
    "latency p50 at the headline thread count",
    "first load of the file in a fresh process (runtime already imported)",
    "second load in the same process",
    "peak resident memory of a fresh process that loads and runs the variant",
    "peak RSS minus the process's memory before loading (the runtime's imports)",
    "ExecuTorch: the program's memory-planned buffers (a delegate's own workspace excluded)",
]


class MemoryTable(QTableWidget):
    """One row per variant with a result."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setObjectName("memoryTable")
        self.setHorizontalHeaderLabels(HEADERS)
        for i, tip in enumerate(TIPS):
            if tip:
                self.horizontalHeaderItem(i).setToolTip(tip)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        h = self.horizontalHeader()
        for col in range(len(HEADERS)):
            h.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        h.setStretchLastSection(True)

    def show_rows(self, rows: list) -> None:
        self.setRowCount(len(rows))
        for i, r in enumerate(rows):
            p50 = r.latency_ms.p50 if r.latency_ms else None
            cells = [r.name, fmt_bytes(r.size_bytes), fmt_ms(p50) if p50 is not None else NA]
            cells += memory_cells(r)
            why = (
                r.not_runnable
                or ("eager is an in-memory module: no file to load" if r.format == "eager" else "")
                or ("" if r.memory or r.load_ms else "not profiled: turn on Profile and build")
            )
            for col, text in enumerate(cells):
                it = QTableWidgetItem(text)
                if col:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if text == NA and why:
                    it.setToolTip(why)
                self.setItem(i, col, it)

    def cells(self) -> list[list[str]]:
        """Every cell's text (for tests)."""
        return [
            [self.item(i, c).text() for c in range(self.columnCount())]
            for i in range(self.rowCount())
        ]
