"""Samples drawn per task in the Samples panel: thumbnails (a mask overlaid, boxes drawn, a
waveform, a text line for rows and tokens), the selected sample large with the selected
variant's prediction drawn the same way, and the worker call for a task's prediction.

The drawing is :mod:`deploy_studio.core.samples` (Pillow, no Qt); this module turns its PNG
bytes into pixmaps and lays them out.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.core.samples import describe, render

VIEW_SIDE = 192  # the large pictures' smaller side


def pixmap(img) -> QPixmap:
    """A PIL image as a pixmap (through PNG bytes)."""
    pm = QPixmap()
    pm.loadFromData(render.png_bytes(img), "PNG")
    return pm


def predict_view_job(reporter, worker, recipe, pixels, rows, out_dir, labels, index):
    """The task's view of one sample for the original and every built variant (the worker's
    ``Predict`` with ``task_view``): ``(original view, [Prediction])``. ``index`` (the
    sample's index in the dataset) feeds array data; ``pixels`` an image's."""
    from deploy_studio.core.report.model import as_row
    from deploy_studio.core.worker.requests import Predict

    plain = [as_row(r).to_dict() for r in rows]
    request = Predict(recipe, pixels, plain, out_dir, labels, index=index, task_view=True)
    return worker.call(request, reporter.emit, reporter.cancel)


def classes_of(samples) -> list[str]:
    return list(samples.classes or [])


def label_text(samples, i: int) -> str:
    if samples.labels is None:
        return ""
    c = int(samples.labels[i])
    return render.class_name(c, classes_of(samples)) if c >= 0 else ""


def uses_classic_view(samples) -> bool:
    """The classifier's view (thumbnails and top-3 as always, no drawing)."""
    return samples.task_name == "classification" and samples.pictures


def picture(samples, i: int) -> np.ndarray | None:
    if not samples.pictures or not len(samples.images) or samples.images.shape[1] == 0:
        return None
    return samples.images[i]


def truth_image(samples, i: int, min_side: int = VIEW_SIDE, legend: bool = True):
    """Sample ``i`` drawn with its truth (a PIL image), or None when it is no picture and has
    no waveform."""
    img = picture(samples, i)
    name = samples.task_name
    if img is not None and name == "segmentation" and samples.masks is not None:
        return render.overlay_mask(
            img,
            samples.masks[i],
            classes_of(samples),
            ignore=samples.ignore_index,
            legend=legend,
            min_side=min_side,
        )
    if img is not None and name == "detection" and samples.boxes is not None:
        return render.draw_boxes(
            img,
            classes=classes_of(samples),
            truth_boxes=samples.boxes[i],
            truth_labels=None if samples.box_labels is None else samples.box_labels[i],
            min_side=min_side,
        )
    if img is not None:
        k = render.scale_factor(img.shape[1], img.shape[0], min_side)
        return render.to_rgb(img).resize((img.shape[1] * k, img.shape[0] * k), 0)
    if samples.waveforms is not None:
        w = max(120, min_side * 2)
        return render.waveform_image(
            samples.waveforms[i], w, max(28, min_side // 2), sample_rate=samples.sample_rate
        )
    return None


def prediction_image(samples, i: int, view: dict | None, min_side: int = VIEW_SIDE):
    """A variant's (or the original's) view of sample ``i`` drawn like its truth, or None."""
    img = picture(samples, i)
    if view is None or img is None:
        return None
    if view.get("kind") == "segmentation" and view.get("mask") is not None:
        return render.overlay_mask(img, view["mask"], classes_of(samples), min_side=min_side)
    if view.get("kind") == "detection":
        return render.draw_boxes(
            img,
            view.get("boxes"),
            view.get("labels"),
            view.get("scores"),
            classes_of(samples),
            truth_boxes=None if samples.boxes is None else samples.boxes[i],
            truth_labels=None if samples.box_labels is None else samples.box_labels[i],
            min_side=min_side,
        )
    return None


def thumbnail(samples, i: int, size: int) -> QIcon | None:
    """The grid's icon of sample ``i`` (a drawn picture or a waveform), or None."""
    img = truth_image(samples, i, min_side=size, legend=False)
    return None if img is None else QIcon(pixmap(img))


def sample_line(samples, i: int, shown_fields: int = 6) -> str:
    """One line naming sample ``i`` for a grid of non-picture samples."""
    parts = [f"#{int(samples.indices[i])}"]
    lab = label_text(samples, i)
    if lab:
        parts.append(lab)
    if samples.table is not None:
        parts.append(describe.row_text(samples.columns, samples.table[i], limit=shown_fields))
    elif samples.inputs:
        name, a = next(iter(samples.inputs.items()))
        if describe.is_token_input(a):
            parts.append(describe.token_list(a[i], 12))
        else:
            parts.append(describe.input_text(name, a[i]).split("\n")[0])
    return " · ".join(parts)


def sample_text(samples, i: int) -> str:
    """Everything the text form says of sample ``i``: label, targets, inputs (ids and text)."""
    lines = []
    lab = label_text(samples, i)
    if lab:
        lines.append(f"label: {lab}")
    if samples.values is not None:
        lines.append("target: " + describe.token_list(np.round(samples.values[i], 4), 8))
    if samples.inputs and samples.table is None and not samples.pictures:
        for name, a in samples.inputs.items():
            lines.append(describe.input_text(name, a[i], samples.vocabulary))
    if samples.masks is not None and samples.task_name == "segmentation":
        present = [int(c) for c in np.unique(samples.masks[i]) if c != samples.ignore_index]
        names = ", ".join(render.class_name(c, classes_of(samples)) for c in present)
        lines.append(f"mask classes: {names}")
    if samples.boxes is not None:
        lines.append(f"{len(samples.boxes[i])} true box(es), dashed")
    return "\n".join(lines)


def view_text(view: dict | None, samples=None) -> str:
    """A view in one cell of the predictions table."""
    if not view:
        return ""
    kind = view.get("kind")
    classes = classes_of(samples) if samples is not None else []
    if kind == "classification":
        return "  ".join(f"{a} {p * 100:.1f}%" for a, p in view.get("top3") or [])
    if kind == "segmentation":
        m = np.asarray(view.get("mask"))
        present = [int(c) for c in np.unique(m)]
        return "classes " + ", ".join(render.class_name(c, classes) for c in present)
    if kind == "detection":
        labels, scores = view.get("labels"), view.get("scores")
        if labels is None or not len(labels):
            return "no detection"
        shown = ", ".join(
            f"{render.class_name(int(c), classes)} {float(s):.2f}"
            for c, s in list(zip(labels, scores, strict=False))[:4]
        )
        return f"{len(labels)} box(es): {shown}" + (" …" if len(labels) > 4 else "")
    outs = view.get("outputs") or []
    return "; ".join(describe.summary_text(s) for s in outs[:2])


class SampleView(QWidget):
    """The selected sample large: its truth (mask, boxes, waveform, row, tokens) and the
    selected variant's prediction drawn the same way."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sampleView")
        self.truth_title = QLabel("Truth")
        self.truth_title.setObjectName("muted")
        self.truth = QLabel()
        self.truth.setObjectName("sampleTruth")
        self.pred_title = QLabel("Prediction")
        self.pred_title.setObjectName("muted")
        self.pred = QLabel()
        self.pred.setObjectName("samplePrediction")
        for lab in (self.truth, self.pred):
            lab.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.text = QLabel()
        self.text.setObjectName("sampleText")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.row = QTableWidget(1, 0)
        self.row.setObjectName("sampleRow")
        self.row.verticalHeader().setVisible(False)
        self.row.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.row.setMaximumHeight(64)
        self.row.setVisible(False)
        pics = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(self.truth_title)
        left.addWidget(self.truth)
        left.addStretch(1)
        right.addWidget(self.pred_title)
        right.addWidget(self.pred)
        right.addStretch(1)
        pics.addLayout(left)
        pics.addLayout(right)
        pics.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 4)
        lay.addLayout(pics)
        lay.addWidget(self.row)
        lay.addWidget(self.text)

    def clear(self) -> None:
        for lab in (self.truth, self.pred, self.text):
            lab.clear()
        self.row.setColumnCount(0)
        self.row.setVisible(False)

    def show_sample(self, samples, i: int, view: dict | None = None, who: str = "") -> None:
        """Sample ``i`` of ``samples`` and ``view`` (``who``'s prediction) drawn."""
        self.clear()
        img = truth_image(samples, i)
        if img is not None:
            self.truth.setPixmap(pixmap(img))
        self.truth_title.setVisible(img is not None)
        pred = prediction_image(samples, i, view)
        if pred is not None:
            self.pred.setPixmap(pixmap(pred))
        self.pred_title.setText(f"Prediction: {who}" if who else "Prediction")
        self.pred_title.setVisible(pred is not None)
        if samples.table is not None:
            pairs = describe.table_row(samples.columns, samples.table[i])
            self.row.setColumnCount(len(pairs))
            self.row.setHorizontalHeaderLabels([c for c, _ in pairs])
            for k, (_c, v) in enumerate(pairs):
                self.row.setItem(0, k, QTableWidgetItem(v))
            self.row.setVisible(True)
        lines = [sample_text(samples, i)]
        if view is not None and pred is None:
            said = view_text(view, samples)
            if view.get("kind") not in ("classification",) and view.get("outputs"):
                said = "\n".join(describe.summary_text(s) for s in view["outputs"])
            if said:
                lines.append(f"{who or 'prediction'}: {said}")
        self.text.setText("\n".join(t for t in lines if t))

    def row_cells(self) -> list[tuple[str, str]]:
        """The tabular row shown, as (column, value) (for tests)."""
        return [
            (self.row.horizontalHeaderItem(k).text(), self.row.item(0, k).text())
            for k in range(self.row.columnCount())
        ]
