"""The Gates form: the recipe's ``[gates]`` limits, each optional, and how the last run met them.

Units are the ones users think in: accuracy drop in percentage points of top-1 (the recipe
stores a fraction: 1 point = 0.01), size in MB (10^6 bytes, stored as bytes), latency p50 in
ms, top-1 agreement with the original in percent, output SNR in dB. The two fidelity gates
are on by default (:data:`deploy_studio.core.gates.DEFAULT_LIMITS`): ticked with the default value until the
user changes it (then the recipe stores the value) or unticks it (the recipe stores
``false``). Edits go through :meth:`deploy_studio.gui.document.Document.set_gates`, which re-checks a finished
run.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QWidget

from deploy_studio.core.gates import DEFAULT_LIMITS
from deploy_studio.gui.document import Document

# recipe key -> (check box text, suffix, decimals, minimum, maximum, to recipe, from recipe, tooltip)
FIELDS = {
    "max_accuracy_drop": (
        "Max accuracy drop",
        " points",
        2,
        0.0,
        100.0,
        lambda v: round(v / 100, 6),
        lambda v: v * 100,
        "top-1 accuracy may fall at most this many percentage points below the original "
        "model's (1 point = 0.01 in the recipe's [gates].max_accuracy_drop)",
    ),
    "max_metric_drop": (
        "Max metric drop",
        "",
        4,
        0.0,
        1e6,
        lambda v: round(v, 6),
        lambda v: v,
        "the task's metric (mean IoU, mAP@0.5 as a fraction; MAE as an increase in its unit; "
        "embedding: 1 - cosine) may fall at most this much below the original model's",
    ),
    "max_size_bytes": (
        "Max size",
        " MB",
        3,
        0.001,
        1e6,
        lambda v: round(v * 1e6),
        lambda v: v / 1e6,
        "everything the app must ship, in MB (10^6 bytes; stored in bytes)",
    ),
    "max_latency_ms": (
        "Max p50 latency",
        " ms",
        3,
        0.001,
        1e6,
        lambda v: round(v, 6),
        lambda v: v,
        "median latency of one batch-1 call in the artifact's own runtime; a limit inside "
        "the p50's 95% interval is reported as uncertain, not passed or failed",
    ),
    "min_top1_agreement": (
        "Min agreement",
        " %",
        1,
        0.0,
        100.0,
        lambda v: round(v / 100, 6),
        lambda v: v * 100,
        "the variant's top-1 must equal the original model's on at least this share of the "
        "held-out samples (on by default: catches broken artifacts on unlabelled data too)",
    ),
    "min_snr_db": (
        "Min output SNR",
        " dB",
        1,
        -150.0,
        150.0,
        lambda v: round(v, 3),
        lambda v: v,
        "signal-to-noise ratio of the variant's outputs against the original's (on by default; "
        "by default not applied to retrained variants: distill, or prune with finetuning)",
    ),
}
SUGGESTED = {
    "max_accuracy_drop": 0.01,
    "max_metric_drop": 0.02,
    "max_size_bytes": 5_000_000,
    "max_latency_ms": 5.0,
}
"""What an optional gate's spin box shows before the user sets a limit (nothing applies)."""
DEFAULTS = {**SUGGESTED, **DEFAULT_LIMITS}
ON_BY_DEFAULT = tuple(DEFAULT_LIMITS)  # the engine's default gates (core.gates.DEFAULT_LIMITS)


class GatesForm(QGroupBox):
    """Three optional limits; a variant fails when any limit it can be measured on is exceeded."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__("Gates", parent)
        self.doc = doc
        self.setObjectName("gatesForm")
        self.setToolTip("checked by every run; a failed gate makes `deploy-studio run` exit 1")
        self.boxes: dict[str, QCheckBox] = {}
        self.spins: dict[str, QDoubleSpinBox] = {}
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(3)
        for row, (key, (text, suffix, decimals, lo, hi, _to, _from, tip)) in enumerate(
            FIELDS.items()
        ):
            box = QCheckBox(text)
            box.setObjectName(f"gate_{key}")
            box.setToolTip(tip)
            spin = QDoubleSpinBox()
            spin.setObjectName(f"gateValue_{key}")
            spin.setDecimals(decimals)
            spin.setRange(lo, hi)
            spin.setSuffix(suffix)
            spin.setKeyboardTracking(False)
            spin.setToolTip(tip)
            box.toggled.connect(self._on_edited)
            spin.valueChanged.connect(self._on_edited)
            grid.addWidget(box, row, 0)
            grid.addWidget(spin, row, 1)
            self.boxes[key], self.spins[key] = box, spin
        self.result = QLabel("")
        self.result.setObjectName("muted")
        self.result.setWordWrap(True)
        grid.addWidget(self.result, len(FIELDS), 0, 1, 2)
        grid.setColumnStretch(1, 1)
        doc.recipe_replaced.connect(self._update_fields)
        doc.gates_changed.connect(self._update_result)
        self._update_fields()

    def _update_fields(self) -> None:
        gates = self.doc.recipe.gates if self.doc.recipe is not None else None
        for key, (*_head, _to, from_recipe, _tip) in FIELDS.items():
            value = getattr(gates, key) if gates is not None else None
            default_on = key in ON_BY_DEFAULT and value is None
            box, spin = self.boxes[key], self.spins[key]
            for w in (box, spin):
                w.blockSignals(True)
            box.setChecked((value is not None and value is not False) or default_on)
            shown = value if value not in (None, False) else DEFAULTS[key]
            spin.setValue(from_recipe(shown))
            spin.setEnabled(box.isChecked())
            spin.setProperty("default", default_on)
            for w in (box, spin):
                w.blockSignals(False)
        self._update_result()

    def values(self) -> dict:
        """``{recipe key: value, None or False}`` as the recipe stores them."""
        out = {}
        current = self.doc.recipe.gates if self.doc.recipe is not None else None
        for key in FIELDS:
            value = FIELDS[key][5](self.spins[key].value())
            if key in ON_BY_DEFAULT:
                if not self.boxes[key].isChecked():
                    out[key] = False
                elif getattr(current, key, None) is None and value == FIELDS[key][5](
                    FIELDS[key][6](DEFAULTS[key])
                ):
                    out[key] = None  # still the default: the recipe keeps saying nothing
                else:
                    out[key] = value
            else:
                out[key] = value if self.boxes[key].isChecked() else None
        return out

    def _on_edited(self, *_args) -> None:
        from deploy_studio.core.recipe import Gates

        if self.doc.recipe is None:
            return
        for key, box in self.boxes.items():
            self.spins[key].setEnabled(box.isChecked())
        gates = Gates(**self.values())
        if vars(gates) != vars(self.doc.recipe.gates):
            self.doc.set_gates(gates)

    def _update_result(self) -> None:
        from deploy_studio.core.gates import effective_limits, failed_variants

        results = self.doc.gate_results
        if self.doc.recipe is None or not effective_limits(self.doc.recipe.gates):
            self.result.setText("No gate set: every variant passes.")
            return
        if not results:
            self.result.setText("Checked after Build & measure.")
            return
        variants = {g.variant for g in results}
        failed = sorted(failed_variants(results))
        unsure = sorted({g.variant for g in results if g.status == "uncertain"} - set(failed))
        text = f"Last run: {len(variants) - len(failed)} of {len(variants)} variant(s) passed"
        text += f"; failed: {', '.join(failed)}" if failed else ""
        text += f"; uncertain (within noise): {', '.join(unsure)}" if unsure else ""
        self.result.setText(text + ("" if failed or unsure else "."))
