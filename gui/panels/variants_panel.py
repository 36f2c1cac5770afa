"""The variants table: include/exclude, presets, duplicate, remove, and results as they arrive.

Rows are the recipe's variants (then any variant a run added, e.g. to ship in an app);
measurement columns fill in from :class:`deploy_studio.gui.document.Document` results, a running variant
shows a progress bar in its Status cell, and an invalid variant says why in its tooltip.
The "Δ p50" column (shown once there is a previous run) compares each p50 with the variant's
previous run (``previous_results``) and says when the change is within the measurement noise;
a row the build cache reused says so in its Status cell.

The "Accuracy" and "Agree" columns show the model's task's metric and agreement
(``Document.task_info``): top-1 and top-1 agreement for a classifier, mean IoU and pixel
agreement for a segmenter, MAE for a regressor; tasks without an agreement (embedding,
generic, regression) show the task output's cosine similarity to the original.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.core.report.model import VariantResult
from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import (
    NA,
    agreement_label,
    fmt_gate,
    fmt_ms,
    metric_column,
    task_metric,
)
from deploy_studio.gui.panels.variant_cells import (
    AMBER,
    COL_ACC,
    COL_AGREE,
    COL_DIFF,
    COL_FORMAT,
    COL_GATES,
    COL_GFLOPS,
    COL_NAME,
    COL_ON,
    COL_P50,
    COL_P90,
    COL_PARAMS,
    COL_PREV,
    COL_SIZE,
    COL_STATUS,
    COL_STEPS,
    COLUMNS,
    NUMERIC,
    REUSED,
    cell_text,
    cost_tip,
    gates_text,
    latency_tip,
    metrics_tip,
    p50_change,
    prev_text,
    prev_tip,
    size_tip,
    steps_text,
    swatch,
)


class VariantsModel(QAbstractTableModel):
    """Table model over the document's variants and results."""

    def __init__(self, doc: Document, parent=None) -> None:
        super().__init__(parent)
        self.doc = doc
        self._names: list[str] = []
        self._problems: dict[str, tuple[str, str]] = {}
        self._stale: set[str] = set()  # rows whose progress changed since the last repaint
        self._repaint = QTimer(self)  # progress and live latency arrive many times a second
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(100)
        self._repaint.timeout.connect(self._update_stale_rows)
        doc.recipe_replaced.connect(self._reset)
        doc.variants_changed.connect(self._reset)
        doc.results_cleared.connect(self._reset)
        doc.result_changed.connect(self._on_result)
        doc.variant_progress.connect(self._on_progress)
        doc.live_latency.connect(self._on_progress)
        doc.gates_changed.connect(self._on_gates_changed)
        for sig in (doc.report_changed, doc.model_changed, doc.task_changed):
            sig.connect(self._on_task_changed)
        self._reset()

    def _reset(self) -> None:
        self.beginResetModel()
        self._names = self.doc.result_names()
        self._problems = {}
        for v in self.doc.variants:
            p = self.doc.problem_of(v)
            if p:
                self._problems[v.name] = p
        self.endResetModel()

    def _on_result(self, name: str) -> None:
        if name not in self._names:
            self._reset()
            return
        r = self._names.index(name)
        self.dataChanged.emit(self.index(r, 0), self.index(r, len(COLUMNS) - 1))

    def _on_task_changed(self) -> None:
        """The task may have changed: the metric columns' headers and cells follow it."""
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, COL_ACC, COL_AGREE)
        if self._names:
            self.dataChanged.emit(
                self.index(0, COL_ACC), self.index(len(self._names) - 1, COL_AGREE)
            )

    def header(self, col: int) -> str:
        """A column's header: the task's metric and fidelity name the two accuracy columns."""
        task = self.doc.task_info
        if col == COL_ACC:
            return metric_column(task_metric(task))
        if col == COL_AGREE:
            return "Agree" if (task or {"agreement": True}).get("agreement") else "Cosine"
        return COLUMNS[col]

    def _header_tip(self, col: int) -> str | None:
        task = self.doc.task_info
        if col == COL_ACC:
            metric = task_metric(task)
            lower = "" if metric.get("higher_is_better", True) else " (lower is better)"
            return f"{metric.get('label')} on held-out samples{lower}"
        if col == COL_AGREE:
            label = agreement_label(task)
            if label == "cosine":
                return "parity: cosine similarity of the task output with the original model's"
            return f"parity: {label} with the original model on the same samples"
        return None

    def _on_gates_changed(self) -> None:
        if self._names:
            self.dataChanged.emit(
                self.index(0, COL_GATES), self.index(len(self._names) - 1, COL_GATES)
            )

    def _on_progress(self, name: str) -> None:
        self._stale.add(name)
        if not self._repaint.isActive():
            self._repaint.start()

    def _update_stale_rows(self) -> None:
        stale, self._stale = self._stale, set()
        for name in stale:
            if name in self._names:
                r = self._names.index(name)
                self.dataChanged.emit(self.index(r, COL_STATUS), self.index(r, COL_P90))

    def name_at(self, row: int) -> str | None:
        return self._names[row] if 0 <= row < len(self._names) else None

    def row_of(self, name: str) -> int:
        return self._names.index(name) if name in self._names else -1

    def rowCount(self, parent=None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self._names)

    def columnCount(self, parent=None) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return self.header(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                if section in (COL_ACC, COL_AGREE):
                    return self._header_tip(section)
                return {
                    COL_ON: "include the variant in Build & measure",
                    COL_SIZE: "everything the app must ship",
                    COL_P50: "median latency of one batch-1 call in the artifact's own runtime",
                    COL_PREV: "p50 change against the variant's previous run (▼ faster, ▲ slower, "
                    "≈ within the measurement noise); its tooltip has the previous numbers",
                    COL_P90: "90th percentile latency (ms)",
                    COL_GFLOPS: "achieved GFLOP/s (FLOPs / p50); mem or comp: memory- or "
                    "compute-bound on this host (tooltip: FLOPs, weights read, share of the "
                    "attainable rate)",
                    COL_FORMAT: "artifact format (the converter is in the tooltip)",
                    COL_STEPS: "optimization steps, in order",
                    COL_DIFF: "largest absolute logit difference from the original model",
                    COL_GATES: "the recipe's gates (Samples ▸ Gates): passed, or which failed",
                }.get(section)
            if role == Qt.ItemDataRole.TextAlignmentRole and section in NUMERIC:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index):
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == COL_ON and self.doc.variant(self._names[index.row()]) is not None:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:
        if index.column() == COL_ON and role == Qt.ItemDataRole.CheckStateRole:
            name = self._names[index.row()]
            self.doc.set_enabled(name, Qt.CheckState(value) == Qt.CheckState.Checked)
            return True
        return False

    def _status(self, name: str, spec, row: VariantResult | None) -> tuple[str, str]:
        if spec is not None:
            problem = self._problems.get(name)
            if problem:
                return "invalid", problem[0] + (f"\nTry: {problem[1]}" if problem[1] else "")
        if row is not None and row.error:
            return "failed", row.error
        if row is not None and row.artifact:
            notes = "\n".join(row.notes)
            if row.cached:
                built = row.cached.get("built")
                why = (
                    "nothing it depends on changed since it was built"
                    + (f" ({built})" if built else "")
                    + ": its artifact and measurements were reused from the build cache"
                )
                return REUSED, "Reused (unchanged): " + why + (f"\n{notes}" if notes else "")
            return "done", notes
        if name in self.doc.progress:
            _frac, stage = self.doc.progress[name]
            return stage, ""
        if spec is not None and not spec.enabled:
            return "excluded", "not built: include it to build and measure it"
        return "—", ""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        name = self._names[index.row()]
        col = index.column()
        spec = self.doc.variant(name)
        row = self.doc.results.get(name)
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_ON:
            if spec is None:
                return None
            return Qt.CheckState.Checked if spec.enabled else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and col == COL_NAME:
            return swatch(self.doc.color(name))
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(name, col, spec, row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(name, col, spec, row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._foreground(name, col, spec, row)
        if role == Qt.ItemDataRole.UserRole:
            return self.doc.progress.get(name)
        return None

    def _display(self, name: str, col: int, spec, row: VariantResult | None):
        if col == COL_NAME:
            return name
        if col == COL_FORMAT:
            return spec.format if spec else (row.format if row else "")
        if col == COL_STEPS:
            return steps_text(spec.steps if spec else (row.steps if row else None))
        if col == COL_STATUS:
            return self._status(name, spec, row)[0]
        live = self.doc.live.get(name)
        if col in (COL_P50, COL_P90) and (row is None or not row.latency_ms) and live:
            return fmt_ms(live.p50 if col == COL_P50 else live.p90)
        if col == COL_PREV:
            return prev_text(self.doc.previous_of(name), row) if row else ""
        if col in NUMERIC:
            return cell_text(row, col, self.doc.task_info) if row else ""
        if col == COL_GATES:
            return gates_text(self.doc.gates_of(name))
        return None

    def _tooltip(self, name: str, col: int, spec, row: VariantResult | None):
        if col == COL_GATES:
            return "\n".join(fmt_gate(g) for g in self.doc.gates_of(name)) or None
        if col == COL_FORMAT:
            from deploy_studio.core.formats.contract import converts

            fmt = spec.format if spec else (row.format if row else "")
            conv = spec.convert if spec else (row.convert if row else None)
            return f"{fmt}, converted with {conv}" if conv and converts(fmt) else fmt
        if col == COL_STEPS:
            return steps_text(spec.steps if spec else (row.steps if row else None))
        if col in (COL_STATUS, COL_NAME):
            return self._status(name, spec, row)[1] or None
        if col == COL_PREV:
            return prev_tip(self.doc.previous_of(name), row, self.doc.task_info)
        if col == COL_SIZE and row is not None and row.size_bytes is not None:
            return size_tip(row)
        if col in (COL_P50, COL_P90) and latency_tip(row):
            return latency_tip(row)
        if col in (COL_P50, COL_GFLOPS) and cost_tip(row):
            return cost_tip(row)
        if col == COL_ACC and row is not None and row.accuracy and row.accuracy.samples:
            return metrics_tip(row, self.doc.task_info)
        return None

    def _foreground(self, name: str, col: int, spec, row: VariantResult | None):
        muted = QBrush(QApplication.palette().placeholderText().color())
        if col == COL_GATES:
            states = {g.status for g in self.doc.gates_of(name)}
            if not states:
                return None
            colour = (
                "#d64545" if "failed" in states else AMBER if "uncertain" in states else "#2e9d5b"
            )
            return QBrush(QColor(colour))
        if col == COL_PREV:
            change = p50_change(self.doc.previous_of(name), row)
            if change is None:
                return None
            return muted if change[1] else QBrush(QColor("#2e9d5b" if change[0] < 0 else "#d64545"))
        status = self._status(name, spec, row)[0] if col in (COL_STATUS, COL_NAME) else ""
        if status in ("invalid", "failed"):
            return QBrush(QColor("#d64545"))
        if spec is not None and not spec.enabled:
            return muted
        if col in NUMERIC and row is not None and row.error:
            return muted
        return None


class StatusDelegate(QStyledItemDelegate):
    """Draws a progress bar in the Status cell while a variant builds."""

    def paint(self, painter, option, index) -> None:
        prog = index.data(Qt.ItemDataRole.UserRole)
        text = index.data(Qt.ItemDataRole.DisplayRole) or ""
        if prog and text not in (
            "done",
            REUSED,
            "failed",
            "invalid",
            "excluded",
            "queued",
            "cancelled",
            "—",
        ):
            frac, stage = prog
            bar = QStyleOptionProgressBar()
            bar.rect = QRect(option.rect.adjusted(3, 4, -3, -4))
            bar.minimum, bar.maximum = 0, 100
            bar.progress = int(max(0.0, min(1.0, frac)) * 100)
            bar.text = stage
            bar.textVisible = True
            bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
            QApplication.style().drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
            return
        super().paint(painter, option, index)

    def sizeHint(self, option, index) -> QSize:
        s = super().sizeHint(option, index)
        return QSize(max(s.width(), 110), s.height())


class VariantsPanel(QWidget):
    """Toolbar (add preset, duplicate, remove, include) over the variants table.

    Signals
    -------
    selected(str) : the selected variant's name ('' when none).
    """

    selected = Signal(str)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.model = VariantsModel(doc, self)
        self.table = QTableView()
        self.table.setObjectName("variantsTable")
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(COL_STATUS, StatusDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(25)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        h.setStretchLastSection(False)
        h.setHighlightSections(False)
        for col, width in {
            COL_ON: 24,
            COL_NAME: 112,
            COL_FORMAT: 64,
            COL_STEPS: 110,
            COL_STATUS: 64,
            COL_SIZE: 72,
            COL_PARAMS: 74,
            COL_P50: 66,
            COL_PREV: 56,
            COL_P90: 66,
            COL_GFLOPS: 72,
            COL_ACC: 78,
            COL_AGREE: 62,
            COL_DIFF: 66,
            COL_GATES: 74,
        }.items():
            self.table.setColumnWidth(col, width)
        h.setSectionResizeMode(COL_STEPS, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnHidden(COL_PREV, True)  # shown once a previous run can be compared

        self.add_button = QToolButton()
        self.add_button.setText("Add variant")
        self.add_button.setObjectName("addVariantButton")
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QMenu(self)
        self.add_button.setMenu(self.add_menu)
        self.duplicate_action = QAction("Duplicate", self)
        self.duplicate_action.triggered.connect(self._on_duplicate)
        self.remove_action = QAction("Remove", self)
        self.remove_action.setShortcut("Del")
        self.remove_action.triggered.connect(self._on_remove)
        dup_btn, rm_btn = QToolButton(), QToolButton()
        dup_btn.setDefaultAction(self.duplicate_action)
        rm_btn.setDefaultAction(self.remove_action)
        self.table.addAction(self.remove_action)

        title = QLabel("Variants")
        title.setObjectName("sectionTitle")
        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(title)
        bar.addWidget(self.summary)
        bar.addStretch(1)
        bar.addWidget(self.add_button)
        bar.addWidget(dup_btn)
        bar.addWidget(rm_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 4)
        lay.setSpacing(4)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)

        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.modelReset.connect(self._on_model_reset)
        self.model.headerDataChanged.connect(self._fit_metric_headers)
        self._selected = ""
        self._update_summary()

    # --- presets -----------------------------------------------------------------------
    def set_presets(self, presets, on_pick) -> None:
        """Fill the Add menu; ``on_pick(preset)`` is called when one is chosen."""
        self.add_menu.clear()
        for p in presets:
            a = self.add_menu.addAction(p.label)
            a.setToolTip(p.tip)
            a.setObjectName(f"preset_{p.name}")
            a.triggered.connect(lambda _=False, p=p: on_pick(p))
        self.add_menu.setToolTipsVisible(True)

    # --- selection ---------------------------------------------------------------------
    def selected_name(self) -> str:
        return self._selected

    def select(self, name: str) -> None:
        r = self.model.row_of(name)
        if r >= 0:
            self.table.selectRow(r)

    def _on_selection(self, *_args) -> None:
        rows = self.table.selectionModel().selectedRows()
        self._selected = self.model.name_at(rows[0].row()) if rows else ""
        self._update_actions()
        self.selected.emit(self._selected or "")

    def _on_model_reset(self) -> None:
        self._update_summary()
        self.table.setColumnHidden(
            COL_PREV, not self.doc.previous_results
        )  # nothing to compare yet
        if self._selected and self.model.row_of(self._selected) >= 0:
            sm = self.table.selectionModel()
            sm.blockSignals(True)
            self.table.selectRow(self.model.row_of(self._selected))
            sm.blockSignals(False)
            self.table.viewport().update()
        else:
            self._selected = ""
            self.selected.emit("")
        self._update_actions()

    def _fit_metric_headers(self, *_args) -> None:
        """Widen the metric columns to their headers (``mean IoU``, ``matched boxes``…)."""
        font = QFont(self.table.horizontalHeader().font())
        font.setBold(True)
        fm = QFontMetrics(font)
        for col in (COL_ACC, COL_AGREE):
            need = fm.horizontalAdvance(self.model.header(col)) + 22
            if self.table.columnWidth(col) < need:
                self.table.setColumnWidth(col, need)

    def _update_actions(self) -> None:
        in_recipe = bool(self._selected) and self.doc.variant(self._selected) is not None
        self.duplicate_action.setEnabled(in_recipe)
        self.remove_action.setEnabled(in_recipe)

    def _update_summary(self) -> None:
        vs = self.doc.variants
        on = sum(1 for v in vs if v.enabled)
        self.summary.setText(f"{on} of {len(vs)} included" if vs else "")

    def _on_duplicate(self) -> None:
        dup = self.doc.duplicate_variant(self._selected)
        if dup is not None:
            self.select(dup.name)

    def _on_remove(self) -> None:
        if self._selected and self.doc.variant(self._selected) is not None:
            self.doc.remove_variant(self._selected)

    def _on_context_menu(self, pos) -> None:
        idx = self.table.indexAt(pos)
        if idx.isValid():
            self.table.selectRow(idx.row())
        m = QMenu(self)
        m.addMenu(self.add_menu).setText("Add variant")
        m.addAction(self.duplicate_action)
        m.addAction(self.remove_action)
        m.exec(self.table.viewport().mapToGlobal(pos))

    def cell(self, name: str, col: int) -> str:
        """The text shown in ``col`` of the variant's row (for tests)."""
        r = self.model.row_of(name)
        return "" if r < 0 else (self.model.index(r, col).data() or "")


__all__ = [
    "AMBER",
    "COLUMNS",
    "COL_ACC",
    "COL_AGREE",
    "COL_DIFF",
    "COL_GATES",
    "COL_P50",
    "COL_P90",
    "COL_PARAMS",
    "COL_PREV",
    "COL_SIZE",
    "COL_STATUS",
    "NA",
    "REUSED",
    "VariantsPanel",
    "cell_text",
    "p50_change",
    "steps_text",
]
