"""Ask for a model class's constructor arguments (a recipe's ``[model] init_args``) as JSON."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QWidget,
)

from deploy_studio.gui.dialogs.checked_layout import checked_layout


def initial_text(current: dict[str, Any] | None, missing: list[str]) -> str:
    """The arguments given so far, and the missing ones to fill in (as ``null``)."""
    args = dict(current or {})
    args.update({name: None for name in missing if name not in args})
    return json.dumps(args)


class InitArgsDialog(QDialog):
    """The constructor's signature, why it failed, and a JSON field for the arguments.

    Parameters
    ----------
    source : str
        The model (``file.py:Class`` or ``torchvision:ARCH``), shown in the explanation.
    message : str
        The load error: which arguments are missing, unknown or of the wrong type.
    signature : str
        The constructor as text, e.g. ``Net(num_classes: int, width: int = 4)`` (may be empty).
    missing : list of str
        Required arguments not given yet: prefilled as ``null`` for the user to replace.
    current : dict, optional
        The arguments given so far.
    """

    def __init__(
        self,
        source: str,
        message: str,
        signature: str = "",
        missing: list[str] | None = None,
        current: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Constructor arguments")
        self.setMinimumWidth(520)
        why = QLabel(
            f"<b>{html.escape(source)}</b> needs constructor arguments.<br>"
            f"{html.escape(message)}"
            + (f"<br><br>Constructor: <code>{html.escape(signature)}</code>" if signature else "")
            + "<br><br>Give them as a JSON object; they are saved in the recipe as "
            "<code>[model] init_args</code> (command line: <code>--init-args</code>)."
        )
        why.setWordWrap(True)
        self._missing = list(missing or [])
        self.edit = QLineEdit(initial_text(current, self._missing))
        self.edit.setObjectName("initArgs")
        self.edit.setPlaceholderText('{"num_classes": 5}')
        self.error = checked_layout(self, [why, self.edit], self._on_accept)

    def args(self) -> dict[str, Any] | None:
        """The arguments written, or None when the text is not a JSON object."""
        from deploy_studio.core.models.init_args import parse_json

        try:
            return parse_json(self.edit.text().strip() or "{}")
        except ValueError:
            return None

    def _on_accept(self) -> None:
        from deploy_studio.core.models.init_args import parse_json

        try:
            args = parse_json(self.edit.text().strip() or "{}")
        except ValueError as e:
            self.error.setText(str(e))
            return
        unset = [k for k in self._missing if args.get(k, None) is None]
        if unset:
            self.error.setText(f"Give a value for: {', '.join(unset)}.")
            return
        self.accept()
