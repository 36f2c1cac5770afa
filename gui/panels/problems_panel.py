"""The Problems panel: what went wrong and what to try, one row each, never a traceback dialog.

User errors (``core.errors.StudioError``) arrive with their message and hint; unexpected
exceptions (routed here by the window's ``sys.excepthook``) say so and keep their traceback
in the row's tooltip and in the Log.
"""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

ICONS = {
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
    "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
}


class ProblemsPanel(QWidget):
    """A list of problems with message, hint and source.

    Signals
    -------
    count_changed(int) : the number of rows changed.
    """

    count_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setObjectName("problemsTree")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Problem", "What to try", "Where", "Time"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        h = self.tree.header()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No problems.")
        self.empty.setObjectName("muted")
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.empty)
        top.addStretch(1)
        top.addWidget(clear)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.tree, 1)

    def add(
        self,
        message: str,
        hint: str = "",
        source: str = "",
        severity: str = "error",
        details: str = "",
    ) -> QTreeWidgetItem:
        """Add a row; the newest row is shown first."""
        item = QTreeWidgetItem([message, hint, source, _dt.datetime.now().strftime("%H:%M:%S")])
        item.setIcon(0, QApplication.style().standardIcon(ICONS.get(severity, ICONS["error"])))
        item.setData(0, Qt.ItemDataRole.UserRole, severity)
        item.setToolTip(0, message + (f"\n\n{details}" if details else ""))
        item.setToolTip(1, hint)
        self.tree.insertTopLevelItem(0, item)
        self._update_count()
        return item

    def add_error(
        self, error: BaseException, source: str = "", details: str = ""
    ) -> QTreeWidgetItem:
        """A row for an exception: a StudioError's message and hint, or an internal error."""
        message = getattr(error, "message", None)
        if message is not None:
            return self.add(message, getattr(error, "hint", ""), source, "error", details)
        text = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return self.add(
            f"Internal error: {type(error).__name__}{': ' + text[:300] if text else ''}",
            "this is a bug in Deploy Studio; the Log tab has the details. Your work is unchanged.",
            source,
            "error",
            details,
        )

    def rows(self) -> list[tuple[str, str, str]]:
        """(message, hint, source) of every row, newest first (for tests)."""
        return [
            (
                self.tree.topLevelItem(i).text(0),
                self.tree.topLevelItem(i).text(1),
                self.tree.topLevelItem(i).text(2),
            )
            for i in range(self.tree.topLevelItemCount())
        ]

    def clear(self) -> None:
        self.tree.clear()
        self._update_count()

    def _update_count(self) -> None:
        n = self.tree.topLevelItemCount()
        self.empty.setText("No problems." if n == 0 else f"{n} problem{'s' if n != 1 else ''}")
        self.count_changed.emit(n)
