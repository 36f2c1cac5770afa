"""The Samples panel: where samples come from, measurement settings, the gates, a thumbnail
grid, and each variant's top-3 for the selected sample (and whether it agrees with the original).

Samples are the held-out side of the engine's own split, loaded by a worker; predictions run
every built artifact in its own runtime on a worker, one sample at a time.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui.document import Document
from deploy_studio.gui.job_runner import JobRunner
from deploy_studio.gui.panels.gates_form import GatesForm
from deploy_studio.gui.panels.preprocess_form import PreprocessForm
from deploy_studio.gui.panels.sample_views import (
    SampleView,
    predict_view_job,
    sample_line,
    thumbnail,
    uses_classic_view,
    view_text,
)
from deploy_studio.gui.panels.variants_panel import swatch

SOURCES = [
    ("Built-in digits (scikit-learn)", "builtin:digits"),
    ("MNIST folder (IDX files)…", "mnist:"),
    ("Image folder (class sub-folders, or unlabelled images)…", "imagefolder:"),
    ("Random (latency only)", "random"),
]
THUMB = 52
IMAGE_SOURCES = ("mnist:", "imagefolder:", "coco:", "builtin:digits", "builtin:digit-")


def to_pixmap(img: np.ndarray, size: int = THUMB) -> QPixmap:
    """uint8 [H, W, C] (C = 1 or 3) -> a square pixmap scaled without smoothing."""
    h, w, c = img.shape
    data = np.ascontiguousarray(img if c == 3 else img[:, :, 0])
    fmt = QImage.Format.Format_RGB888 if c == 3 else QImage.Format.Format_Grayscale8
    qimg = QImage(data.data, w, h, data.strides[0], fmt).copy()
    return QPixmap.fromImage(qimg).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


SCALING_THREADS = (1, 2, 4)  # phones have 4-8 cores; the headline count comes first


class SamplesPanel(QWidget):
    """Dataset choice, measurement settings, thumbnails and per-variant predictions.

    Signals
    -------
    failed(object, str) : a worker failed (exception, where) -> the Problems panel.
    """

    failed = Signal(object, str)

    def __init__(self, doc: Document, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.runner = runner
        self.samples = None
        self._predict_job = None
        self._generation = 0
        self._loading = False

        data_box = QGroupBox("Data")
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("dataSource")
        self.source_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.source_combo.setMinimumContentsLength(12)
        for label, spec in SOURCES:
            self.source_combo.addItem(label, spec)
        self.source_combo.activated.connect(self._on_source_activated)
        self.source_label = QLabel("")
        self.source_label.setObjectName("muted")
        self.source_label.setWordWrap(True)
        self.source_label.setVisible(False)
        self.eval_spin = self._spin(0, 100_000, "held-out samples for accuracy and parity")
        self.calib_spin = self._spin(0, 100_000, "samples for calibration / finetuning")
        self.runs_spin = self._spin(1, 100_000, "timed runs per variant")
        self.warmup_spin = self._spin(0, 10_000, "untimed runs first")
        self.threads_spin = self._spin(1, 256, "threads of every runtime")
        grid = QGridLayout(data_box)
        grid.setHorizontalSpacing(8)
        grid.addWidget(QLabel("Source"), 0, 0)
        grid.addWidget(self.source_combo, 0, 1, 1, 3)
        grid.addWidget(self.source_label, 1, 1, 1, 3)
        for i, (text, spin) in enumerate(
            (
                ("Eval samples", self.eval_spin),
                ("Calibration", self.calib_spin),
                ("Runs", self.runs_spin),
                ("Warm-up", self.warmup_spin),
                ("Threads", self.threads_spin),
            )
        ):
            r, c = 2 + i // 2, (i % 2) * 2
            grid.addWidget(QLabel(text), r, c)
            grid.addWidget(spin, r, c + 1)
        self.profile_box = QCheckBox("Profile")
        self.profile_box.setObjectName("profileBox")
        self.profile_box.setToolTip(
            "also profile each variant: per-operator times, peak memory and load time "
            "([benchmark] profile; slower builds). See the Profile tab."
        )
        self.scaling_box = QCheckBox("Also at 1, 2, 4 threads")
        self.scaling_box.setObjectName("scalingBox")
        self.scaling_box.setToolTip(
            "measure latency at 1, 2 and 4 threads besides the Threads count "
            "([benchmark] threads = [...]); the Profile tab charts the scaling"
        )
        grid.addWidget(self.profile_box, 5, 0, 1, 2)
        grid.addWidget(self.scaling_box, 5, 2, 1, 2)
        self.profile_box.toggled.connect(self._on_profile_toggled)
        self.scaling_box.toggled.connect(self._on_scaling_toggled)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.grid = QListWidget()
        self.grid.setObjectName("sampleGrid")
        self.grid.setViewMode(QListView.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMB, THUMB))
        self.grid.setGridSize(QSize(THUMB + 14, THUMB + 22))
        self.grid.setResizeMode(QListView.ResizeMode.Adjust)
        self.grid.setMovement(QListView.Movement.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.currentRowChanged.connect(self._on_sample_selected)
        self.grid_title = QLabel("Held-out samples")
        self.grid_title.setObjectName("subTitle")

        self.pred_title = QLabel("Predictions")
        self.pred_title.setObjectName("subTitle")
        self.preds = QTableWidget(0, 3)
        self.preds.setObjectName("predictionTable")
        self.preds.setHorizontalHeaderLabels(["Variant", "Top-3 (probability)", "="])
        self.preds.horizontalHeaderItem(2).setToolTip(
            "✓ when the variant's top-1 equals the original model's"
        )
        self.preds.verticalHeader().setVisible(False)
        self.preds.verticalHeader().setDefaultSectionSize(22)
        self.preds.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.preds.setShowGrid(False)
        self.preds.setAlternatingRowColors(True)
        h = self.preds.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.preds.currentCellChanged.connect(self._on_pred_cell)
        self._views: list[tuple[str, dict | None]] = []  # per prediction row: who, task view
        self.view = SampleView()
        self.view.setVisible(False)
        self.pred_hint = QLabel("Select a sample to see each variant's top-3.")
        self.pred_hint.setObjectName("muted")
        self.pred_hint.setWordWrap(True)

        content = QWidget()
        lay = QVBoxLayout(content)
        lay.setContentsMargins(8, 8, 8, 8)
        scroll = QScrollArea()  # data, preprocessing and gates above samples: scroll, never squash
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.grid.setMinimumHeight(150)
        self.preds.setMinimumHeight(170)
        lay.addWidget(data_box)
        self.preprocess = PreprocessForm(doc)
        self.preprocess.geometry_changed.connect(self.reload)
        self.preprocess.normalisation_changed.connect(self._on_normalisation_changed)
        self.preprocess.check_requested.connect(self.check_normalisation)
        lay.addWidget(self.preprocess)
        self.gates = GatesForm(doc)
        lay.addWidget(self.gates)
        lay.addWidget(self.grid_title)
        lay.addWidget(self.grid, 2)
        lay.addWidget(self.pred_title)
        lay.addWidget(self.pred_hint)
        lay.addWidget(self.preds, 3)
        lay.addWidget(self.view)

        for spin in (
            self.eval_spin,
            self.calib_spin,
            self.runs_spin,
            self.warmup_spin,
            self.threads_spin,
        ):
            spin.editingFinished.connect(self._on_settings_edited)
        doc.recipe_replaced.connect(self._update_settings)
        doc.model_changed.connect(self.reload)
        doc.report_changed.connect(self._predict)
        self._update_settings()

    @staticmethod
    def _spin(lo: int, hi: int, tip: str) -> QSpinBox:
        s = QSpinBox()
        s.setRange(lo, hi)
        s.setToolTip(tip)
        s.setKeyboardTracking(False)
        s.setMinimumWidth(56)
        s.setMaximumWidth(110)
        return s

    # --- settings ----------------------------------------------------------------------
    def _update_settings(self) -> None:
        r = self.doc.recipe
        self.setEnabled(r is not None)
        if r is None:
            return
        for spin, value in (
            (self.eval_spin, r.data.eval_samples),
            (self.calib_spin, r.data.calibration_samples),
            (self.runs_spin, r.benchmark.runs),
            (self.warmup_spin, r.benchmark.warmup),
            (self.threads_spin, r.benchmark.headline_threads),
        ):
            spin.blockSignals(True)
            spin.setValue(int(value))
            spin.blockSignals(False)
        for box, on in (
            (self.profile_box, r.benchmark.profile),
            (self.scaling_box, r.benchmark.scaling),
        ):
            box.blockSignals(True)
            box.setChecked(bool(on))
            box.blockSignals(False)
        self._show_source(r.data.source)

    def _on_profile_toggled(self, on: bool) -> None:
        r = self.doc.recipe
        if r is not None and r.benchmark.profile != on:
            r.benchmark.profile = on
            self.doc.settings_edited()

    def _on_scaling_toggled(self, on: bool) -> None:
        r = self.doc.recipe
        if r is None or r.benchmark.scaling == on:
            return
        head = r.benchmark.headline_threads
        r.benchmark.threads = [head] + [t for t in SCALING_THREADS if t != head] if on else head
        self.doc.settings_edited()

    def _show_source(self, source: str) -> None:
        kind = source.split(":", 1)[0] + (
            ":" if ":" in source and source != "builtin:digits" else ""
        )
        i = self.source_combo.findData(source if source in ("builtin:digits", "random") else kind)
        self.source_combo.setCurrentIndex(max(0, i))
        folder = source.split(":", 1)[1] if source.startswith(("mnist:", "imagefolder:")) else ""
        if i < 0:  # a source the list does not offer (npz, tabular, coco...): say which
            folder = source
        self.source_label.setText(folder)
        self.source_label.setVisible(bool(folder))

    def _on_settings_edited(self) -> None:
        r = self.doc.recipe
        if r is None:
            return
        new = (
            self.eval_spin.value(),
            self.calib_spin.value(),
            self.runs_spin.value(),
            self.warmup_spin.value(),
            self.threads_spin.value(),
        )
        old = (
            r.data.eval_samples,
            r.data.calibration_samples,
            r.benchmark.runs,
            r.benchmark.warmup,
            r.benchmark.headline_threads,
        )
        if new == old:
            return
        (
            r.data.eval_samples,
            r.data.calibration_samples,
            r.benchmark.runs,
            r.benchmark.warmup,
            threads,
        ) = new
        r.benchmark.set_headline_threads(threads)
        self.doc.settings_edited()
        if new[:2] != old[:2]:
            self.reload()

    def _on_source_activated(self, _i: int) -> None:
        spec = self.source_combo.currentData()
        if spec in ("mnist:", "imagefolder:"):
            folder = QFileDialog.getExistingDirectory(
                self, "Choose the MNIST folder" if spec == "mnist:" else "Choose the image folder"
            )
            if not folder:
                self._show_source(self.doc.recipe.data.source)
                return
            spec += folder
        self.set_source(spec)

    def set_source(self, spec: str) -> None:
        """Use ``spec`` (``builtin:digits``, ``mnist:DIR``, ``imagefolder:DIR``, ``random``)."""
        r = self.doc.recipe
        if r is None or spec == r.data.source:
            return
        r.data.source = spec
        self._show_source(spec)
        self.doc.settings_edited()
        self.doc.clear_results()
        self.reload()

    # --- thumbnails --------------------------------------------------------------------
    def reload(self) -> None:
        """Load the held-out samples for the current model and data source (in a worker)."""
        from deploy_studio.gui import engine_calls

        r, s = self.doc.recipe, self.doc.model_summary
        pre = self.preprocess.effective()
        self._generation += 1  # results of jobs started before this point are for another model
        if self._predict_job is not None and not self._predict_job.done:
            self._predict_job.cancel()
        self.samples = None
        self.grid.clear()
        self.preds.setRowCount(0)
        self._views = []
        self.view.clear()
        self.view.setVisible(False)
        self.preprocess.show_sample(None)
        if r is None or not s:
            return
        image_input = len(s.get("input_shape") or []) == 4
        if image_input and pre is None:
            return
        if not image_input and r.data.source.startswith(IMAGE_SOURCES):
            return  # images for a model that takes none: nothing to show
        self._loading = True
        self.grid_title.setText("Held-out samples (loading…)")
        gen = self._generation
        self.runner.start(
            engine_calls.load_samples_job,
            self.runner.worker,
            r.copy(),
            on_result=lambda samples: self._on_samples(samples, gen),
            on_error=lambda e, d: gen == self._generation and self._on_samples_error(e, d),
        )

    def _on_samples(self, samples, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return  # loaded for a model or data source that is no longer current
        self._loading = False
        self.samples = samples
        self.grid.clear()
        classic = uses_classic_view(samples)
        self._set_grid_mode(samples)
        classes = samples.classes
        for i, img in enumerate(samples.images):
            label = (
                classes[int(samples.labels[i])]
                if samples.labels is not None and 0 <= int(samples.labels[i]) < len(classes)
                else ""
            )
            if classic:
                item = QListWidgetItem(QIcon(to_pixmap(img)), label)
            elif samples.pictures:
                item = QListWidgetItem(thumbnail(samples, i, THUMB) or QIcon(), label)
            else:
                icon = thumbnail(samples, i, 24) if samples.waveforms is not None else None
                item = QListWidgetItem(icon or QIcon(), sample_line(samples, i))
            item.setToolTip(
                f"sample #{int(samples.indices[i])}" + (f", label {label}" if label else "")
            )
            if samples.pictures:
                item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.grid.addItem(item)
        self.view.setVisible(not classic)
        note = "; ".join(samples.notes)
        self.grid_title.setText(f"Held-out samples ({len(samples.images)} shown)")
        self.grid_title.setToolTip(note)
        if len(samples.images):
            self.grid.setCurrentRow(0)

    def _set_grid_mode(self, samples) -> None:
        """Icons for pictures; a line per sample (rows, tokens, waveforms) otherwise."""
        if samples.pictures:
            self.grid.setViewMode(QListView.ViewMode.IconMode)
            self.grid.setIconSize(QSize(THUMB, THUMB))
            self.grid.setGridSize(QSize(THUMB + 14, THUMB + 22))
            self.grid.setWordWrap(True)
        else:
            self.grid.setViewMode(QListView.ViewMode.ListMode)
            self.grid.setIconSize(QSize(96, 24) if samples.waveforms is not None else QSize())
            self.grid.setGridSize(QSize())
            self.grid.setWordWrap(False)

    def _on_samples_error(self, error, details: str) -> None:
        self._loading = False
        self.grid_title.setText("Held-out samples (could not load)")
        self.failed.emit(error, "samples")

    # --- predictions -------------------------------------------------------------------
    def _on_sample_selected(self, row: int) -> None:
        ok = self.samples is not None and 0 <= row < len(self.samples.images)
        pixels = ok and self.samples.pictures and self.samples.inputs is None
        self.preprocess.show_sample(self.samples.images[row] if pixels else None)
        if ok and not uses_classic_view(self.samples):
            self._views = []
            self.view.show_sample(self.samples, row)
        self._predict()

    def _on_normalisation_changed(self) -> None:
        self._on_sample_selected(self.grid.currentRow())

    def check_normalisation(self) -> None:
        """Compare held-out accuracy under the common normalisations (a worker)."""
        from deploy_studio.gui import engine_calls

        r, pre = self.doc.recipe, self.preprocess.effective()
        if r is None or pre is None:
            return
        self.preprocess.check_button.setEnabled(False)
        self.preprocess.check_button.setText("Checking…")

        def done(*_a):
            self.preprocess.check_button.setEnabled(True)
            self.preprocess.check_button.setText("Check normalisation")

        self.runner.start(
            engine_calls.check_normalisation_job,
            self.runner.worker,
            r.copy(),
            on_result=self.preprocess.show_check,
            on_error=lambda e, d: self.failed.emit(e, "normalisation check"),
            on_finished=done,
        )

    def _labels(self) -> list[str]:
        s = self.doc.model_summary or {}
        labels = s.get("labels") or []
        if (
            self.samples is not None
            and self.samples.classes
            and len(self.samples.classes) == len(labels)
        ):
            return list(self.samples.classes)
        return list(labels)

    def _predict(self) -> None:
        from deploy_studio.gui import engine_calls

        row = self.grid.currentRow()
        if (
            self.samples is None
            or row < 0
            or row >= len(self.samples.images)
            or not self.doc.model_summary
        ):
            return
        if self._predict_job is not None and not self._predict_job.done:
            self._predict_job.cancel()
        rows = [r for r in self.doc.result_rows() if r.artifact or r.error]
        out = str(self.doc.out_dir) if self.doc.out_dir else None
        truth = (
            self.samples.classes[int(self.samples.labels[row])]
            if self.samples.labels is not None
            and 0 <= int(self.samples.labels[row]) < len(self.samples.classes)
            else None
        )
        self.pred_hint.setText(
            f"Sample #{int(self.samples.indices[row])}"
            + (f" — label {truth}" if truth else "")
            + ("" if rows else ". Build & measure to compare the variants.")
        )
        gen = self._generation
        if not uses_classic_view(self.samples):
            self.pred_hint.setText(
                self.pred_hint.text().replace(
                    "Build & measure to compare the variants.",
                    "Build & measure to compare the variants; the original model's prediction:",
                )
            )
            array_data = self.samples.inputs is not None
            self._predict_job = self.runner.start(
                predict_view_job,
                self.runner.worker,
                self.doc.recipe.copy(),
                None if array_data else self.samples.images[row],
                rows,
                out,
                self._labels(),
                int(self.samples.indices[row]) if array_data else None,
                on_result=lambda result: self._on_views(result, gen, row),
                on_error=lambda e, d: (
                    gen == self._generation and self.failed.emit(e, "predictions")
                ),
            )
            return
        self._predict_job = self.runner.start(
            engine_calls.predict_job,
            self.runner.worker,
            self.doc.recipe.copy(),
            self.samples.images[row],
            rows,
            out,
            self._labels(),
            on_result=lambda result: self._on_predictions(result, gen),
            on_error=lambda e, d: gen == self._generation and self.failed.emit(e, "predictions"),
        )

    def _on_predictions(self, result, generation: int | None = None) -> None:
        if generation is not None and generation != self._generation:
            return  # predicted for a model that is no longer current
        ref_top, preds = result
        self.preds.horizontalHeaderItem(1).setText("Top-3 (probability)")
        self.preds.setRowCount(1 + len(preds))
        self._set_row(0, "original model", None, ref_top, None, "")
        for i, p in enumerate(preds, start=1):
            self._set_row(i, p.variant, self.doc.color(p.variant), p.top3, p.agrees, p.note)

    def _on_views(self, result, generation: int, sample_row: int) -> None:
        """The task's views of one sample: a row per variant; the selected row drawn."""
        if generation != self._generation or self.samples is None:
            return
        ref_view, preds = result
        s = self.samples
        head = "Top-3 (probability)" if s.task_name == "classification" else "Prediction"
        self.preds.setHorizontalHeaderLabels(["Variant", head, "="])
        label = (s.task or {}).get("agreement") or "cosine similarity"
        self.preds.horizontalHeaderItem(2).setToolTip(f"{label} with the original model")
        self.preds.setRowCount(1 + len(preds))
        self._views = [("original model", ref_view)]
        self._set_view_row(0, "original model", None, ref_view, None, None, "")
        for i, p in enumerate(preds, start=1):
            self._views.append((p.variant, p.view))
            color = self.doc.color(p.variant)
            self._set_view_row(i, p.variant, color, p.view, p.agreement, p.agrees, p.note)
        row = 0 if self.preds.currentRow() < 0 else min(self.preds.currentRow(), len(preds))
        self._on_pred_row(row, sample_row)

    def _set_view_row(self, i, name, color, view, agreement, agrees, note) -> None:
        top = view.get("top3") if view and view.get("kind") == "classification" else None
        self._set_row(i, name, color, top, agrees, note)
        if view and not top:
            cell = QTableWidgetItem(view_text(view, self.samples))
            cell.setToolTip(cell.text())
            self.preds.setItem(i, 1, cell)
        if agreement is not None and not top:
            mark = self.preds.item(i, 2)
            mark.setText(f"{agreement * 100:.1f}%")

    def _on_pred_cell(self, row: int, _col: int, _old_row: int, _old_col: int) -> None:
        self._on_pred_row(row)

    def _on_pred_row(self, row: int, sample_row: int | None = None) -> None:
        """Draw the selected variant's prediction next to the sample's truth."""
        s = self.samples
        if s is None or uses_classic_view(s) or not (0 <= row < len(self._views)):
            return
        i = self.grid.currentRow() if sample_row is None else sample_row
        if not 0 <= i < len(s.indices):
            return
        who, view = self._views[row]
        self.view.show_sample(s, i, view, who)

    def _set_row(self, i: int, name: str, color, top, agrees, note: str) -> None:
        it = QTableWidgetItem(name)
        if color is not None:
            it.setIcon(swatch(color))
        self.preds.setItem(i, 0, it)
        text = (
            "  ".join(
                f"{lab} {p * 100:.0f}%" if p >= 0.995 or p < 0.005 else f"{lab} {p * 100:.1f}%"
                for lab, p in top
            )
            if top
            else note
        )
        cell = QTableWidgetItem(text)
        if not top and note:
            cell.setToolTip(note)
            cell.setForeground(QApplication.palette().placeholderText())
        self.preds.setItem(i, 1, cell)
        mark = QTableWidgetItem("—" if agrees is None else ("✓" if agrees else "✗"))
        mark.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        if agrees is not None:
            dark = QApplication.palette().base().color().lightness() < 128
            good, bad = ("#6fcf97", "#ff7b72") if dark else ("#1e7a46", "#c62828")
            mark.setForeground(QColor(good if agrees else bad))
            mark.setToolTip(
                "same top-1 as the original model"
                if agrees
                else "top-1 differs from the original model"
            )
        self.preds.setItem(i, 2, mark)

    def prediction_rows(self) -> list[tuple[str, str, str]]:
        """(variant, top-3 text, agrees mark) per row (for tests)."""
        return [
            tuple(self.preds.item(r, c).text() if self.preds.item(r, c) else "" for c in range(3))
            for r in range(self.preds.rowCount())
        ]
