"""Per-layer int8 sensitivity of the selected variant, with one-click ``keep_fp32``.

The rows are the engine's per-layer step data (``row.step("quantize")["sensitivity"]``,
written when an int8-static quantize step has ``sensitivity = true``): each Conv/Linear
layer quantized alone, most sensitive first.
Ticking a layer's "fp32" box adds it to that step's ``keep_fp32`` option (unticking removes
it); the table stays, from the last build, until the variant is built again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import NA, fmt_pct, fmt_sci

HEADERS = ["fp32", "Layer", "Drop", "Max |Δ|"]
COL_KEEP, COL_LAYER, COL_DROP, COL_DIFF = range(4)
ROW_H = 22


def int8_static_step(spec):
    """The variant's int8-static quantize step (the one ``keep_fp32`` belongs to), or None."""
    for step in spec.steps if spec is not None else []:
        if step.kind == "quantize" and step.options.get("mode") == "int8-static":
            return step
    return None


def edit_keep_fp32(doc: Document, name: str, add=(), remove=()) -> bool:
    """Add layers to (and remove layers from) variant ``name``'s ``keep_fp32`` option; False
    when the variant has no int8-static quantize step."""
    spec = doc.variant(name)
    step = int8_static_step(spec)
    if step is None:
        return False
    drop = set(remove) | set(add)
    layers = [n for n in step.options.get("keep_fp32") or [] if n not in drop]
    layers += list(dict.fromkeys(add))
    step.options = {**step.options, "keep_fp32": layers}
    doc.variant_edited(spec.name, spec)
    return True


def fmt_drop(drop: float | None) -> str:
    """An accuracy drop in percentage points: ``0.004 -> "0.40 pt"``."""
    return NA if drop is None else f"{drop * 100:.2f} pt"


class SensitivityPanel(QWidget):
    """The sensitivity table of one variant; hidden for variants without int8-static.

    Signals
    -------
    edited(str) : the variant's ``keep_fp32`` option was changed here.
    """

    edited = Signal(str)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.name = ""
        self.setObjectName("sensitivityPanel")
        self.title = QLabel("Quantization sensitivity")
        self.title.setObjectName("subTitle")
        self.caption = QLabel("")
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        self.turn_on = QPushButton("Measure it in the next build")
        self.turn_on.setObjectName("sensitivityOnButton")
        self.turn_on.setToolTip("sets sensitivity = true on the int8-static quantize step")
        self.turn_on.clicked.connect(self._on_turn_on)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("sensitivityTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        tips = [
            "keep this layer in float32 (the quantize step's keep_fp32)",
            "Conv / Linear layer",
            "top-1 accuracy lost, in percentage points, when only this layer is int8",
            "largest absolute output difference from the float model (agreement in the tooltip)",
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
        h.setSectionResizeMode(COL_LAYER, QHeaderView.ResizeMode.Stretch)
        self.table.itemChanged.connect(self._on_item_changed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 4, 10, 8)
        lay.setSpacing(4)
        lay.addWidget(self.title)
        lay.addWidget(self.caption)
        lay.addWidget(self.turn_on)
        lay.addWidget(self.table, 1)
        doc.recipe_replaced.connect(lambda: self.show_variant(""))
        doc.variants_changed.connect(self._on_variants_changed)
        doc.result_changed.connect(self._on_result)
        doc.results_cleared.connect(self._update_table)
        self.show_variant("")

    def show_variant(self, name: str) -> None:
        """Show ``name``'s table (hidden when it has no int8-static step and no rows)."""
        self.name = name or ""
        self._update_table()

    def rows(self) -> list[dict]:
        return list(self.doc.sensitivity.get(self.name) or [])

    def _on_result(self, name: str) -> None:
        if name == self.name:
            self._update_table()

    def _on_variants_changed(self) -> None:
        if self.name and self.doc.variant(self.name) is None and self.name not in self.doc.results:
            self.name = ""
        self._update_table()

    def _update_table(self) -> None:
        spec = self.doc.variant(self.name) if self.name else None
        step = int8_static_step(spec)
        rows = self.rows()
        self.setVisible(bool(rows) or step is not None)
        keep = set(step.options.get("keep_fp32") or []) if step is not None else set()
        measured = bool(step is not None and step.options.get("sensitivity"))
        self.title.setText(
            f"Quantization sensitivity — {self.name}" if self.name else "Quantization sensitivity"
        )
        if rows:
            fresh = self.name in self.doc.results
            self.caption.setText(
                "Each layer quantized alone (the others float), most sensitive first. "
                "Tick a layer to keep it in float32."
                + ("" if fresh else " From the last build: build again to measure the change.")
            )
        elif measured:
            self.caption.setText(
                "Build & measure to see which layers lose accuracy when quantized."
            )
        else:
            self.caption.setText(
                "Not measured: turn on sensitivity in the quantize step to see which "
                "layers lose accuracy when quantized alone."
            )
        self.turn_on.setVisible(not rows and step is not None and not measured)
        self.table.setVisible(bool(rows))
        # only as tall as its rows (a few layers): the editor above keeps the rest of the height
        self.table.setFixedHeight(
            self.table.horizontalHeader().sizeHint().height() + ROW_H * min(len(rows), 12) + 6
        )
        self.setMaximumHeight(self.sizeHint().height() + 8)
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            box = QTableWidgetItem("")
            box.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | (Qt.ItemFlag.ItemIsUserCheckable if step is not None else Qt.ItemFlag.NoItemFlags)
            )
            box.setCheckState(
                Qt.CheckState.Checked if r["layer"] in keep else Qt.CheckState.Unchecked
            )
            box.setData(Qt.ItemDataRole.UserRole, r["layer"])
            box.setToolTip(f"keep {r['layer']} in float32")
            cells = [
                box,
                QTableWidgetItem(r["layer"]),
                QTableWidgetItem(fmt_drop(r.get("accuracy_drop"))),
                QTableWidgetItem(fmt_sci(r.get("max_abs_diff"))),
            ]
            tip = (
                f"{r['layer']} alone in int8: accuracy {fmt_pct(r.get('accuracy'))}, "
                f"top-1 agreement with float {fmt_pct(r.get('top1_agreement'), 1)}"
            )
            for it in cells[COL_LAYER:]:
                it.setToolTip(tip)
            for col, it in enumerate(cells):
                if col >= COL_DROP:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, col, it)
        self.table.blockSignals(False)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if item.column() == COL_KEEP:
            self.set_keep_fp32(
                item.data(Qt.ItemDataRole.UserRole), item.checkState() == Qt.CheckState.Checked
            )

    def set_keep_fp32(self, layer: str, keep: bool) -> None:
        """Add ``layer`` to (or remove it from) the variant's ``keep_fp32`` option."""
        name = self.name
        if edit_keep_fp32(self.doc, name, add=[layer] if keep else [], remove=[layer]):
            self.edited.emit(name)

    def _on_turn_on(self) -> None:
        spec = self.doc.variant(self.name)
        step = int8_static_step(spec)
        if step is not None:
            step.options = {**step.options, "sensitivity": True}
            self.doc.variant_edited(spec.name, spec)
            self.edited.emit(spec.name)

    def keep_states(self) -> dict[str, bool]:
        """Layer -> whether its fp32 box is ticked (for tests)."""
        return {
            self.table.item(i, COL_KEEP).data(Qt.ItemDataRole.UserRole): self.table.item(
                i, COL_KEEP
            ).checkState()
            == Qt.CheckState.Checked
            for i in range(self.table.rowCount())
        }
