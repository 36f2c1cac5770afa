"""The Preprocessing form: the recipe's ``[preprocess]`` spec, where it came from, a live preview
of what the model sees, and a one-click check of the common normalisations.

The effective spec is the model's own (torchvision weights' transforms, a built-in's
training) or a guess from the input shape, with the recipe's ``[preprocess]`` keys on top. A
guessed spec is marked in amber: accuracy is only true once the normalisation matches the
training. Edits go into ``recipe.preprocess`` (only the keys the user changed), so the CLI
and every generated app use exactly what the window shows.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from deploy_studio.gui.document import Document

RESIZES = ("stretch", "center-crop")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic")
LAYOUTS = ("NCHW", "NHWC")
ORDERS = ("RGB", "BGR")
GUESSED = "guessed"


def _number(text: str) -> float:
    """A float, or a simple fraction such as ``1/255``."""
    num, sep, den = text.strip().partition("/")
    return float(num) / float(den) if sep else float(num)


def _numbers(text: str) -> list[float] | None:
    try:
        vals = [_number(v) for v in text.replace(";", ",").split(",") if v.strip()]
    except (ValueError, ZeroDivisionError):
        return None
    return vals or None


def _fmt(values) -> str:
    return ", ".join(f"{v:.6g}" for v in values)


class PreprocessForm(QGroupBox):
    """Edit the effective preprocessing; preview one sample as the model sees it.

    Signals
    -------
    geometry_changed : resize, resize size or interpolation changed (samples must reload).
    normalisation_changed : scale, mean, std, channel order or layout changed.
    check_requested : the user asked to compare the common normalisations.
    """

    geometry_changed = Signal()
    normalisation_changed = Signal()
    check_requested = Signal()

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__("Preprocessing", parent)
        self.doc = doc
        self.setObjectName("preprocessForm")
        self.origin = QLabel("")
        self.origin.setObjectName("preprocessOrigin")
        self.origin.setWordWrap(True)
        self.resize_combo = self._combo(RESIZES, "how other images are fitted to the model size")
        self.resize_spin = QSpinBox()
        self.resize_spin.setRange(0, 4096)
        self.resize_spin.setSpecialValueText("crop size")
        self.resize_spin.setToolTip(
            "center-crop: the short side is resized to this first (torchvision: 256 for a 224 crop)"
        )
        self.interp_combo = self._combo(
            INTERPOLATIONS, "resampling of images that are not at model size"
        )
        self.order_combo = self._combo(ORDERS, "channel order of 3-channel inputs")
        self.layout_combo = self._combo(
            LAYOUTS, "NCHW: channels first (PyTorch); NHWC: channels last"
        )
        self.scale_edit = self._edit(
            "multiplier of the 0..255 pixel before mean/std (1/255 = 0.00392157)"
        )
        self.mean_edit = self._edit(
            "per-channel mean, e.g. 0.485, 0.456, 0.406 (or one value for every channel)"
        )
        self.std_edit = self._edit("per-channel std, e.g. 0.229, 0.224, 0.225 (or one value)")
        self.check_button = QPushButton("Check normalisation")
        self.check_button.setObjectName("checkNormalisation")
        self.check_button.setToolTip(
            "compare held-out accuracy under 0..1, -1..1, MNIST, ImageNet and raw pixels"
        )
        self.check_button.clicked.connect(self.check_requested)
        self.preview = QLabel()
        self.preview.setObjectName("preprocessPreview")
        self.preview.setFixedSize(72, 72)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setToolTip(
            "the selected sample as the model sees it (its values mapped min..max to black..white)"
        )
        self.stats = QLabel("")
        self.stats.setObjectName("muted")
        self.stats.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("normalisationTable")
        self.table.setHorizontalHeaderLabels(["Normalisation", "Accuracy", ""])
        self.table.verticalHeader().setVisible(False)
        self.table.setVisible(False)
        self.table.setMaximumHeight(150)
        h = self.table.horizontalHeader()
        h.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        h.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        h.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        grid = QGridLayout(self)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(3)
        grid.addWidget(self.origin, 0, 0, 1, 4)
        rows = [
            ("Resize", self.resize_combo, "to", self.resize_spin),
            ("Interp.", self.interp_combo, "Order", self.order_combo),
            ("Scale", self.scale_edit, "Layout", self.layout_combo),
            ("Mean", self.mean_edit, None, None),
            ("Std", self.std_edit, None, None),
        ]
        for r, (a, wa, b, wb) in enumerate(rows, start=1):
            grid.addWidget(QLabel(a), r, 0)
            if wb is None:
                grid.addWidget(wa, r, 1, 1, 3)
            else:
                grid.addWidget(wa, r, 1)
                grid.addWidget(QLabel(b), r, 2)
                grid.addWidget(wb, r, 3)
        bottom = QHBoxLayout()
        bottom.addWidget(self.preview)
        bottom.addWidget(self.stats, 1)
        grid.addLayout(bottom, 6, 0, 1, 4)
        grid.addWidget(self.check_button, 7, 0, 1, 4)
        grid.addWidget(self.table, 8, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        for w in (self.resize_combo, self.interp_combo, self.order_combo, self.layout_combo):
            w.activated.connect(self._on_edited)
        self.resize_spin.editingFinished.connect(self._on_edited)
        for e in (self.scale_edit, self.mean_edit, self.std_edit):
            e.editingFinished.connect(self._on_edited)
        doc.recipe_replaced.connect(self.refresh)
        doc.model_changed.connect(self.refresh)
        self.refresh()

    @staticmethod
    def _combo(items, tip: str) -> QComboBox:
        c = QComboBox()
        c.addItems(list(items))
        c.setToolTip(tip)
        return c

    @staticmethod
    def _edit(tip: str) -> QLineEdit:
        e = QLineEdit()
        e.setToolTip(tip)
        return e

    # --- the spec ----------------------------------------------------------------------
    def base(self) -> dict | None:
        """The model's own (or guessed) spec, from the model summary."""
        s = self.doc.model_summary or {}
        return dict(s["preprocess"]) if s.get("preprocess") else None

    def effective(self) -> dict | None:
        """The spec every runtime and app uses: the model's with the recipe's keys on top."""
        base = self.base()
        if base is None or self.doc.recipe is None:
            return None
        from deploy_studio.core.data.preprocess import Preprocess

        try:
            return Preprocess.from_dict(base).with_overrides(self.doc.recipe.preprocess).to_dict()
        except Exception:  # noqa: BLE001 - a bad override: fall back to the model's spec
            return base

    def origin_text(self) -> tuple[str, bool]:
        s = self.doc.model_summary or {}
        origin = s.get("preprocess_origin") or GUESSED
        overrides = self.doc.recipe.preprocess if self.doc.recipe is not None else {}
        if overrides:
            keys = ", ".join(sorted(overrides))
            return (
                f"From the recipe ({keys}) over {'a guess' if origin == GUESSED else origin}.",
                False,
            )
        if origin == GUESSED:
            return (
                "⚠ Guessed from the input shape: accuracy is only right if the model was trained with "
                "this normalisation. Check it, or set the values used in training."
            ), True
        return f"From {origin}.", False

    def refresh(self) -> None:
        eff = self.effective()
        self.setEnabled(eff is not None)
        if eff is None:
            self.origin.setText("Load a model to see its preprocessing.")
            return
        text, guessed = self.origin_text()
        self.origin.setText(text)
        self.origin.setProperty("guessed", guessed)
        self.origin.setStyleSheet("color: #b26a00; font-weight: 600;" if guessed else "")
        for combo, value in (
            (self.resize_combo, eff["resize"]),
            (self.interp_combo, eff.get("interpolation", "bilinear")),
            (self.order_combo, eff.get("channel_order", "RGB")),
            (self.layout_combo, eff.get("layout", "NCHW")),
        ):
            combo.setCurrentText(value)
        self.order_combo.setEnabled(int(eff["channels"]) == 3)
        self.resize_spin.setValue(int(eff.get("resize_size") or 0))
        self.resize_spin.setEnabled(eff["resize"] == "center-crop")
        self.scale_edit.setText("1/255" if _close(eff["scale"], 1 / 255) else f"{eff['scale']:.6g}")
        self.mean_edit.setText(_fmt(eff["mean"]))
        self.std_edit.setText(_fmt(eff["std"]))

    def _on_edited(self, *_args) -> None:
        r, base = self.doc.recipe, self.base()
        if r is None or base is None:
            return
        scale = _numbers(self.scale_edit.text())
        mean, std = _numbers(self.mean_edit.text()), _numbers(self.std_edit.text())
        if not scale or not mean or not std or scale[0] <= 0 or any(v <= 0 for v in std):
            self.stats.setText("Scale, mean and std must be numbers (std and scale > 0).")
            self.refresh()
            return
        edited = {
            "resize": self.resize_combo.currentText(),
            "resize_size": self.resize_spin.value() or None,
            "interpolation": self.interp_combo.currentText(),
            "channel_order": self.order_combo.currentText(),
            "layout": self.layout_combo.currentText(),
            "scale": scale[0],
            "mean": mean,
            "std": std,
        }
        self.apply(edited)

    def apply(self, edited: dict) -> None:
        """Store the keys that differ from the model's spec as the recipe's ``[preprocess]``."""
        from deploy_studio.core.data.preprocess import Preprocess
        from deploy_studio.core.errors import StudioError

        r, base = self.doc.recipe, self.base()
        if r is None or base is None:
            return
        before = self.effective()
        overrides = dict(r.preprocess)
        for key, value in edited.items():
            same = _same(base.get(key), value)
            if same:
                overrides.pop(key, None)
            else:
                overrides[key] = value
        if overrides.get("resize_size") is None:
            overrides.pop("resize_size", None)
        try:
            Preprocess.from_dict(base).with_overrides(overrides)
        except StudioError as e:
            self.stats.setText(e.message)
            self.refresh()
            return
        if overrides == r.preprocess:
            return
        r.preprocess = overrides
        self.doc.settings_edited()
        self.doc.clear_results()
        after = self.effective()
        self.refresh()
        geometry = ("resize", "resize_size", "interpolation", "size")
        if any(before.get(k) != after.get(k) for k in geometry):
            self.geometry_changed.emit()
        else:
            self.normalisation_changed.emit()

    # --- preview -----------------------------------------------------------------------
    def show_sample(self, pixels: np.ndarray | None) -> None:
        """Preview ``pixels`` (uint8 [H, W, C] at model size) as the model receives them."""
        from deploy_studio.core.data.preprocess import Preprocess

        eff = self.effective()
        if pixels is None or eff is None:
            self.preview.clear()
            self.stats.setText("")
            return
        try:
            pre = Preprocess.from_dict(eff)
            x = pre.apply(pixels)
        except Exception as e:  # noqa: BLE001 - a sample that does not fit (e.g. reloading)
            self.stats.setText(str(e)[:120])
            return
        from deploy_studio.gui.panels.samples_panel import to_pixmap

        self.preview.setPixmap(to_pixmap(pre.view(x), 72))
        shape = "×".join(str(v) for v in x.shape)
        self.stats.setText(
            f"model input {shape} {eff['layout']}: min {x.min():.3g}, max {x.max():.3g}, "
            f"mean {x.mean():.3g}"
        )

    # --- normalisation check -----------------------------------------------------------
    def show_check(self, rows: list[dict]) -> None:
        """Rows of ``core.session.normalisation_table``; each has a Use button."""
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            name = "current" if row["current"] else row["name"]
            it = QTableWidgetItem(name)
            it.setToolTip(
                f"scale {row['scale']:.6g}, mean {_fmt(row['mean'])}, std {_fmt(row['std'])}"
            )
            self.table.setItem(i, 0, it)
            self.table.setItem(i, 1, QTableWidgetItem(f"{row['accuracy'] * 100:.1f} %"))
            if row["current"]:
                self.table.setCellWidget(i, 2, None)
                continue
            b = QPushButton("Use")
            b.setObjectName(f"useNormalisation{i}")
            b.clicked.connect(
                lambda _=False, r=row: self.apply(
                    {"scale": r["scale"], "mean": r["mean"], "std": r["std"]}
                )
            )
            self.table.setCellWidget(i, 2, b)
        self.table.setVisible(True)


def _close(x, y) -> bool:
    """Equal up to the 6 significant digits the form shows."""
    x, y = float(x), float(y)
    return abs(x - y) <= 1e-6 * max(abs(x), abs(y), 1e-12)


def _same(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        try:
            return _close(a, b)
        except (TypeError, ValueError):
            return False
    return a == b
