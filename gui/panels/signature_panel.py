"""The Model tab's signature and task: what the model takes, what it returns, what it is for.

Two compact tables (inputs: name, shape, dtype, dynamic dimensions, value range; outputs:
name, shape, dtype and which one the task scores) from the loaded model's summary, the task
(guessed, from the model's loader, or declared) and the two ways to declare them: the task
combo writes ``[model] task``, "Declare inputs…" writes ``[model] inputs`` (then the model is
loaded again, as after the constructor-arguments prompt).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
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
    QVBoxLayout,
    QWidget,
)

from deploy_studio.core.tasks import TASK_NAMES  # light: numpy only
from deploy_studio.gui.dialogs.inputs_dialog import InputsDialog, dynamic_text, range_text
from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import agreement_label, task_metric

ROW_H = 20
INPUT_COLUMNS = ["Input", "Shape", "dtype", "Dynamic", "Range"]
OUTPUT_COLUMNS = ["Output", "Shape", "dtype", "Task"]
TASK_MARK = "◀ task"


def compact_shape(shape) -> str:
    """``[1, 3, 224, 224] -> "1×3×224×224"`` (narrow enough for the docked tab)."""
    return "×".join(str(v) for v in shape) if shape else "?"


def task_why(doc: Document) -> str:
    """Where the task comes from and how it is scored, in one or two sentences."""
    info = doc.task_info
    if info is None:
        return "Known once the model has loaded."
    declared = doc.recipe.model.task if doc.recipe is not None else None
    if declared:
        where = "Declared in the recipe ([model] task)."
    elif info.get("guessed"):
        where = f"Guessed: {info.get('why')}."
    else:
        where = f"{info.get('why') or 'from the model'}."
    metric = task_metric(info).get("label", "")
    return f"{where} Scored by {metric}; fidelity: {agreement_label(info)}."


def _table(columns: list[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(columns)
    t.verticalHeader().setVisible(False)
    t.verticalHeader().setDefaultSectionSize(ROW_H)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    t.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    t.setShowGrid(False)
    t.setAlternatingRowColors(True)
    t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    t.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    h = t.horizontalHeader()
    h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    h.setStretchLastSection(True)
    h.setHighlightSections(False)
    return t


def _fill(table: QTableWidget, rows: list[list[str]], tips: list[str] | None = None) -> None:
    table.setRowCount(len(rows))
    for i, cells in enumerate(rows):
        for j, text in enumerate(cells):
            it = QTableWidgetItem(text)
            if tips:
                it.setToolTip(tips[i])
            table.setItem(i, j, it)
    # as tall as its rows: the tab scrolls the layer table, not these
    height = table.horizontalHeader().sizeHint().height() + ROW_H * max(len(rows), 1) + 4
    table.setFixedHeight(height)


class SignaturePanel(QWidget):
    """Task combo and why, the inputs and outputs tables, and "Declare inputs…".

    Signals
    -------
    inputs_declared : ``[model] inputs`` changed: the model must be loaded again.
    """

    inputs_declared = Signal()

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.ask_inputs: Callable[[], list[dict] | None] = self._ask_inputs  # tests replace it
        self.task_combo = QComboBox()
        self.task_combo.setObjectName("taskCombo")
        self.task_combo.setToolTip(
            "What the model's outputs mean: how variants are scored (its metric) and compared "
            "with the original (its agreement). Auto guesses it from the outputs and the data; "
            "saved as [model] task."
        )
        self.task_combo.addItem("Auto", None)
        for name in TASK_NAMES:
            self.task_combo.addItem(name, name)
        self.task_combo.currentIndexChanged.connect(self._on_task_picked)
        self.task_why = QLabel("")
        self.task_why.setObjectName("taskWhy")
        self.task_why.setWordWrap(True)
        self.task_why.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        task_label = QLabel("Task")
        task_label.setObjectName("subTitle")
        self.inputs_table = _table(INPUT_COLUMNS, "inputsSignature")
        self.outputs_table = _table(OUTPUT_COLUMNS, "outputsSignature")
        self.declare_button = QPushButton("Declare inputs…")
        self.declare_button.setObjectName("declareInputs")
        self.declare_button.setToolTip(
            "Name the model's inputs, their shapes, dtypes, dynamic sizes and value ranges "
            "([model] inputs); the model is loaded again with them"
        )
        self.declare_button.clicked.connect(self._on_declare)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(task_label)
        top.addWidget(self.task_combo, 1)
        top.addWidget(self.declare_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 2, 0, 2)
        lay.setSpacing(4)
        lay.addLayout(top)
        lay.addWidget(self.task_why)
        lay.addWidget(self.inputs_table)
        lay.addWidget(self.outputs_table)
        for sig in (doc.model_changed, doc.recipe_replaced, doc.task_changed):
            sig.connect(self.refresh)
        self.refresh()

    # --- showing -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the document's model signature and task."""
        s = self.doc.model_summary or {}
        has_recipe = self.doc.recipe is not None
        self.task_combo.setEnabled(has_recipe)
        self.declare_button.setEnabled(has_recipe)
        self._update_combo(s)
        self.task_why.setText(task_why(self.doc) if has_recipe else "")
        inputs = s.get("inputs") or []
        _fill(
            self.inputs_table,
            [
                [
                    i["name"],
                    compact_shape(i.get("shape")),
                    i.get("dtype", "float32"),
                    dynamic_text(i.get("dynamic")) or "—",
                    range_text(i.get("range")) or "—",
                ]
                for i in inputs
            ],
        )
        outputs = s.get("outputs") or []
        _fill(
            self.outputs_table,
            [
                [
                    o["name"],
                    compact_shape(o.get("shape")),
                    o.get("dtype", ""),
                    TASK_MARK if o.get("task") else "",
                ]
                for o in outputs
            ],
            [
                "the output the task scores (agreement, accuracy, labels, apps)"
                if o.get("task")
                else "compared with the original by cosine and SNR"
                for o in outputs
            ],
        )
        self.inputs_table.setVisible(bool(inputs))
        self.outputs_table.setVisible(bool(outputs))

    def _update_combo(self, summary: dict) -> None:
        loaded = summary.get("task") or {}
        name = loaded.get("name")
        if not name or loaded.get("why") == "[model] task":
            auto = "Auto (guess from the outputs)"
        elif loaded.get("guessed"):
            auto = f"Auto (guessed: {name})"
        else:
            auto = f"Auto ({name}: {loaded.get('why')})"
        declared = self.doc.recipe.model.task if self.doc.recipe is not None else None
        self.task_combo.blockSignals(True)
        self.task_combo.setItemText(0, auto)
        i = self.task_combo.findData(declared) if declared else 0
        self.task_combo.setCurrentIndex(max(i, 0))
        self.task_combo.blockSignals(False)

    # --- declaring -----------------------------------------------------------------------
    def _on_task_picked(self, index: int) -> None:
        if self.doc.recipe is not None:
            self.doc.set_model_task(self.task_combo.itemData(index))

    def _on_declare(self) -> None:
        if self.doc.recipe is None:
            return
        inputs = self.ask_inputs()
        if inputs is None or inputs == self.doc.recipe.model.inputs:
            return
        self.doc.set_model_inputs(inputs)
        self.inputs_declared.emit()

    def _ask_inputs(self) -> list[dict] | None:
        """The inputs from the dialog, or None when cancelled."""
        model = self.doc.recipe.model
        s = self.doc.model_summary or {}
        dlg = InputsDialog(
            model.source,
            model.inputs or s.get("inputs"),
            model.input_shape or s.get("input_shape"),
            self,
        )
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return dlg.inputs()
