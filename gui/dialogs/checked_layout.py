"""The layout every checked dialog shares: its parts, a red error line, OK / Cancel.

OK calls the dialog's check (which accepts it or writes why not into the error line); Cancel
rejects it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLayout, QVBoxLayout, QWidget


def checked_layout(
    dialog: QDialog, parts: list[QWidget | QLayout | tuple[QWidget, int]], on_ok: Callable
) -> QLabel:
    """Stack ``parts`` (a ``(widget, stretch)`` pair stretches) over the error line and the
    OK / Cancel buttons of ``dialog``; returns the error line (object name ``errorText``)."""
    error = QLabel("")
    error.setObjectName("errorText")
    error.setWordWrap(True)
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    lay = QVBoxLayout(dialog)
    for part in parts:
        if isinstance(part, tuple):
            lay.addWidget(part[0], part[1])
        elif isinstance(part, QLayout):
            lay.addLayout(part)
        else:
            lay.addWidget(part)
    lay.addWidget(error)
    lay.addWidget(buttons)
    return error
