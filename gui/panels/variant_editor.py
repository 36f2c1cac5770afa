"""The selected variant's editor: name, format, converter and steps, each step a generated form.

Formats, converters and steps come from the engine's registries (:class:`deploy_studio.gui.engine_calls.EngineInfo`);
option widgets from :class:`deploy_studio.gui.panels.option_form.OptionForm`. Every edit is checked at once
with the engine's own rules and an invalid combination is explained here, before any run.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from deploy_studio.gui.document import Document
from deploy_studio.gui.panels.option_form import OptionForm
from deploy_studio.gui.panels.variants_panel import swatch


class VariantEditor(QWidget):
    """Edits one variant of the document in place."""

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.info = None
        self.name: str = ""
        self.forms: list[OptionForm] = []
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self._scroll)
        self.problem = QLabel()
        self.problem.setObjectName("variantProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        doc.variants_changed.connect(self._on_variants_changed)
        doc.recipe_replaced.connect(lambda: self.show_variant(""))
        self.show_variant("")

    def set_engine(self, info) -> None:
        """Registries are available: forms can be rendered."""
        self.info = info
        self.show_variant(self.name)

    # --- building the form -------------------------------------------------------------
    def show_variant(self, name: str) -> None:
        """Show the editor for ``name`` (a placeholder when empty or not a recipe variant)."""
        self.name = name or ""
        spec = self.doc.variant(self.name) if self.name else None
        body = QWidget()
        body.setObjectName("editorBody")
        v = QVBoxLayout(body)
        v.setContentsMargins(10, 8, 10, 10)
        v.setSpacing(8)
        self.forms = []
        if spec is None or self.info is None:
            hint = QLabel(
                "Select a variant in the table to edit its format, converter and "
                "optimization steps."
                if self.doc.has_recipe
                else "Open a model or a recipe to define variants."
            )
            hint.setObjectName("muted")
            hint.setWordWrap(True)
            v.addWidget(hint)
            v.addStretch(1)
            self._set_body(body)
            return

        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(swatch(self.doc.color(spec.name), 14).pixmap(14, 14))
        title = QLabel(spec.name)
        title.setObjectName("sectionTitle")
        head.addWidget(icon)
        head.addWidget(title, 1)
        v.addLayout(head)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(spec.name)
        self.name_edit.setObjectName("variantName")
        self.name_edit.editingFinished.connect(self._on_rename)
        form.addRow("Name", self.name_edit)
        self.enabled_box = QCheckBox("build && measure it")
        self.enabled_box.setChecked(spec.enabled)
        self.enabled_box.toggled.connect(lambda on: self.doc.set_enabled(self.name, on))
        form.addRow("Include", self.enabled_box)
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("variantFormat")
        self.format_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.format_combo.setMinimumContentsLength(8)
        for e in self.info.formats:
            self.format_combo.addItem(e.label, e.key)
            self.format_combo.setItemData(
                self.format_combo.count() - 1, e.help, Qt.ItemDataRole.ToolTipRole
            )
        self.format_combo.setCurrentIndex(max(0, self.format_combo.findData(spec.format)))
        self.format_combo.currentIndexChanged.connect(self._on_format)
        form.addRow("Format", self.format_combo)
        self.convert_combo = QComboBox()
        self.convert_combo.setObjectName("variantConvert")
        self.convert_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.convert_combo.setMinimumContentsLength(8)
        for e in self.info.converters:
            self.convert_combo.addItem(e.label, e.key)
            self.convert_combo.setItemData(
                self.convert_combo.count() - 1, e.help, Qt.ItemDataRole.ToolTipRole
            )
        self.convert_combo.setCurrentIndex(max(0, self.convert_combo.findData(spec.convert)))
        self.convert_combo.currentIndexChanged.connect(self._on_convert)
        from deploy_studio.core.formats.contract import converts

        self.convert_combo.setEnabled(converts(spec.format))  # the eager baseline takes none
        form.addRow("Converter", self.convert_combo)
        fmt_help = QLabel(
            self.info.fmt(spec.format).help
            if spec.format in [f.key for f in self.info.formats]
            else ""
        )
        fmt_help.setObjectName("muted")
        fmt_help.setWordWrap(True)
        form.addRow("", fmt_help)
        v.addLayout(form)
        fmt_entry = next((f for f in self.info.formats if f.key == spec.format), None)
        if fmt_entry is not None and fmt_entry.options:
            # The format's typed options (e.g. the ExecuTorch delegate): a form, as for steps.
            self.format_options_form = OptionForm(fmt_entry.options, spec.format_options)
            self.format_options_form.setObjectName("formatOptions")
            self.format_options_form.changed.connect(self._on_format_options)
            v.addWidget(self.format_options_form)

        steps_title = QHBoxLayout()
        st = QLabel("Optimization steps")
        st.setObjectName("subTitle")
        add = QToolButton()
        add.setText("Add step")
        add.setObjectName("addStepButton")
        add.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(add)
        for e in self.info.steps:
            a = menu.addAction(e.label)
            a.setToolTip(e.help)
            a.triggered.connect(lambda _=False, k=e.key: self._on_add_step(k))
        menu.setToolTipsVisible(True)
        add.setMenu(menu)
        steps_title.addWidget(st, 1)
        steps_title.addWidget(add)
        v.addLayout(steps_title)
        if not spec.steps:
            none = QLabel("None: the model is converted as is (fp32).")
            none.setObjectName("muted")
            none.setWordWrap(True)
            v.addWidget(none)
        for i, step in enumerate(spec.steps):
            v.addWidget(self._step_box(spec, i, step))
        self.problem = QLabel()
        self.problem.setObjectName("variantProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.problem)
        v.addStretch(1)
        self._set_body(body)
        self._update_problem()

    def _set_body(self, body: QWidget) -> None:
        # The old body may hold the widget whose signal triggered this rebuild: delete it
        # later, from the event loop, never while its signal is still being delivered.
        old = self._scroll.takeWidget()
        if old is not None:
            old.hide()
            old.deleteLater()
        self._scroll.setWidget(body)

    def _step_box(self, spec, i: int, step) -> QGroupBox:
        entry = self.info.step(step.kind)
        box = QGroupBox(f"{i + 1}. {entry.label}")
        box.setToolTip(entry.help)
        box.setObjectName(f"step_{i}")
        bl = QVBoxLayout(box)
        bl.setContentsMargins(8, 6, 8, 8)
        tools = QHBoxLayout()
        desc = QLabel(entry.help)
        desc.setObjectName("muted")
        desc.setWordWrap(True)
        tools.addWidget(desc, 1)
        for text, tip, fn, enabled in (
            ("↑", "move up", lambda: self._on_move_step(i, -1), i > 0),
            ("↓", "move down", lambda: self._on_move_step(i, 1), i < len(spec.steps) - 1),
            ("✕", "remove this step", lambda: self._on_remove_step(i), True),
        ):
            b = QToolButton()
            b.setText(text)
            b.setToolTip(tip)
            b.setAutoRaise(True)
            b.setEnabled(enabled)
            b.clicked.connect(fn)
            tools.addWidget(b, 0, Qt.AlignmentFlag.AlignTop)
        bl.addLayout(tools)
        f = OptionForm(entry.options, step.options)
        f.changed.connect(lambda values, i=i: self._on_step_options(i, values))
        self.forms.append(f)
        bl.addWidget(f)
        return box

    # --- edits -------------------------------------------------------------------------
    def _spec(self):
        return self.doc.variant(self.name)

    def _commit(self, old_name: str | None = None, rebuild: bool = False) -> None:
        spec = self._spec() if old_name is None else self.doc.variant(self.name)
        if spec is None:
            return
        self.doc.variant_edited(old_name or spec.name, spec)
        if rebuild:
            self.show_variant(spec.name)
        else:
            self._update_problem()

    def _on_rename(self) -> None:
        spec = self._spec()
        new = self.name_edit.text().strip()
        if spec is None or new == spec.name:
            return
        if not new or self.doc.variant(new) is not None:
            self.name_edit.setText(spec.name)
            self.problem.setText(
                f"⚠ The name {new!r} is {'empty' if not new else 'taken'}: kept {spec.name!r}."
            )
            return
        old = spec.name
        spec.name = new
        self.name = new
        self._commit(old, rebuild=True)

    def _on_format(self) -> None:
        spec = self._spec()
        if spec is None:
            return
        spec.format = self.format_combo.currentData()
        spec.format_options = {}  # options belong to the format they were chosen for
        allowed = self.info.fmt(spec.format).obj.converters
        if allowed and spec.convert not in allowed:
            spec.convert = self.info.fmt(spec.format).obj.default_converter
        self._commit(rebuild=True)

    def _on_format_options(self, values: dict) -> None:
        spec = self._spec()
        if spec is None:
            return
        entry = self.info.fmt(spec.format)
        defaults = {o.key: o.default for o in entry.options}
        # The recipe keeps what the user chose, not every default (as it was read).
        spec.format_options = {
            k: v for k, v in values.items() if k in spec.format_options or v != defaults.get(k)
        }
        self._commit()

    def _on_convert(self) -> None:
        spec = self._spec()
        if spec is not None:
            spec.convert = self.convert_combo.currentData()
            self._commit()

    def _on_add_step(self, kind: str) -> None:
        from deploy_studio.core.recipe import step_insert_index
        from deploy_studio.core.recipe_defaults import new_step

        spec = self._spec()
        if spec is None:
            return
        # the step's defaults (a distill student that fits the model), inserted where its
        # declared order puts it (distill first, quantize last)
        step = new_step(kind, self.doc.model_summary)
        spec.steps.insert(step_insert_index(spec.steps, kind), step)
        self._commit(rebuild=True)

    def _on_remove_step(self, i: int) -> None:
        spec = self._spec()
        if spec is not None and 0 <= i < len(spec.steps):
            del spec.steps[i]
            self._commit(rebuild=True)

    def _on_move_step(self, i: int, delta: int) -> None:
        spec = self._spec()
        j = i + delta
        if spec is not None and 0 <= j < len(spec.steps):
            spec.steps[i], spec.steps[j] = spec.steps[j], spec.steps[i]
            self._commit(rebuild=True)

    def _on_step_options(self, i: int, values: dict) -> None:
        from deploy_studio.core.errors import StudioError

        spec = self._spec()
        if spec is None or i >= len(spec.steps):
            return
        step = spec.steps[i]
        entry = self.info.step(step.kind)
        try:
            step.options = entry.resolve_options(values, f"variant {spec.name!r} step {step.kind}")
        except StudioError as e:
            step.options = values
            self._show_problem((e.message, e.hint))
            self.doc.variant_edited(spec.name, spec)
            return
        self._commit()

    def _on_variants_changed(self) -> None:
        if self.name and self.doc.variant(self.name) is None:
            self.show_variant("")
        elif self.name:
            self._update_problem()

    def _update_problem(self) -> None:
        spec = self._spec()
        if spec is None:
            return
        self._show_problem(self.doc.problem_of(spec))

    def _show_problem(self, problem) -> None:
        if problem:
            msg, hint = problem
            self.problem.setProperty("state", "error")
            self.problem.setText(f"⚠ {msg}" + (f"\nTry: {hint}" if hint else ""))
        else:
            self.problem.setProperty("state", "ok")
            self.problem.setText("✓ Valid: ready to build.")
        self.problem.style().unpolish(self.problem)
        self.problem.style().polish(self.problem)
