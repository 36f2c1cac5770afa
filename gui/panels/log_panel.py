"""The Log panel: what the engine said while it worked (progress milestones, notes, details)."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget


class LogPanel(QWidget):
    """An append-only, size-capped text log."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(5000)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(max(8, QFont().pointSize() - 1))
        self.text.setFont(font)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.addWidget(self.text)

    def append(self, message: str) -> None:
        """Add one timestamped line (or block)."""
        stamp = _dt.datetime.now().strftime("%H:%M:%S")
        self.text.appendPlainText(f"{stamp}  {message}")
