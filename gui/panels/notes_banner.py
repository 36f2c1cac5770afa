"""The banner over the variants: what a user must know before trusting the numbers.

After a run it lists the report's ``notes`` (which output is used, guessed preprocessing and
a better-scoring normalisation, data that does not fit the model, degenerate outputs) and the
engine's recommendation, or why there is none (random data has no accuracy and no real
inputs: nothing can be vouched for). Before a run it says when the preprocessing is guessed.
The words are the engine's own (``core.session`` and ``core.pareto``).
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from deploy_studio.gui.document import Document

WARN_STYLE = (
    "#notesBanner { background: rgba(240, 180, 60, 0.16); border: 1px solid rgba(200, 140, 30, 0.55);"
    " border-radius: 4px; }"
)
OK_STYLE = (
    "#notesBanner { background: rgba(60, 170, 100, 0.12); border: 1px solid rgba(40, 140, 80, 0.45);"
    " border-radius: 4px; }"
)


def recommendation(doc: Document) -> tuple[str | None, str]:
    """(variant name or None, the reason) for the document's last run (``core.pareto``, with
    ``tune``'s default budget when the recipe sets no accuracy gate)."""
    from deploy_studio.core.gates import failed_variants
    from deploy_studio.core.pareto import budget_for, recommend
    from deploy_studio.core.tune import DEFAULT_BUDGET

    report = doc.report
    if report is None or doc.recipe is None:
        return None, ""
    gates = doc.recipe.gates
    budget = budget_for(
        doc.recipe.data.source,
        report.dataset.labelled or report.baseline_metric is not None,
        report.baseline_metric,
        report.degenerate,
        gates.max_accuracy_drop if gates.max_accuracy_drop is not None else DEFAULT_BUDGET,
        metric_label=report.task["metric"]["label"],
    )
    name = recommend(
        doc.report_rows(), report.baseline_metric, budget, failed_variants(doc.gate_results)
    )
    if budget.basis is not None and name is None:
        return None, budget.reason + ": no variant qualifies"
    return name, budget.reason


class NotesBanner(QFrame):
    """An amber box with the run's notes and the recommendation; hidden when there is none."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.setObjectName("notesBanner")
        self.label = QLabel("")
        self.label.setObjectName("notesText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.label)
        self.notes: list[str] = []
        self.recommended: str | None = None
        self.reason = ""
        for sig in (
            doc.report_changed,
            doc.results_cleared,
            doc.model_changed,
            doc.recipe_replaced,
            doc.gates_changed,
            doc.settings_changed,
        ):
            sig.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        report = self.doc.report
        notes: list[str] = []
        if report is not None:
            notes = list(report.notes)
            self.recommended, self.reason = recommendation(self.doc)
        else:
            self.recommended, self.reason = None, ""
            s = self.doc.model_summary or {}
            if (
                self.doc.recipe is not None
                and s.get("preprocess")
                and s.get("preprocess_origin") == "guessed"
                and not self.doc.recipe.preprocess
            ):
                notes.append(
                    "Preprocessing is guessed from the input shape: check it in the Samples tab "
                    "before trusting any accuracy."
                )
            if s.get("output_note"):
                notes.append(s["output_note"])
        self.notes = notes
        parts = []
        if report is not None:
            if self.recommended:
                parts.append(
                    f"<b>Recommended: {escape(self.recommended)}</b> — {escape(self.reason)}."
                )
            elif self.reason:
                parts.append(f"<b>No variant recommended.</b> {escape(self.reason)}.")
        if notes:
            parts.append(
                "<b>Before trusting these numbers:</b><ul style='margin:2px 0 0 -20px'>"
                + "".join(f"<li>{escape(n)}</li>" for n in notes)
                + "</ul>"
            )
        self.label.setText("".join(parts))
        warn = bool(notes) or (report is not None and not self.recommended)
        self.setStyleSheet(WARN_STYLE if warn else OK_STYLE)
        self.setVisible(bool(parts))
