"""A form generated from a plugin's typed :class:`deploy_studio.core.registry.Option` list.

``bool`` -> check box, ``int`` -> spin box, ``float`` -> decimal spin box, ``str`` with
choices -> combo box, ``str`` -> line edit, ``list[str]`` -> comma-separated line edit.
Bounds and help texts come from the options themselves; nothing here knows a step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)


def _decimals(opt) -> int:
    """Enough decimals to show the default (1e-3 -> 4, 0.7 -> 2)."""
    d = abs(float(opt.default or 0))
    if d == 0 or d >= 0.1:
        return 2
    return min(8, int(-math.floor(math.log10(d))) + 1)


class OptionForm(QWidget):
    """Widgets for ``options`` filled from ``values``; emits ``changed(dict)`` on edits.

    Parameters
    ----------
    options : sequence of core.registry.Option
        The plugin's typed options.
    values : dict
        Current values (missing keys take the option's default).
    """

    changed = Signal(dict)

    def __init__(self, options, values: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options = list(options)
        self._widgets: dict[str, QWidget] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(form.labelAlignment())
        for opt in self.options:
            value = values.get(opt.key, opt.default)
            w = self._make(opt, value)
            w.setToolTip(opt.help)
            w.setObjectName(f"option_{opt.key}")
            label = QLabel(opt.key.replace("_", " "))
            label.setToolTip(opt.help)
            form.addRow(label, w)
            self._widgets[opt.key] = w

    def _make(self, opt, value) -> QWidget:
        t = opt.type
        if t == "bool":
            w = QCheckBox()
            w.setChecked(bool(value))
            w.toggled.connect(self._emit)
        elif t == "int":
            w = QSpinBox()
            w.setRange(
                int(opt.minimum) if opt.minimum is not None else -1_000_000,
                int(opt.maximum) if opt.maximum is not None else 1_000_000,
            )
            w.setValue(int(value))
            w.valueChanged.connect(self._emit)
        elif t == "float":
            w = QDoubleSpinBox()
            w.setDecimals(_decimals(opt))
            w.setSingleStep(10 ** -w.decimals() if w.decimals() > 2 else 0.05)
            w.setRange(
                float(opt.minimum) if opt.minimum is not None else -1e9,
                float(opt.maximum) if opt.maximum is not None else 1e9,
            )
            w.setValue(float(value))
            w.valueChanged.connect(self._emit)
        elif t == "str" and opt.choices:
            w = QComboBox()
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)
            w.addItems([str(c) for c in opt.choices])
            w.setCurrentText(str(value))
            w.currentTextChanged.connect(self._emit)
        elif t == "list[str]":
            w = QLineEdit(", ".join(value or []))
            w.setPlaceholderText("comma-separated")
            w.editingFinished.connect(self._emit)
        else:
            w = QLineEdit(str(value or ""))
            if opt.required:
                w.setPlaceholderText("required")
            w.editingFinished.connect(self._emit)
        return w

    def values(self) -> dict:
        """The form's current values, typed as the options say."""
        out = {}
        for opt in self.options:
            w = self._widgets[opt.key]
            if isinstance(w, QCheckBox):
                out[opt.key] = w.isChecked()
            elif isinstance(w, QSpinBox):
                out[opt.key] = int(w.value())
            elif isinstance(w, QDoubleSpinBox):
                out[opt.key] = float(w.value())
            elif isinstance(w, QComboBox):
                out[opt.key] = w.currentText()
            elif opt.type == "list[str]":
                out[opt.key] = [s.strip() for s in w.text().split(",") if s.strip()]
            else:
                out[opt.key] = w.text().strip()
        return out

    def widget(self, key: str) -> QWidget:
        """The editor widget of option ``key`` (tests and focus handling)."""
        return self._widgets[key]

    def _emit(self, *_args) -> None:
        self.changed.emit(self.values())
