"""Opening a model: file dialog, drag and drop, Built-in menu, input-shape and trust prompts.

Loading (a real forward pass) and summarising run in a worker. A failure becomes a row in
the Problems panel; two failures, recognised by their type, are answered with a question
instead: :class:`~deploy_studio.core.errors.InputShapeUnknown` (ask for the shape), an
:class:`~deploy_studio.core.errors.UntrustedPickleError` that trust would load (ask whether
to trust it) and an :class:`~deploy_studio.core.errors.InitArgsError` (ask for the class's
constructor arguments, kept in the recipe as ``[model] init_args``).

A load is one of two cases. A model the user opens (File ▸ Open Model, Built-in, a drop)
starts a NEW recipe made for it (data and variants that fit it, the engine's
:func:`deploy_studio.core.recipe_defaults.new_recipe_for`), after the unsaved-changes
prompt; until it has loaded, and if it fails, the document keeps its recipe and model. The
model of a recipe opened from a file loads into that recipe.
"""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from deploy_studio.gui.dialogs.init_args_dialog import InitArgsDialog
from deploy_studio.gui.dialogs.input_shape_dialog import InputShapeDialog
from deploy_studio.gui.dialogs.trust_dialog import confirm_trust
from deploy_studio.gui.document import Document
from deploy_studio.gui.job_runner import JobRunner

MODEL_FILTERS = ";;".join(
    [
        "All models (*.pt *.pth *.ptl *.pt2 *.py)",
        "TorchScript / pickled module (*.pt *.pth)",
        "TorchScript-lite (*.ptl)",
        "ExportedProgram (*.pt2)",
        "Python file with an nn.Module class (*.py)",
        "All files (*)",
    ]
)
MODEL_SUFFIXES = (".pt", ".pth", ".ptl", ".pt2", ".py")


def module_classes(path: Path) -> list[str]:
    """Class names defined in a Python file, read with ``ast`` (the file is not run)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    return [n.name for n in tree.body if isinstance(n, ast.ClassDef)]


class ModelLoader(QObject):
    """Loads models into the document.

    Signals
    -------
    loaded(object) : a :class:`deploy_studio.gui.engine_calls.ModelInfo` after the document was updated.
    failed(object, str) : an error for the Problems panel.
    busy(str) : a status line ('' when idle).
    status(str) : a status line after a failed load (which model is still the current one).
    """

    loaded = Signal(object)
    failed = Signal(object, str)
    busy = Signal(str)
    status = Signal(str)

    def __init__(self, doc: Document, runner: JobRunner, window: QWidget) -> None:
        super().__init__(window)
        self.doc = doc
        self.runner = runner
        self.window = window
        self.job = None
        self._seq = 0  # the latest load; results of superseded ones are dropped
        self._failure: str | None = None
        self._dirty_at_request = False
        self.ask_shape = self._ask_shape  # tests replace these prompts
        self.ask_trust = lambda source, message: confirm_trust(self.window, source, message)
        self.ask_init_args = self._ask_init_args

    # --- entry points ------------------------------------------------------------------
    def _confirm(self) -> bool:
        """The unsaved-changes prompt: opening a model starts a new recipe."""
        return self.window.files.confirm_discard()

    def open_dialog(self) -> None:
        """File ▸ Open Model…"""
        if not self._confirm():
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", "", MODEL_FILTERS)
        if path:
            self.open_path(path, confirmed=True)

    def open_spec(self, spec: dict, confirmed: bool = False) -> None:
        """Open a model from a spec dict (the Built-in menu): a new recipe for it once it loaded."""
        if confirmed or self._confirm():
            self.load(spec)

    def open_path(self, path: str, confirmed: bool = False) -> None:
        """Open a model file (``.py`` asks for the class and input shape first)."""
        if not confirmed and not self._confirm():
            return
        p = Path(path)
        if p.suffix.lower() == ".py":
            answer = self.ask_shape(str(p), module_classes(p), [1, 1, 28, 28])
            if answer is None:
                return
            cls, shape, weights = answer
            self.load(
                {"source": f"{p}:{cls}", "weights": weights, "input_shape": shape, "trust": False}
            )
        else:
            self.load({"source": str(p), "weights": None, "input_shape": None, "trust": False})

    def load(self, spec: dict, into=None) -> None:
        """Load ``spec`` (a ``ModelSpec`` dict) in a worker; no prompt (callers ask first).

        ``into`` tells the two cases apart: None for a model the user opened (it gets a new
        recipe when it has loaded; until then, and if it fails, nothing changes), or the
        :class:`deploy_studio.core.recipe.Recipe` just opened from a file whose own model this is.
        """
        from deploy_studio.gui import engine_calls

        if self.job is not None and not self.job.done:
            self.job.cancel()
        self._seq += 1
        seq = self._seq
        self._failure = None
        self._dirty_at_request = self.doc.dirty
        self.busy.emit(f"Loading {spec['source']}…")
        self.window.model_panel.set_loading(spec["source"], replacing=into is None)
        self.job = self.runner.start(
            engine_calls.load_model_job,
            self.runner.worker,
            spec,
            on_result=lambda info: seq == self._seq and self._on_loaded(info, spec, into),
            on_error=lambda e, d: seq == self._seq and self._on_error(spec, into, e, d),
            on_finished=lambda: seq == self._seq and self._on_finished(),
        )

    @property
    def loading(self) -> bool:
        return self.job is not None and not self.job.done

    # --- results -----------------------------------------------------------------------
    def _on_loaded(self, info, requested: dict, into) -> None:
        from deploy_studio.core.models import ModelSpec
        from deploy_studio.core.recipe_defaults import new_recipe_for

        doc = self.doc
        if into is not None:  # the model of the recipe opened from a file
            if into is not doc.recipe:
                return  # another recipe replaced it meanwhile
            asked = ModelSpec.from_dict(requested)
            if asked != into.model:  # the user trusted a pickle or gave the input shape: keep it
                into.model = asked
                doc.set_dirty(True)
        else:  # a model the user opened: a new recipe made for it
            if doc.dirty and not self._dirty_at_request and not self._confirm():
                self._failure = (
                    f"{info.spec['source']} was not opened: the recipe was edited while it loaded; "
                    f"{self.current_model_text()}."
                )
                self.window.model_panel.hide_notice()
                return  # edited while the model loaded, and the user keeps the edits
            doc.set_recipe(
                new_recipe_for(ModelSpec.from_dict(info.spec), info.summary), dirty=False
            )
        doc.set_model_summary(info.summary)
        self.loaded.emit(info)

    def current_model_text(self) -> str:
        """Which model the document holds now, for the status line."""
        if self.doc.model_summary:
            return f"the current model is still {self.doc.model_summary.get('spec')}"
        if self.doc.recipe is not None:
            return f"the recipe's model {self.doc.recipe.model.source} is not loaded"
        return "no model is open"

    def _on_error(self, spec: dict, into, error, details: str) -> None:
        from deploy_studio.core.errors import (
            InitArgsError,
            InputShapeUnknown,
            UntrustedPickleError,
        )

        message = getattr(error, "message", str(error))
        if isinstance(error, UntrustedPickleError) and error.trust_helps and not spec.get("trust"):
            if self.ask_trust(spec["source"], message):
                self.load({**spec, "trust": True}, into)
                return
        elif isinstance(error, InputShapeUnknown) and not spec.get("input_shape"):
            answer = self.ask_shape(spec["source"], None, None)
            if answer is not None:
                self.load({**spec, "input_shape": answer[1]}, into)
                return
        elif isinstance(error, InitArgsError):
            args = self.ask_init_args(spec["source"], error, spec.get("init_args"))
            if args is not None:
                self.load({**spec, "init_args": args or None}, into)
                return
        name = Path(spec["source"]).name
        if into is not None and into is not self.doc.recipe:
            pass  # that recipe is gone: its model's failure only goes to Problems
        else:
            self.window.model_panel.set_failed(spec["source"], message, replacing=into is None)
            self._failure = f"Could not load {name} (see Problems): {self.current_model_text()}."
        self.failed.emit(error, f"model {name}")

    def _on_finished(self) -> None:
        self.busy.emit("")
        if self._failure:
            self.status.emit(self._failure)

    def _ask_init_args(self, source: str, error, current: dict | None) -> dict | None:
        """The constructor arguments from the dialog, or None when cancelled."""
        dlg = InitArgsDialog(
            source,
            getattr(error, "message", str(error)),
            getattr(error, "signature", ""),
            getattr(error, "missing", []),
            current,
            self.window,
        )
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return dlg.args()

    def _ask_shape(self, source: str, classes: list[str] | None, shape: list[int] | None):
        """(class, shape, weights) from the dialog, or None when cancelled."""
        dlg = InputShapeDialog(source, classes, shape, self.window)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return dlg.class_name(), dlg.shape(), dlg.weights()
