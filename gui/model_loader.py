"""Opening a model: file dialog, drag and drop, Built-in menu, input-shape and trust prompts.

Loading (a real forward pass) and summarising run in a worker. A failure becomes a row in
the Problems panel; two failures are answered with a question instead: an unknown input
shape (ask for it) and a pickled whole module (ask whether to trust it).
"""

from __future__ import annotations

import ast
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from gui.dialogs.input_shape_dialog import InputShapeDialog
from gui.dialogs.trust_dialog import confirm_trust
from gui.state import Document
from gui.workers import JobRunner

MODEL_FILTERS = ";;".join([
    "All models (*.pt *.pth *.ptl *.pt2 *.py)",
    "TorchScript / pickled module (*.pt *.pth)",
    "TorchScript-lite (*.ptl)",
    "ExportedProgram (*.pt2)",
    "Python file with an nn.Module class (*.py)",
    "All files (*)",
])
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
    loaded(object) : a :class:`gui.jobs.ModelInfo` after the document was updated.
    failed(object, str) : an error for the Problems panel.
    busy(str) : a status line ('' when idle).
    """

    loaded = Signal(object)
    failed = Signal(object, str)
    busy = Signal(str)

    def __init__(self, doc: Document, runner: JobRunner, window: QWidget) -> None:
        super().__init__(window)
        self.doc = doc
        self.runner = runner
        self.window = window
        self.job = None
        self.ask_shape = self._ask_shape  # tests replace these prompts
        self.ask_trust = lambda source, message: confirm_trust(self.window, source, message)

    # --- entry points ------------------------------------------------------------------
    def open_dialog(self) -> None:
        """File ▸ Open Model…"""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model", "", MODEL_FILTERS)
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        """Open a model file (``.py`` asks for the class and input shape first)."""
        p = Path(path)
        if p.suffix.lower() == ".py":
            answer = self.ask_shape(str(p), module_classes(p), [1, 1, 28, 28])
            if answer is None:
                return
            cls, shape, weights = answer
            self.load({"source": f"{p}:{cls}", "weights": weights, "input_shape": shape, "trust": False})
        else:
            self.load({"source": str(p), "weights": None, "input_shape": None, "trust": False})

    def load(self, spec: dict) -> None:
        """Load ``spec`` (a ``ModelSpec`` dict) in a worker."""
        from gui import jobs

        if self.job is not None and not self.job.done:
            self.job.cancel()
        self.busy.emit(f"Loading {spec['source']}…")
        self.window.model_panel.set_loading(spec["source"])
        self.job = self.runner.start(
            jobs.load_model_job, spec,
            on_result=self._on_loaded, on_error=lambda e, d, s=spec: self._on_error(s, e, d),
            on_finished=lambda: self.busy.emit(""))

    # --- results -----------------------------------------------------------------------
    def _on_loaded(self, info) -> None:
        from core.models import ModelSpec
        from core.recipe import Recipe, VariantSpec

        spec = ModelSpec.from_dict(info.spec)
        doc = self.doc
        if doc.recipe is None or self._is_new_model(spec):
            if doc.recipe is None:
                s = info.summary
                digits = (s.get("output_shape") or [0, 0])[-1] == 10 and len(s.get("input_shape") or []) == 4
                recipe = Recipe(name=Path(spec.source.split(":")[-1] if spec.source.startswith(("builtin:", "torchvision:")) else spec.source).stem or "untitled",
                                model=spec)
                recipe.data.source = "builtin:digits" if digits else "random"
                recipe.variants = [VariantSpec("fp32-eager", "eager"), VariantSpec("fp32-pte", "pte", "export")]
                doc.set_recipe(recipe, dirty=True)
            else:
                doc.recipe.model = spec
                doc.clear_results()
                doc.set_dirty(True)
                doc.recipe_replaced.emit()
        doc.set_model_summary(info.summary)
        self.loaded.emit(info)

    def _is_new_model(self, spec) -> bool:
        m = self.doc.recipe.model
        same_shape = not m.input_shape or list(m.input_shape) == list(spec.input_shape or [])
        return (m.source, m.weights, m.trust) != (spec.source, spec.weights, spec.trust) or not same_shape

    def _on_error(self, spec: dict, error, details: str) -> None:
        from core.errors import UntrustedPickleError

        message = getattr(error, "message", str(error))
        if isinstance(error, UntrustedPickleError) and not spec.get("trust") and "pickled whole module" in message:
            if self.ask_trust(spec["source"], message):
                self.load({**spec, "trust": True})
                return
        elif "input shape" in message and "cannot be known" in message and not spec.get("input_shape"):
            answer = self.ask_shape(spec["source"], None, None)
            if answer is not None:
                self.load({**spec, "input_shape": answer[1]})
                return
        self.window.model_panel.set_failed(spec["source"], message)
        self.failed.emit(error, f"model {Path(spec['source']).name}")

    def _ask_shape(self, source: str, classes: list[str] | None, shape: list[int] | None):
        """(class, shape, weights) from the dialog, or None when cancelled."""
        dlg = InputShapeDialog(source, classes, shape, self.window)
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        return dlg.class_name(), dlg.shape(), dlg.weights()
