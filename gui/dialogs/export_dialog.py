"""The Export dialog: pick variants (by name or format), app templates, their runtimes and
the variant each app ships, the output folder and the app name; export in a worker with
progress; then a summary with "Open folder".

The dialog starts from the recipe's ``[export]`` settings and writes the choices back into
them when the user exports (so ``deploy-studio run`` of the saved recipe renders the same
apps). Each app's variant defaults to the engine's rule, :func:`deploy_studio.core.pareto.ship_choice`.
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

from deploy_studio.core.report.model import VariantResult
from deploy_studio.core.templates.providers import LABELS as PROVIDER_LABELS
from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import fmt_bytes, fmt_ms
from deploy_studio.gui.job_runner import JobRunner
from deploy_studio.gui.panels.variants_panel import swatch

PLATFORM_LABELS = {"android": "Android", "ios": "iOS", "web": "Web"}
LEGACY_RUNTIMES = {
    ("android", "pytorch-lite"): (
        "pytorch_android_lite 2.1.0 is a legacy option: its native libraries are not 16 KB-page "
        "aligned, and Google Play rejects apps with them for targetSdk 35. Prefer ExecuTorch or "
        "ONNX Runtime for a new app."
    ),
}
"""(platform, runtime) -> why the runtime is legacy (shown under its row)."""
LEGACY_STYLE = (
    "QLabel#legacyNote { background: rgba(240, 180, 60, 0.16); border: 1px solid rgba(200, 140, 30, 0.55);"
    " border-radius: 4px; padding: 4px 6px; }"
)


def variant_choice_text(name: str, row: VariantResult | None) -> str:
    """A variant combo entry: ``"int8-pte · 27.3 kB · p50 0.061 ms"`` (or why it has no numbers)."""
    if row is not None and row.error:
        return f"{name} · failed"
    if row is None or not row.artifact:
        return f"{name} · not built yet"
    lat = f" · p50 {fmt_ms(row.p50)} ms" if row.p50 is not None else " · no latency here"
    return f"{name} · {fmt_bytes(row.size_bytes)}{lat}"


def ship_reason(rows: list[VariantResult], fmt: str, failed: set[str], chosen: str | None) -> str:
    """One line: why ``chosen`` is the variant the app ships (the engine's ``ship_choice`` rule)."""
    from deploy_studio.core.pareto import ship_choice, within_noise

    built = [r for r in rows if r.format == fmt and r.ok and r.artifact]
    if not built:
        if chosen:
            return f"{chosen} is built with the export."
        return (
            f"No {fmt} variant is built yet: the export builds them and ships the smallest one within the "
            "latency noise of the fastest, among those passing every gate (an fp32 one when the recipe has none)."
        )
    engine = ship_choice(rows, fmt, failed)
    if engine is None or chosen != engine.name:
        return f"Your choice; the engine's rule would ship {engine.name if engine else 'none'}."
    passing = [r for r in built if r.name not in failed]
    pool = passing or built
    fastest = min(
        pool,
        key=lambda r: (
            r.p50 if r.p50 is not None else float("inf"),
            r.size_bytes or float("inf"),
        ),
    )
    smallest = min(r.size_bytes or float("inf") for r in pool)
    if len(pool) == 1:
        why = f"The only {fmt} variant built" + (
            " that passes every gate" if len(built) > 1 else ""
        )
    elif engine.name == fastest.name:
        why = (
            f"The fastest and smallest {fmt} variant"
            if (engine.size_bytes or 0) <= smallest
            else f"The fastest {fmt} variant: no smaller one is within its latency noise"
        )
    else:
        close = [r for r in pool if within_noise(r, fastest)]
        why = (
            f"The smallest of the {len(close)} {fmt} variants within the latency noise of the fastest "
            f"({fastest.name}, p50 {fmt_ms(fastest.p50)} ms)"
        )
    if not passing:
        return f"{why}; every {fmt} variant failed a gate, so the gates could not decide."
    if len(passing) < len(built):
        return f"{why}, among the {len(passing)} passing every gate ({len(built) - len(passing)} failing one left out)."
    return why + ("." if len(pool) == 1 else ", passing every gate.")


class ExportDialog(QDialog):
    """Export chosen variants and app projects into a folder.

    Parameters
    ----------
    doc : Document
        The document (recipe, results and the folder they were built in).
    info : gui.engine_calls.EngineInfo
        Platforms and their runtimes (from the template manifests).
    runner : JobRunner
        Where the export job runs.
    default_dir : str
        Initial output folder.

    Signals
    -------
    exported(object) : the :class:`deploy_studio.gui.engine_calls.ExportResult` of a finished export.
    failed(object, str) : an error for the Problems panel.
    """

    exported = Signal(object)
    failed = Signal(object, str)

    def __init__(
        self,
        doc: Document,
        info,
        runner: JobRunner,
        default_dir: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.doc, self.info, self.runner = doc, info, runner
        self.job = None
        self.result = None
        self.setWindowTitle("Export")
        self.setMinimumSize(820, 640)

        # variants -----------------------------------------------------------------
        vbox = QGroupBox("Variants to ship")
        self.variant_list = QListWidget()
        self.variant_list.setObjectName("exportVariants")
        formats = []
        for v in doc.variants:
            row = doc.results.get(v.name)
            failed = row is not None and not row.ok
            built = row is not None and bool(row.artifact) and row.ok
            state = (
                f"built, {fmt_bytes(row.size_bytes)}"
                if built and row is not None
                else ("failed" if failed else "will be built")
            )
            it = QListWidgetItem(swatch(doc.color(v.name)), f"{v.name}    {v.format}  ·  {state}")
            it.setData(Qt.ItemDataRole.UserRole, v.name)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(
                Qt.CheckState.Checked if (v.enabled and not failed) else Qt.CheckState.Unchecked
            )
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

        # templates: per app its runtime and the variant it ships ------------------------
        from deploy_studio.core.gates import failed_variants

        self.failed_gates = failed_variants(doc.gate_results)
        tbox = QGroupBox("App projects")
        grid = QGridLayout(tbox)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(4)
        for col, text in enumerate(("App", "Runtime", "Ships variant", "Accelerator")):
            head = QLabel(text)
            head.setObjectName("muted")
            grid.addWidget(head, 0, col)
        self.platform_boxes: dict[str, QCheckBox] = {}
        self.runtime_combos: dict[str, QComboBox] = {}
        self.variant_combos: dict[str, QComboBox] = {}
        self.reason_labels: dict[str, QLabel] = {}
        self.legacy_labels: dict[str, QLabel] = {}
        # ONNX Runtime apps: the execution provider the app adds (CPU fallback on the phone)
        self.provider_combos: dict[str, QComboBox] = {}
        # the Android LiteRT app: CPU (XNNPACK) or the GPU accelerator with CPU fallback
        self.litert_combo: QComboBox | None = None
        export = doc.recipe.export if doc.recipe else None
        saved_providers = (export.onnxruntime_providers if export else None) or {}
        saved = {t.platform: t for t in (export.templates if export else [])}
        self._saved_variant = {
            p: t.variant or (export.variant if export else None) for p, t in saved.items()
        }
        platforms = sorted(
            info.platforms,
            key=lambda p: list(PLATFORM_LABELS).index(p) if p in PLATFORM_LABELS else 9,
        )
        row_i = 1
        for p in platforms:
            cb = QCheckBox(PLATFORM_LABELS.get(p, p))
            cb.setObjectName(f"platform_{p}")
            cb.setChecked(p in saved or not saved)
            combo = QComboBox()
            combo.setObjectName(f"runtime_{p}")
            for rt in info.platforms[p]:
                legacy = " — legacy" if (p, rt) in LEGACY_RUNTIMES else ""
                combo.addItem(f"{rt}  ({info.platform_formats[p][rt]}){legacy}", rt)
            rt = (saved[p].runtime if p in saved else None) or info.default_runtimes.get(p)
            combo.setCurrentIndex(max(0, combo.findData(rt)))
            vcombo = QComboBox()
            vcombo.setObjectName(f"variant_{p}")
            vcombo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            vcombo.setMinimumContentsLength(22)
            reason = QLabel("")
            reason.setObjectName("muted")
            reason.setWordWrap(True)
            legacy_note = QLabel("")
            legacy_note.setObjectName("legacyNote")
            legacy_note.setStyleSheet(LEGACY_STYLE)
            legacy_note.setWordWrap(True)
            legacy_note.setVisible(False)
            self.platform_boxes[p], self.runtime_combos[p], self.variant_combos[p] = (
                cb,
                combo,
                vcombo,
            )
            self.reason_labels[p], self.legacy_labels[p] = reason, legacy_note
            grid.addWidget(cb, row_i, 0)
            grid.addWidget(combo, row_i, 1)
            grid.addWidget(vcombo, row_i, 2)
            choices = getattr(info, "execution_providers", {}).get(p, {})
            if choices:
                pcombo = QComboBox()
                pcombo.setObjectName(f"provider_{p}")
                pcombo.setToolTip(
                    "The ONNX Runtime execution provider the app adds; it falls back to CPU "
                    "when the phone cannot run it. The desktop measures on CPU."
                )
                for key in next(iter(choices.values())):
                    pcombo.addItem(PROVIDER_LABELS.get(key, key), key)  # "NNAPI"
                pcombo.setCurrentIndex(max(0, pcombo.findData(saved_providers.get(p))))
                self.provider_combos[p] = pcombo
                grid.addWidget(pcombo, row_i, 3)
            if p == "android" and "litert" in info.platforms[p]:
                self.litert_combo = self._litert_combo(export)
                grid.addWidget(self.litert_combo, row_i, 3)
            grid.addWidget(reason, row_i + 1, 1, 1, 2)
            grid.addWidget(legacy_note, row_i + 2, 1, 1, 2)
            row_i += 3
            self._fill_variants(p, first=True)
            combo.currentIndexChanged.connect(lambda _i, p=p: self._fill_variants(p))
            vcombo.currentIndexChanged.connect(lambda _i, p=p: self._on_variant_chosen(p))
            cb.toggled.connect(lambda _on, p=p: self._update_row(p))
            self._update_row(p)
        if not platforms:
            grid.addWidget(QLabel("No app templates are installed."), 1, 0, 1, 3)
        grid.setColumnStretch(2, 1)

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

        lay = QVBoxLayout(self)
        lay.addWidget(vbox, 1)
        lay.addWidget(tbox)
        lay.addLayout(where)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.summary, 1)
        lay.addLayout(buttons)

    # --- the variant each app ships ---------------------------------------------------
    def format_of(self, platform: str) -> str:
        """The artifact format the platform's chosen runtime runs."""
        return self.info.platform_formats[platform][self.runtime_combos[platform].currentData()]

    def _rows(self, platform: str | None = None) -> list[VariantResult]:
        """The measured rows; with ``platform``, only those whose delegates run there (a Core
        ML-delegated .pte ships on iOS only, a Vulkan-delegated one on Android only)."""
        from deploy_studio.core.app_routes import delegate_refusal

        rows = [self.doc.results[v.name] for v in self.doc.variants if v.name in self.doc.results]
        if platform is None:
            return rows
        return [r for r in rows if delegate_refusal(platform, r.delegates) is None]

    def default_variant(self, platform: str) -> str | None:
        """The engine's rule (``ship_choice``) for the platform's format; None when nothing is built."""
        from deploy_studio.core.pareto import ship_choice

        row = ship_choice(self._rows(platform), self.format_of(platform), self.failed_gates)
        return row.name if row else None

    def _fill_variants(self, platform: str, first: bool = False) -> None:
        """List the recipe's variants in the runtime's format; select the saved one (on first
        fill) or the engine's rule."""
        fmt = self.format_of(platform)
        combo = self.variant_combos[platform]
        combo.blockSignals(True)
        combo.clear()
        from deploy_studio.core.app_routes import delegate_refusal, variant_delegates

        fitting = [
            v
            for v in self.doc.variants
            if v.format == fmt
            and delegate_refusal(platform, variant_delegates(v.format, v.format_options)) is None
        ]
        for v in fitting:
            row = self.doc.results.get(v.name)
            combo.addItem(swatch(self.doc.color(v.name)), variant_choice_text(v.name, row), v.name)
            if row is not None and row.error:
                combo.model().item(combo.count() - 1).setEnabled(False)
        if not fitting:
            combo.addItem(f"fp32 {fmt}, built for the app (the recipe has no {fmt} variant)", None)
        elif not any(
            r is not None and r.artifact and r.ok
            for r in map(self.doc.results.get, (v.name for v in fitting))
        ):
            combo.insertItem(0, "automatic: chosen after building", None)
        pick = self._saved_variant.get(platform) if first else None
        i = combo.findData(pick) if pick else -1
        if i < 0:
            default = self.default_variant(platform)
            i = combo.findData(default) if default else 0
        combo.setCurrentIndex(max(0, i))
        combo.blockSignals(False)
        self._on_variant_chosen(platform)

    def _on_variant_chosen(self, platform: str) -> None:
        name = self.variant_combos[platform].currentData()
        if name and self.platform_boxes[platform].isChecked():
            for it in (self.variant_list.item(i) for i in range(self.variant_list.count())):
                if it.data(Qt.ItemDataRole.UserRole) == name:
                    it.setCheckState(Qt.CheckState.Checked)  # the app needs its artifact
            box = self.format_boxes.get(self.format_of(platform))
            if box is not None and not box.isChecked():
                box.blockSignals(True)
                box.setChecked(True)
                box.blockSignals(False)
        self.reason_labels[platform].setText(
            ship_reason(self._rows(platform), self.format_of(platform), self.failed_gates, name)
        )
        self._update_row(platform)

    @staticmethod
    def _litert_combo(export) -> QComboBox:
        from deploy_studio.core.recipe import LITERT_ACCELERATORS

        combo = QComboBox()
        combo.setObjectName("litert_accelerator")
        combo.setToolTip(
            "The LiteRT app's accelerator: GPU falls back to the CPU (XNNPACK) when the phone "
            "has none or cannot compile the model. The desktop measures on the CPU."
        )
        for key in LITERT_ACCELERATORS:
            combo.addItem({"cpu": "CPU (XNNPACK)", "gpu": "GPU"}.get(key, key), key)
        combo.setCurrentIndex(
            max(0, combo.findData(export.litert_accelerator if export else "cpu"))
        )
        return combo

    def _update_row(self, platform: str) -> None:
        on = self.platform_boxes[platform].isChecked()
        rt = self.runtime_combos[platform].currentData()
        self.runtime_combos[platform].setEnabled(on)
        self.variant_combos[platform].setEnabled(on)
        self.reason_labels[platform].setEnabled(on)
        legacy = LEGACY_RUNTIMES.get((platform, rt))
        self.legacy_labels[platform].setText(legacy or "")
        self.legacy_labels[platform].setVisible(bool(legacy) and on)
        pcombo = self.provider_combos.get(platform)
        litert = platform == "android" and rt == "litert" and self.litert_combo is not None
        if pcombo is not None:  # only an ONNX Runtime app takes a provider
            offered = self.info.execution_providers.get(platform, {}).get(rt)
            pcombo.setEnabled(on and bool(offered))
            pcombo.setVisible(not litert)
        if self.litert_combo is not None and platform == "android":
            self.litert_combo.setVisible(litert)
            self.litert_combo.setEnabled(on and litert)

    def chosen_providers(self) -> dict[str, str] | None:
        """``[export] onnxruntime_providers``: each ticked ONNX Runtime app's provider when it
        is not the default (None when every app uses its default)."""
        out = {}
        for p, pcombo in self.provider_combos.items():
            if not pcombo.isEnabled():
                continue
            key = pcombo.currentData()
            if key != pcombo.itemData(0):
                out[p] = key
        return out or None

    def chosen_variant(self, platform: str) -> str | None:
        """The variant the platform's app ships (None: the engine picks after building)."""
        return self.variant_combos[platform].currentData()

    def save_choices(self) -> bool:
        """Write the dialog's apps (platform, runtime, variant), their ONNX Runtime execution
        providers, the LiteRT accelerator and the app name into the recipe's ``[export]``; True (and the document
        dirty) when they changed."""
        from deploy_studio.core.recipe import TemplateSpec

        r = self.doc.recipe
        if r is None:
            return False
        new = [TemplateSpec(p, rt, v) for p, rt, v in self.chosen_templates()]
        name = self.app_name.text().strip() or "Deploy Studio App"
        providers = self.chosen_providers()
        accelerator = (
            self.litert_combo.currentData()
            if self.litert_combo is not None and self.litert_combo.isEnabled()
            else r.export.litert_accelerator
        )
        old = [(t.platform, t.runtime, t.variant) for t in r.export.templates]
        if (
            old == [(t.platform, t.runtime, t.variant) for t in new]
            and r.export.app_name == name
            and r.export.onnxruntime_providers == providers
            and r.export.litert_accelerator == accelerator
        ):
            return False
        r.export.templates = new
        r.export.app_name = name
        r.export.onnxruntime_providers = providers
        r.export.litert_accelerator = accelerator
        self.doc.settings_edited()
        return True

    # --- choices -----------------------------------------------------------------------
    def _items_of_format(self, fmt: str) -> list[QListWidgetItem]:
        items = [self.variant_list.item(i) for i in range(self.variant_list.count())]
        return [
            it for it in items if self.doc.variant(it.data(Qt.ItemDataRole.UserRole)).format == fmt
        ]

    @staticmethod
    def _item_checked(it: QListWidgetItem) -> bool:
        return it.checkState() == Qt.CheckState.Checked

    def _on_format_toggled(self, fmt: str, on: bool) -> None:
        for it in self._items_of_format(fmt):
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def chosen_variants(self) -> list[str]:
        return [
            self.variant_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.variant_list.count())
            if self._item_checked(self.variant_list.item(i))
        ]

    def chosen_templates(self) -> list[tuple[str, str, str | None]]:
        """(platform, runtime, variant or None) of every ticked app."""
        return [
            (p, self.runtime_combos[p].currentData(), self.chosen_variant(p))
            for p, cb in self.platform_boxes.items()
            if cb.isChecked()
        ]

    def set_output_dir(self, path: str) -> None:
        self.out_edit.setText(str(path))

    def _on_browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export into", self.out_edit.text())
        if d:
            self.out_edit.setText(d)

    # --- running -----------------------------------------------------------------------
    def start(self) -> None:
        """Run the export in a worker (what the Export button does)."""
        from deploy_studio.gui import engine_calls

        out = self.out_edit.text().strip()
        if not out:
            self.status.setText("Choose an output folder.")
            return
        templates = self.chosen_templates()
        if not self.chosen_variants() and not templates:
            self.status.setText("Choose at least one variant or app project.")
            return
        self.save_choices()  # the recipe remembers them (deploy-studio run renders the same apps)
        shipped = [v for _p, _rt, v in templates if v]
        names = self.chosen_variants() + [
            v for v in dict.fromkeys(shipped) if v not in self.chosen_variants()
        ]
        self.export_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.summary.clear()
        self.summary.setVisible(False)
        self.open_button.setVisible(False)
        self.status.setText("Exporting…")
        self.result = None
        self.job = self.runner.start(
            engine_calls.export_job,
            self.runner.worker,
            self.doc.recipe,
            names,
            templates,
            self.app_name.text().strip() or "Deploy Studio App",
            out,
            str(self.doc.out_dir) if self.doc.out_dir else None,
            dict(self.doc.results),  # typed rows: core.shipping copies what they describe
            on_progress=self._on_progress,
            on_result=self._on_result,
            on_error=self._on_error,
            on_cancelled=self._on_cancelled,
            on_finished=self._on_finished,
        )

    def _on_progress(self, e) -> None:
        if e.kind == "progress" and e.stage == "overall" and e.fraction is not None:
            self.progress.setValue(int(e.fraction * 100))
        if e.message and e.kind in ("progress", "log"):
            self.status.setText(
                (f"[{e.variant}] " if e.variant else "") + f"{e.stage}: {e.message}"
                if e.stage
                else e.message
            )

    def _on_result(self, result) -> None:
        self.result = result
        self.progress.setValue(100)
        self.summary.clear()
        out = Path(result.out_dir)
        for rel in result.artifacts:
            self.summary.addItem(f"artifact   {rel}")
        ok = 0
        for t in result.apps:
            if t.path:
                ok += 1
                self.summary.addItem(
                    f"app        {t.platform} ({t.runtime}): {t.path}  ← {t.variant or ''}"
                )
            else:
                self.summary.addItem(f"app FAILED {t.platform} ({t.runtime}): {t.error or ''}")
        self.summary.addItem(f"report     {out / 'report.html'}")
        failed = [t for t in result.apps if not t.path]
        self.status.setText(
            f"Exported {len(result.artifacts)} artifact(s) and {ok} app project(s) to {out}"
            + (f"; {len(failed)} app(s) failed (see Problems)" if failed else ".")
        )
        for t in failed:
            from deploy_studio.core.errors import TemplateError

            self.failed.emit(TemplateError(f"{t.platform} app: {t.error or ''}"), "export")
        self.summary.setVisible(True)
        self.open_button.setVisible(True)
        self.cancel_button.setText("Close")
        self.exported.emit(result)

    def _on_error(self, error, details: str) -> None:
        self.status.setText(
            f"Export failed: {getattr(error, 'message', str(error))} (details in Problems)"
        )
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

    def reject(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self.runner.wait(3000)
        super().reject()
