"""The Export dialog: pick variants (by name or format), app templates and their runtimes,
the output folder and the app name; export in a worker with progress; then a summary with
"Open folder".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.formatting import fmt_bytes
from gui.panels.variants_panel import swatch
from gui.state import Document
from gui.workers import JobRunner

PLATFORM_LABELS = {"android": "Android", "ios": "iOS", "web": "Web"}


class ExportDialog(QDialog):
    """Export chosen variants and app projects into a folder.

    Parameters
    ----------
    doc : Document
        The document (recipe, results and the folder they were built in).
    info : gui.jobs.EngineInfo
        Platforms and their runtimes (from the template manifests).
    runner : JobRunner
        Where the export job runs.
    default_dir : str
        Initial output folder.

    Signals
    -------
    exported(object) : the :class:`gui.jobs.ExportResult` of a finished export.
    failed(object, str) : an error for the Problems panel.
    """

    exported = Signal(object)
    failed = Signal(object, str)

    def __init__(self, doc: Document, info, runner: JobRunner, default_dir: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc, self.info, self.runner = doc, info, runner
        self.job = None
        self.result = None
        self.setWindowTitle("Export")
        self.setMinimumSize(760, 560)

        # variants -----------------------------------------------------------------
        vbox = QGroupBox("Variants to ship")
        self.variant_list = QListWidget()
        self.variant_list.setObjectName("exportVariants")
        formats = []
        for v in doc.variants:
            row = doc.results.get(v.name) or {}
            built = bool(row.get("artifact")) and not row.get("error")
            state = f"built, {fmt_bytes(row.get('size_bytes'))}" if built else ("failed" if row.get("error") else "will be built")
            it = QListWidgetItem(swatch(doc.color(v.name)), f"{v.name}    {v.format}  ·  {state}")
            it.setData(Qt.ItemDataRole.UserRole, v.name)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if (v.enabled and not row.get("error")) else Qt.CheckState.Unchecked)
            self.variant_list.addItem(it)
            if v.format not in formats:
                formats.append(v.format)
        self.format_boxes: dict[str, QCheckBox] = {}
        fmt_row = QHBoxLayout()
        fmt_row.addWidget(QLabel("Formats:"))
        for f in formats:
            cb = QCheckBox(f)
            cb.setObjectName(f"format_{f}")
            cb.setChecked(any(self._item_checked(i) for i in self._items_of_format(f)))
            cb.toggled.connect(lambda on, f=f: self._on_format_toggled(f, on))
            self.format_boxes[f] = cb
            fmt_row.addWidget(cb)
        fmt_row.addStretch(1)
        vl = QVBoxLayout(vbox)
        vl.addLayout(fmt_row)
        vl.addWidget(self.variant_list)

        # templates ----------------------------------------------------------------
        tbox = QGroupBox("App projects")
        grid = QGridLayout(tbox)
        self.platform_boxes: dict[str, QCheckBox] = {}
        self.runtime_combos: dict[str, QComboBox] = {}
        wanted = {t.platform: t.runtime for t in (doc.recipe.export.templates if doc.recipe else [])}
        platforms = list(info.platforms) or []
        for row_i, p in enumerate(sorted(platforms, key=lambda p: list(PLATFORM_LABELS).index(p) if p in PLATFORM_LABELS else 9)):
            cb = QCheckBox(PLATFORM_LABELS.get(p, p))
            cb.setObjectName(f"platform_{p}")
            cb.setChecked(p in wanted or not wanted)
            combo = QComboBox()
            combo.setObjectName(f"runtime_{p}")
            for rt in info.platforms[p]:
                combo.addItem(f"{rt}  ({info.platform_formats[p][rt]})", rt)
            rt = wanted.get(p) or info.default_runtimes.get(p)
            combo.setCurrentIndex(max(0, combo.findData(rt)))
            cb.toggled.connect(combo.setEnabled)
            combo.setEnabled(cb.isChecked())
            self.platform_boxes[p], self.runtime_combos[p] = cb, combo
            grid.addWidget(cb, row_i, 0)
            grid.addWidget(combo, row_i, 1)
        if not platforms:
            grid.addWidget(QLabel("No app templates are installed."), 0, 0)
        note = QLabel("Each app ships the chosen variant in its runtime's format (the fastest one "
                      "that built; an fp32 one is built when none is chosen).")
        note.setObjectName("muted")
        note.setWordWrap(True)
        grid.addWidget(note, len(platforms) + 1, 0, 1, 2)
        grid.setColumnStretch(1, 1)

        # where --------------------------------------------------------------------
        where = QFormLayout()
        self.app_name = QLineEdit(doc.recipe.export.app_name if doc.recipe else "Deploy Studio App")
        self.app_name.setObjectName("appName")
        self.out_edit = QLineEdit(default_dir)
        self.out_edit.setObjectName("outputFolder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._on_browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        where.addRow("App name", self.app_name)
        where.addRow("Output folder", out_row)

        # progress and summary ------------------------------------------------------
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.summary = QListWidget()
        self.summary.setObjectName("exportSummary")
        self.summary.setVisible(False)

        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("exportButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel)
        self.open_button = QPushButton("Open folder")
        self.open_button.setObjectName("openFolderButton")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self._on_open_folder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)

        top = QHBoxLayout()
        top.addWidget(vbox, 3)
        top.addWidget(tbox, 2)
        lay = QVBoxLayout(self)
        lay.addLayout(top, 1)
        lay.addLayout(where)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.summary, 1)
        lay.addLayout(buttons)

    # --- choices -----------------------------------------------------------------------
    def _items_of_format(self, fmt: str) -> list[QListWidgetItem]:
        items = [self.variant_list.item(i) for i in range(self.variant_list.count())]
        return [it for it in items if self.doc.variant(it.data(Qt.ItemDataRole.UserRole)).format == fmt]

    @staticmethod
    def _item_checked(it: QListWidgetItem) -> bool:
        return it.checkState() == Qt.CheckState.Checked

    def _on_format_toggled(self, fmt: str, on: bool) -> None:
        for it in self._items_of_format(fmt):
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def chosen_variants(self) -> list[str]:
        return [self.variant_list.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.variant_list.count()) if self._item_checked(self.variant_list.item(i))]

    def chosen_templates(self) -> list[tuple[str, str]]:
        return [(p, self.runtime_combos[p].currentData()) for p, cb in self.platform_boxes.items() if cb.isChecked()]

    def set_output_dir(self, path: str) -> None:
        self.out_edit.setText(str(path))

    def _on_browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export into", self.out_edit.text())
        if d:
            self.out_edit.setText(d)

    # --- running -----------------------------------------------------------------------
    def start(self) -> None:
        """Run the export in a worker (what the Export button does)."""
        from gui import jobs

        out = self.out_edit.text().strip()
        if not out:
            self.status.setText("Choose an output folder.")
            return
        if not self.chosen_variants() and not self.chosen_templates():
            self.status.setText("Choose at least one variant or app project.")
            return
        self.export_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.summary.clear()
        self.summary.setVisible(False)
        self.open_button.setVisible(False)
        self.status.setText("Exporting…")
        self.result = None
        self.job = self.runner.start(
            jobs.export_job, self.doc.recipe, self.chosen_variants(), self.chosen_templates(),
            self.app_name.text().strip() or "Deploy Studio App", out,
            str(self.doc.out_dir) if self.doc.out_dir else None, dict(self.doc.results),
            on_progress=self._on_progress, on_result=self._on_result, on_error=self._on_error,
            on_cancelled=self._on_cancelled, on_finished=self._on_finished)

    def _on_progress(self, e) -> None:
        if e.kind == "progress" and e.stage == "overall" and e.fraction is not None:
            self.progress.setValue(int(e.fraction * 100))
        if e.message and e.kind in ("progress", "log"):
            self.status.setText((f"[{e.variant}] " if e.variant else "") + f"{e.stage}: {e.message}" if e.stage else e.message)

    def _on_result(self, result) -> None:
        self.result = result
        self.progress.setValue(100)
        self.summary.clear()
        out = Path(result.out_dir)
        for rel in result.artifacts:
            self.summary.addItem(f"artifact   {rel}")
        ok = 0
        for t in result.apps:
            if t.get("path"):
                ok += 1
                self.summary.addItem(f"app        {t['platform']} ({t['runtime']}): {t['path']}  ← {t.get('variant', '')}")
            else:
                self.summary.addItem(f"app FAILED {t['platform']} ({t['runtime']}): {t.get('error', '')}")
        self.summary.addItem(f"report     {out / 'report.html'}")
        failed = [t for t in result.apps if not t.get("path")]
        self.status.setText(f"Exported {len(result.artifacts)} artifact(s) and {ok} app project(s) to {out}"
                            + (f"; {len(failed)} app(s) failed (see Problems)" if failed else "."))
        for t in failed:
            from core.errors import TemplateError

            self.failed.emit(TemplateError(f"{t['platform']} app: {t.get('error', '')}"), "export")
        self.summary.setVisible(True)
        self.open_button.setVisible(True)
        self.cancel_button.setText("Close")
        self.exported.emit(result)

    def _on_error(self, error, details: str) -> None:
        self.status.setText(f"Export failed: {getattr(error, 'message', str(error))} (details in Problems)")
        self.failed.emit(error, "export")

    def _on_cancelled(self) -> None:
        self.status.setText("Export cancelled: nothing half-written was left behind.")

    def _on_finished(self) -> None:
        self.export_button.setEnabled(True)
        self.export_button.setText("Export again")

    def _on_cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.status.setText("Cancelling…")
            return
        self.reject()

    def _on_open_folder(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.result.out_dir))

    def reject(self) -> None:  # noqa: D401 - closing while running cancels first
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.runner.wait(3000)
        super().reject()
