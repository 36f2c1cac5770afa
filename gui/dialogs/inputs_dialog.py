"""Declare a model's named inputs (a recipe's ``[model] inputs``): one row per input.

Each row is written as the user would say it: a name, a shape (``1, 3, 224, 224`` or
``1x50``), a dtype, dynamic dimensions (``1: 1..128``, several separated by ``;``) and a value
range (``0..999``). The rows are validated by the engine's own
:func:`deploy_studio.core.models.signature.parse_inputs`; what is wrong is shown in the dialog.
"""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from deploy_studio.gui.dialogs.checked_layout import checked_layout

DTYPES = ("float32", "float16", "int64", "int32", "bool")
"""``core.models.signature.DTYPES`` (importing it here would import torch with the window:
``core.models`` loads the model sources; a test checks the two agree)."""

COLUMNS = ["Name", "Shape", "dtype", "Dynamic dims", "Range"]
COL_NAME, COL_SHAPE, COL_DTYPE, COL_DYNAMIC, COL_RANGE = range(5)
_RANGE = re.compile(r"^\s*(-?[\d.eE+-]+?)\s*(?:\.\.|,|:|–)\s*(-?[\d.eE+-]+)\s*$")


def _num(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def shape_text(shape) -> str:
    return ", ".join(str(v) for v in shape or [])


def dynamic_text(dynamic: dict | None) -> str:
    """``{"1": [1, 128]}`` -> ``"1: 1..128"``."""
    items = sorted((int(k), v) for k, v in (dynamic or {}).items())
    return "; ".join(f"{d}: {lo}..{hi}" for d, (lo, hi) in items)


def range_text(rng) -> str:
    return f"{_num(rng[0])}..{_num(rng[1])}" if rng else ""


def parse_shape(text: str, name: str) -> list:
    """``"1, 3, 224, 224"`` or ``"1x50"`` as a list (integers where they are; validation of
    the values is the engine's)."""
    parts = [p.strip() for p in re.split(r"[x×,\s]+", text.strip()) if p.strip()]
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise ValueError(
            f"input {name!r}: shape {text!r} is not numbers separated by commas (e.g. 1, 3, 224, 224)"
        ) from None


def parse_dynamic(text: str, name: str) -> dict:
    """``"1: 1..128; 0: 1..8"`` -> ``{"1": [1, 128], "0": [1, 8]}``."""
    out: dict[str, list[int]] = {}
    for part in [p for p in re.split(r"[;\n]", text) if p.strip()]:
        m = re.match(r"^\s*(\d+)\s*[:=]\s*(\d+)\s*(?:\.\.|-|–|,)\s*(\d+)\s*$", part)
        if not m:
            raise ValueError(
                f"input {name!r}: dynamic dims {part.strip()!r} is not like 1: 1..128 "
                "(dimension: min..max, several separated by ;)"
            )
        out[m.group(1)] = [int(m.group(2)), int(m.group(3))]
    return out


def parse_range(text: str, name: str) -> list | None:
    """``"0..999"`` -> ``[0, 999]``; empty -> None."""
    if not text.strip():
        return None
    m = _RANGE.match(text)
    try:
        if m:
            return [_num(float(m.group(1))), _num(float(m.group(2)))]
    except ValueError:
        pass
    raise ValueError(f"input {name!r}: range {text.strip()!r} is not like 0..999 (low..high)")


def rows_from(inputs: list[dict] | None, input_shape: list[int] | None) -> list[dict]:
    """The rows to start from: the declared inputs, else the shorthand's one input."""
    if inputs:
        return [dict(i) for i in inputs]
    return [{"name": "input", "shape": list(input_shape or [1, 3, 224, 224]), "dtype": "float32"}]


class InputsDialog(QDialog):
    """A table of inputs (add / remove rows) over the error of the last check.

    Parameters
    ----------
    source : str
        The model, shown in the explanation.
    inputs : list of dict, optional
        The inputs declared so far (the recipe's, else the loaded model's).
    input_shape : list of int, optional
        The shorthand's shape, used when no inputs are given.
    """

    def __init__(
        self,
        source: str,
        inputs: list[dict] | None = None,
        input_shape: list[int] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model inputs")
        self.setMinimumWidth(600)
        why = QLabel(
            f"The inputs of <b>{source}</b>, in the order <code>forward()</code> takes them. "
            "Deploy Studio feeds each its shape and dtype; <i>dynamic dims</i> are sizes the "
            "artifact accepts besides the one given (<code>1: 1..128</code>: dimension 1 from 1 "
            "to 128), <i>range</i> the values of random inputs (<code>0..999</code>: token ids). "
            "Saved as <code>[model] inputs</code> (command line: <code>--input</code>); the model "
            "is loaded again with them."
        )
        why.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("inputsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in {COL_NAME: 110, COL_SHAPE: 130, COL_DTYPE: 90, COL_DYNAMIC: 120}.items():
            self.table.setColumnWidth(col, width)
        h.setStretchLastSection(True)
        for row in rows_from(inputs, input_shape):
            self.add_row(row)
        add = QPushButton("Add input")
        add.setObjectName("addInput")
        add.clicked.connect(lambda: self.add_row({"name": f"input{self.table.rowCount()}"}))
        remove = QPushButton("Remove")
        remove.setObjectName("removeInput")
        remove.clicked.connect(self._on_remove)
        bar = QHBoxLayout()
        bar.addWidget(add)
        bar.addWidget(remove)
        bar.addStretch(1)
        self.error = checked_layout(self, [why, (self.table, 1), bar], self._on_accept)
        self._inputs: list[dict] | None = None

    # --- rows ----------------------------------------------------------------------------
    def add_row(self, d: dict) -> None:
        """Append a row showing input ``d`` (a recipe entry; missing keys are left empty)."""
        r = self.table.rowCount()
        self.table.insertRow(r)
        texts = {
            COL_NAME: str(d.get("name", "")),
            COL_SHAPE: shape_text(d.get("shape")),
            COL_DYNAMIC: dynamic_text(d.get("dynamic")),
            COL_RANGE: range_text(d.get("range")),
        }
        for col, text in texts.items():
            self.table.setItem(r, col, QTableWidgetItem(text))
        combo = QComboBox()
        combo.addItems(DTYPES)
        combo.setCurrentText(d.get("dtype") or "float32")
        self.table.setCellWidget(r, COL_DTYPE, combo)

    def set_cell(self, row: int, col: int, text: str) -> None:
        """Write ``text`` in a cell (the dtype column picks that dtype)."""
        if col == COL_DTYPE:
            self.table.cellWidget(row, col).setCurrentText(text)
        else:
            self.table.item(row, col).setText(text)

    def _text(self, row: int, col: int) -> str:
        if col == COL_DTYPE:
            return self.table.cellWidget(row, col).currentText()
        item = self.table.item(row, col)
        return item.text().strip() if item is not None else ""

    def _on_remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        for r in rows or [self.table.rowCount() - 1]:
            if r >= 0:
                self.table.removeRow(r)

    # --- checking ------------------------------------------------------------------------
    def entries(self) -> list[dict]:
        """The rows as recipe entries (raises ValueError when a cell cannot be read)."""
        out = []
        for r in range(self.table.rowCount()):
            name = self._text(r, COL_NAME)
            d: dict = {
                "name": name,
                "shape": parse_shape(self._text(r, COL_SHAPE), name),
                "dtype": self._text(r, COL_DTYPE),
            }
            dynamic = parse_dynamic(self._text(r, COL_DYNAMIC), name)
            if dynamic:
                d["dynamic"] = dynamic
            rng = parse_range(self._text(r, COL_RANGE), name)
            if rng is not None:
                d["range"] = rng
            out.append(d)
        return out

    def check(self) -> list[dict] | None:
        """The validated inputs (the engine's form), or None with the reason in ``error``."""
        from deploy_studio.core.errors import RecipeError
        from deploy_studio.core.models.signature import parse_inputs

        try:
            specs = parse_inputs(self.entries())
        except ValueError as e:
            self.error.setText(str(e))
            return None
        except RecipeError as e:
            self.error.setText(e.message + (f"\nTry: {e.hint}" if e.hint else ""))
            return None
        self.error.setText("")
        return [s.to_dict() for s in specs]

    def inputs(self) -> list[dict] | None:
        """The inputs accepted with OK (None before)."""
        return self._inputs

    def _on_accept(self) -> None:
        inputs = self.check()
        if inputs is not None:
            self._inputs = inputs
            self.accept()
