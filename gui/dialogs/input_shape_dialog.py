"""Ask for a model's input shape when the file cannot tell (TorchScript, lite, Python class)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from deploy_studio.gui.dialogs.checked_layout import checked_layout

COMMON = ["1, 1, 28, 28", "1, 3, 224, 224", "1, 3, 299, 299", "1, 3, 32, 32", "1, 3, 96, 96"]


def parse_shape(text: str) -> list[int] | None:
    """``"1, 3, 224, 224"`` or ``"1x3x224x224"`` -> ``[1, 3, 224, 224]``; None if invalid."""
    try:
        shape = [int(v) for v in text.replace("x", ",").replace("×", ",").split(",") if v.strip()]
    except ValueError:
        return None
    return shape if shape and all(v > 0 for v in shape) else None


class InputShapeDialog(QDialog):
    """A shape field (with common shapes) and, for a ``.py`` file, the class to load.

    Parameters
    ----------
    source : str
        The model file, shown in the explanation.
    classes : list of str, optional
        ``nn.Module`` classes found in a Python file; shows a class picker when given.
    shape : list of int, optional
        The initial shape.
    """

    def __init__(
        self,
        source: str,
        classes: list[str] | None = None,
        shape: list[int] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model input")
        self.setMinimumWidth(420)
        why = QLabel(
            f"The input shape of <b>{source}</b> cannot be read from the file. "
            "Deploy Studio runs one forward pass with it to validate the model."
        )
        why.setWordWrap(True)
        self.shape_combo = QComboBox()
        self.shape_combo.setEditable(True)
        self.shape_combo.addItems(COMMON)
        self.shape_combo.setCurrentText(", ".join(map(str, shape)) if shape else COMMON[1])
        self.shape_combo.setObjectName("inputShape")
        self.class_combo = None
        form = QFormLayout()
        if classes is not None:
            self.class_combo = QComboBox()
            self.class_combo.setEditable(True)
            self.class_combo.addItems(classes)
            self.class_combo.setObjectName("modelClass")
            form.addRow("Class", self.class_combo)
            self.weights_edit = QLineEdit()
            self.weights_edit.setPlaceholderText("optional state_dict .pth")
            form.addRow("Weights", self.weights_edit)
        form.addRow("Input shape", self.shape_combo)
        self.error = checked_layout(self, [why, form], self._on_accept)

    def shape(self) -> list[int] | None:
        return parse_shape(self.shape_combo.currentText())

    def class_name(self) -> str | None:
        return self.class_combo.currentText().strip() if self.class_combo is not None else None

    def weights(self) -> str | None:
        if self.class_combo is None:
            return None
        return self.weights_edit.text().strip() or None

    def _on_accept(self) -> None:
        if self.shape() is None:
            self.error.setText(
                "Write the shape as numbers separated by commas, e.g. 1, 3, 224, 224."
            )
            return
        if self.class_combo is not None and not (self.class_name() or "").isidentifier():
            self.error.setText("Choose the nn.Module class to load.")
            return
        self.accept()
