"""The Model panel: core's summary of the loaded model, its signature and task
(:mod:`.signature_panel`) and its per-layer table.

The header always names the document's current model. While another model loads, and when
it could not be loaded, a notice above the summary says so (dismissable after a failure);
the summary below stays the current model's.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import fmt_bytes, fmt_count, fmt_shape
from deploy_studio.gui.panels.signature_panel import SignaturePanel

NOTICE_STYLE = {
    "info": "#modelNotice { background: rgba(61, 123, 224, 0.10); border: 1px solid rgba(61, 123, 224, 0.45);"
    " border-radius: 4px; }",
    "error": "#modelNotice { background: rgba(214, 69, 69, 0.10); border: 1px solid rgba(214, 69, 69, 0.55);"
    " border-radius: 4px; }",
}
DEFAULT_STATUS = "Open a model (File ▸ Open Model…, drop a file here, or Built-in)."


def _short(source: str) -> str:
    """A model source as a notice names it: the file name of a path, else the spec."""
    if source.startswith(("builtin:", "torchvision:")):
        return source
    return Path(source).name or source


class ModelPanel(QWidget):
    """Summary fields (kind, parameters, size, shapes, FLOPs, notes), the signature and task,
    over a layer table."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.title = QLabel("No model")
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.status = QLabel(DEFAULT_STATUS)
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setContentsMargins(0, 4, 0, 4)
        form.setVerticalSpacing(3)
        for key in ("Kind", "Parameters", "Weights size", "Input", "Output", "FLOPs", "Classes"):
            lab = QLabel("—")
            lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            lab.setObjectName(f"model_{key.lower().replace(' ', '_')}")
            self.fields[key] = lab
            form.addRow(key, lab)
        self.notes = QLabel("")
        self.notes.setObjectName("muted")
        self.notes.setWordWrap(True)
        self.signature = SignaturePanel(doc)
        self.signature.inputs_declared.connect(self._reload_model)
        self.layers = QTableWidget(0, 4)
        self.layers.setObjectName("layerTable")
        self.layers.setHorizontalHeaderLabels(["Layer", "Type", "Params", "Output"])
        self.layers.verticalHeader().setVisible(False)
        self.layers.verticalHeader().setDefaultSectionSize(22)
        self.layers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.layers.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.layers.setAlternatingRowColors(True)
        self.layers.setShowGrid(False)
        h = self.layers.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        layers_title = QLabel("Layers")
        layers_title.setObjectName("subTitle")
        self.notice = QFrame()  # another model loading, or one that could not be loaded
        self.notice.setObjectName("modelNotice")
        self.notice_text = QLabel("")
        self.notice_text.setObjectName("modelNoticeText")
        self.notice_text.setWordWrap(True)
        self.notice_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_close = QToolButton()
        self.notice_close.setObjectName("dismissNotice")
        self.notice_close.setText("×")
        self.notice_close.setAutoRaise(True)
        self.notice_close.setToolTip("dismiss")
        self.notice_close.clicked.connect(self.hide_notice)
        nl = QHBoxLayout(self.notice)
        nl.setContentsMargins(8, 4, 2, 4)
        nl.addWidget(self.notice_text, 1)
        nl.addWidget(self.notice_close, 0, Qt.AlignmentFlag.AlignTop)
        self.notice.setVisible(False)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.addWidget(self.notice)
        lay.addWidget(self.title)
        lay.addWidget(self.status)
        lay.addLayout(form)
        lay.addWidget(self.signature)
        lay.addWidget(self.notes)
        lay.addWidget(layers_title)
        lay.addWidget(self.layers, 1)
        doc.model_changed.connect(self._update_summary)
        doc.recipe_replaced.connect(self._on_recipe_replaced)

    # --- notices ---------------------------------------------------------------------
    def show_notice(self, text: str, kind: str = "info", dismissable: bool = True) -> None:
        self.notice_text.setText(text)
        self.notice.setStyleSheet(NOTICE_STYLE[kind])
        self.notice_close.setVisible(dismissable)
        self.notice.setVisible(True)

    def hide_notice(self) -> None:
        self.notice.setVisible(False)
        self.notice_text.setText("")

    def _has_current_model(self) -> bool:
        return self.doc.model_summary is not None or self.doc.recipe is not None

    def set_loading(self, source: str, replacing: bool = False) -> None:
        """Show that ``source`` is being loaded (a real forward pass runs in a worker).

        ``replacing``: a model the user opened, which replaces the current one only once it
        has loaded; the header keeps naming the current model meanwhile.
        """
        if replacing and self._has_current_model():
            self.show_notice(
                f"Loading {_short(source)}… The current model below stays until it has loaded.",
                dismissable=False,
            )
            return
        self.hide_notice()
        self.title.setText(source)
        self.status.setText("Loading and running one forward pass…")

    def set_failed(self, source: str, message: str, replacing: bool = False) -> None:
        """``source`` could not be loaded; with ``replacing`` the current model stays current."""
        if replacing and self._has_current_model():
            self.show_notice(
                f"Could not load {_short(source)}: {message}\nNothing changed: the model below is still "
                "the current one (details in Problems).",
                kind="error",
            )
            return
        self.hide_notice()
        if replacing:  # nothing was open
            self.title.setText("No model")
            self.status.setText(f"Could not load {source}: {message} (details in Problems)")
            return
        self.title.setText(source)
        self.status.setText(f"Could not load: {message} (details in Problems)")

    def _reload_model(self) -> None:
        """Load the recipe's model again with its new ``[model] inputs`` (as after the
        constructor-arguments prompt: the window's loader, into this recipe)."""
        loader = getattr(self.window(), "loader", None)
        if loader is not None and self.doc.recipe is not None:
            loader.load(self.doc.recipe.model.to_dict(), into=self.doc.recipe)

    def _on_recipe_replaced(self) -> None:
        r = self.doc.recipe
        if r is not None and self.doc.model_summary is None:
            self.hide_notice()
            self.title.setText(r.model.source)
            self.status.setText("The recipe's model is not loaded yet.")  # set_loading follows

    def _clear_summary(self) -> None:
        for lab in self.fields.values():
            lab.setText("—")
        self.notes.setText("")
        self.layers.setRowCount(0)

    def _update_summary(self) -> None:
        s = self.doc.model_summary
        if not s:  # a replaced recipe's model is loading: no numbers of the previous model stay
            self._clear_summary()
            if self.doc.recipe is None:
                self.title.setText("No model")
                self.status.setText(DEFAULT_STATUS)
            return
        self.hide_notice()
        self.title.setText(s["spec"])
        self.status.setText("Loaded and validated with a forward pass.")
        self.fields["Kind"].setText(
            {
                "module": "nn.Module",
                "torchscript": "TorchScript archive",
                "exported": "ExportedProgram (.pt2)",
                "lite": "lite archive (.ptl)",
            }.get(s["kind"], s["kind"])
        )
        self.fields["Parameters"].setText(fmt_count(s.get("params")))
        self.fields["Weights size"].setText(fmt_bytes(s.get("size_bytes")))
        self.fields["Input"].setText(fmt_shape(s.get("input_shape")))
        self.fields["Output"].setText(fmt_shape(s.get("output_shape")))
        flops = s.get("flops")
        self.fields["FLOPs"].setText(f"{flops / 1e6:,.1f} M" if flops else "not countable")
        labels = s.get("labels") or []
        self.fields["Classes"].setText(
            f"{len(labels)}: {', '.join(labels[:10])}{'…' if len(labels) > 10 else ''}"
            if labels
            else "—"
        )
        self.notes.setText("\n".join(f"• {n}" for n in s.get("notes") or []))
        rows = s.get("layers") or []
        self.layers.setRowCount(len(rows))
        for i, r in enumerate(rows):
            items = [r["name"], r["type"], fmt_count(r["params"]), fmt_shape(r.get("output_shape"))]
            for j, text in enumerate(items):
                it = QTableWidgetItem(text)
                if j == 2:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.layers.setItem(i, j, it)
