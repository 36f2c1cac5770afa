"""The int8 numerical debugger of the selected variant, with one-click ``keep_fp32``.

Rows are the engine's (``row.step("quantize")["numerics"]``, written when an int8-static
quantize step has ``debug = true``): each layer's output against the float model on the same
calibration samples, in graph order, every layer quantized. "SNR" is the error accumulated so
far; "Adds" is the error the layer itself adds (see ``core/steps/_numerics.py``). The worst
layers are marked; "Keep … in float" adds those that add much error (the engine's
``numerics_suggest``) to the step's ``keep_fp32``, and the next build measures the change.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import NA
from deploy_studio.gui.panels.sensitivity_panel import edit_keep_fp32, int8_static_step

HEADERS = ["Layer", "SNR dB", "Cosine", "Adds dB"]
WORST = QColor("#d9822b")
ROW_H = 22


def _num(v, spec: str) -> str:
    return NA if v is None else format(v, spec)


def layers_to_keep(data: dict | None) -> list[str]:
    """The worst layers that add much error (the engine's ``numerics_suggest``, worst first)."""
    return list((data or {}).get("suggest") or [])


class NumericsPanel(QWidget):
    """The debugger's table of one variant; hidden for variants without int8-static.

    Signals
    -------
    edited(str) : the variant's quantize step was changed here.
    """

    edited = Signal(str)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.name = ""
        self.setObjectName("numericsPanel")
        self.title = QLabel("int8 numerical debugger")
        self.title.setObjectName("subTitle")
        self.caption = QLabel("")
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        self.turn_on = QPushButton("Debug it in the next build")
        self.turn_on.setObjectName("numericsOnButton")
        self.turn_on.setToolTip("sets debug = true on the int8-static quantize step")
        self.turn_on.clicked.connect(self._on_turn_on)
        self.keep_button = QPushButton("Keep worst in float")
        self.keep_button.setObjectName("keepWorstButton")
        self.keep_button.clicked.connect(self.keep_worst)
        buttons = QHBoxLayout()
        buttons.addWidget(self.turn_on)
        buttons.addWidget(self.keep_button)
        buttons.addStretch(1)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("numericsTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        tips = [
            "layer, in graph order",
            "signal-to-noise of this layer's output against the float model (accumulated error)",
            "cosine similarity of the output with the float model's",
            "the error this layer adds over its inputs' (low = the error enters here)",
        ]
        for i, tip in enumerate(tips):
            self.table.horizontalHeaderItem(i).setToolTip(tip)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(ROW_H)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        h = self.table.horizontalHeader()
        for col in range(len(HEADERS)):
            h.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 4, 10, 8)
        lay.setSpacing(4)
        lay.addWidget(self.title)
        lay.addWidget(self.caption)
        lay.addLayout(buttons)
        lay.addWidget(self.table, 1)
        doc.recipe_replaced.connect(lambda: self.show_variant(""))
        doc.variants_changed.connect(self._update)
        doc.result_changed.connect(lambda n: self._update() if n == self.name else None)
        doc.results_cleared.connect(self._update)
        self.show_variant("")

    def show_variant(self, name: str) -> None:
        self.name = name or ""
        self._update()

    def data(self) -> dict | None:
        return self.doc.numerics.get(self.name)

    def _update(self) -> None:
        spec = self.doc.variant(self.name) if self.name else None
        step = int8_static_step(spec)
        data = self.data()
        rows = list((data or {}).get("rows") or [])
        self.setVisible(bool(rows) or step is not None)
        asked = bool(step is not None and step.options.get("debug"))
        keep = set(step.options.get("keep_fp32") or []) if step is not None else set()
        suggest = layers_to_keep(data)
        worst = suggest or list((data or {}).get("worst") or [])[:1]
        todo = [n for n in suggest if n not in keep]
        if rows:
            self.caption.setText(
                "Each layer's output vs the float model, every layer int8, in graph order. "
                f"The error enters most at: {', '.join(worst) or 'no layer'}"
                + ("." if suggest else " (no layer adds much error).")
                + ("" if self.name in self.doc.results else " From the last build.")
            )
        elif asked:
            self.caption.setText("Build & measure to see where the int8 error enters.")
        else:
            self.caption.setText(
                "Not measured: debug the int8 model to see, layer by layer, where its error "
                "against the float model enters."
            )
        self.turn_on.setVisible(not rows and step is not None and not asked)
        self.keep_button.setVisible(bool(rows) and step is not None)
        self.keep_button.setEnabled(bool(todo))
        self.keep_button.setText(
            f"Keep {todo[0]} in float"
            if len(todo) == 1
            else f"Keep the {len(todo)} worst layers in float"
            if todo
            else "Keep worst in float"
        )
        self.keep_button.setToolTip(
            f"adds {', '.join(todo)} to the quantize step's keep_fp32; build again to measure"
            if todo
            else "no layer left that adds much error (the engine suggests none)"
        )
        self.table.setVisible(bool(rows))
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height() + ROW_H * min(len(rows), 10) + 6
        )
        self.setMaximumHeight(self.sizeHint().height() + 8)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = [
                str(r.get("layer")),
                _num(r.get("snr_db"), ".1f"),
                _num(r.get("cosine"), ".5f"),
                _num(r.get("local_snr_db"), ".1f"),
            ]
            bad = r.get("layer") in suggest
            for col, text in enumerate(cells):
                it = QTableWidgetItem(text)
                if col:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                it.setToolTip(str(r.get("layer")))
                if bad:
                    it.setForeground(WORST)
                    it.setToolTip(f"the int8 error enters at {r.get('layer')}: keep it in float")
                self.table.setItem(i, col, it)

    def keep_worst(self) -> None:
        """Add the worst layers (those below the threshold) to the step's ``keep_fp32``."""
        todo = layers_to_keep(self.data())
        if todo and edit_keep_fp32(self.doc, self.name, add=todo):
            self.edited.emit(self.name)

    def _on_turn_on(self) -> None:
        spec = self.doc.variant(self.name)
        step = int8_static_step(spec)
        if step is not None:
            step.options = {**step.options, "debug": True}
            self.doc.variant_edited(spec.name, spec)
            self.edited.emit(spec.name)

    def table_cells(self) -> list[list[str]]:
        """Every cell's text (for tests)."""
        return [
            [self.table.item(i, c).text() for c in range(self.table.columnCount())]
            for i in range(self.table.rowCount())
        ]
