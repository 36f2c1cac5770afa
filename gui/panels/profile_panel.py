"""The Profile tab: where one variant's time and memory go, and a second one beside it.

Top: the variant shown (follows the selection in the variants table) and "compare with"
(none by default). Middle: each one's :class:`ProfileView` (top-operator chart, op table,
delegation coverage, memory and load time). Bottom: every variant's memory and start-up
side by side, and their latency against the thread count.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from deploy_studio.gui.document import Document
from deploy_studio.gui.panels.memory_table import MemoryTable
from deploy_studio.gui.panels.profile_view import ProfileView
from deploy_studio.gui.panels.scaling_chart import ScalingChart

NONE = "(none)"


class ProfilePanel(QWidget):
    """Profiles of the selected variant and of one to compare it with."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setObjectName("profilePanel")
        self.first = QComboBox()
        self.first.setObjectName("profileVariant")
        self.second = QComboBox()
        self.second.setObjectName("profileCompare")
        self.first.setMinimumContentsLength(18)
        self.second.setMinimumContentsLength(18)
        self.first.activated.connect(lambda _i: self._show_views())
        self.second.activated.connect(lambda _i: self._show_views())
        top = QHBoxLayout()
        top.addWidget(QLabel("Profile of"))
        top.addWidget(self.first)
        top.addSpacing(12)
        top.addWidget(QLabel("compare with"))
        top.addWidget(self.second)
        top.addStretch(1)
        self.hint = QLabel("")
        self.hint.setObjectName("muted")
        top.addWidget(self.hint)
        self.view_a = ProfileView()
        self.view_b = ProfileView()
        views = QSplitter(Qt.Orientation.Horizontal)
        views.addWidget(self.view_a)
        views.addWidget(self.view_b)
        views.setChildrenCollapsible(False)
        self.memory = MemoryTable()
        self.scaling = ScalingChart()
        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.memory)
        bottom.addWidget(self.scaling)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 2)
        bottom.setSizes([640, 420])
        body = QSplitter(Qt.Orientation.Vertical)
        body.addWidget(views)
        body.addWidget(bottom)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        body.setSizes([620, 260])  # the profiles first; their pages scroll
        body.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 6)
        lay.addLayout(top)
        lay.addWidget(body, 1)
        for sig in (doc.recipe_replaced, doc.variants_changed, doc.results_cleared):
            sig.connect(self.refresh)
        doc.result_changed.connect(lambda _n: self.refresh())
        doc.report_changed.connect(self.refresh)
        self.refresh()

    def show_variant(self, name: str) -> None:
        """Profile ``name`` (the variant selected in the table)."""
        i = self.first.findText(name)
        if i >= 0:
            self.first.setCurrentIndex(i)
            self._show_views()

    def compare_with(self, name: str | None) -> None:
        i = self.second.findText(name or NONE)
        if i >= 0:
            self.second.setCurrentIndex(i)
            self._show_views()

    def refresh(self) -> None:
        names = self.doc.result_names()
        for combo, extra in ((self.first, []), (self.second, [NONE])):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(extra + names)
            i = combo.findText(current)
            combo.setCurrentIndex(max(0, i))
            combo.blockSignals(False)
        rows = self.doc.result_rows()
        self.memory.show_rows(rows)
        self.scaling.show_rows(rows, {r.name: self.doc.color(r.name) for r in rows})
        profiled = sum(1 for r in rows if r.profile)
        self.hint.setText(
            f"{profiled} of {len(rows)} variants profiled"
            if rows
            else "Build & measure to see profiles"
        )
        self._show_views()

    def _show_views(self) -> None:
        a = self.first.currentText()
        b = self.second.currentText()
        self.view_a.show_row(a, self.doc.results.get(a), self.doc.color(a) if a else None)
        compare = bool(b) and b != NONE
        self.view_b.setVisible(compare)
        if compare:
            self.view_b.show_row(b, self.doc.results.get(b), self.doc.color(b))

    def apply_theme(self, dark: bool) -> None:
        for v in (self.view_a, self.view_b):
            v.apply_theme(dark)
        self.scaling.apply_theme(dark)
