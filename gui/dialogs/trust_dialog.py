"""Warn before trusting a pickled whole module: loading it runs code from the file."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm_trust(parent: QWidget | None, source: str, message: str) -> bool:
    """Ask whether to load ``source`` with ``trust`` (default answer: no).

    Parameters
    ----------
    parent : QWidget or None
    source : str
        The file.
    message : str
        The engine's explanation of why it refused the file.

    Returns
    -------
    bool
        True only if the user explicitly chose "Trust and load".
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Trust this file?")
    box.setText(f"<b>{source}</b> is a pickled whole module.")
    box.setInformativeText(
        "Loading it runs Python code stored in the file, with your permissions. Only continue "
        "if you trust where it came from. Safer: a state_dict plus the model class, or a "
        "TorchScript / .pt2 export."
    )
    box.setDetailedText(message)
    trust = box.addButton("Trust and load", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton("Don't load", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is trust
