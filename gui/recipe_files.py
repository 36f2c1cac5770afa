"""Recipe files: New, Open, Save, Save As (.toml), recent files and the unsaved-changes prompt.

Reading a recipe validates it against the registries (torch), so it runs in a worker; saving
uses the engine's own ``Recipe.save`` (atomic), so ``deploy-studio run`` reads exactly the
file the window wrote. Recipes bundled with the package (``resources/``, e.g. the digits demo)
open as untitled copies, and nothing is ever written inside ``resources/``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from deploy_studio.gui.document import Document
from deploy_studio.gui.job_runner import JobRunner

MAX_RECENT = 8
RECIPE_FILTER = "Recipes (*.toml);;All files (*)"


def resources_dir() -> Path:
    """The package's bundled files (demo recipe, examples, icons): read-only for the window."""
    from deploy_studio.core.fsutil import resources_dir as engine_resources

    return engine_resources()


def is_bundled(path: str | Path) -> bool:
    """True for a path inside the package's ``resources/`` folder."""
    try:
        return Path(path).expanduser().resolve().is_relative_to(resources_dir().resolve())
    except (OSError, ValueError):
        return False


def settings() -> QSettings:
    """The window's settings (an INI file in the user's config folder)."""
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, "deploy-studio", "studio"
    )


class RecipeFiles(QObject):
    """File actions over the document.

    Signals
    -------
    opened(object) : a recipe was opened (the Recipe).
    recent_changed : the recent-files list changed.
    failed(object, str) : an error for the Problems panel.
    """

    opened = Signal(object)
    recent_changed = Signal()
    failed = Signal(object, str)

    def __init__(self, doc: Document, runner: JobRunner, window: QWidget) -> None:
        super().__init__(window)
        self.doc = doc
        self.runner = runner
        self.window = window
        self.ask_unsaved = self._ask_unsaved  # tests replace the prompts
        self.ask_save_path = self._ask_save_path

    # --- recent ------------------------------------------------------------------------
    def recent(self) -> list[str]:
        v = settings().value("recent", [])
        if isinstance(v, str):
            v = [v]
        return [p for p in (v or []) if Path(p).exists()]

    def _remember(self, path: Path) -> None:
        items = [str(Path(path).resolve())] + [
            p for p in self.recent() if p != str(Path(path).resolve())
        ]
        s = settings()
        s.setValue("recent", items[:MAX_RECENT])
        s.sync()
        self.recent_changed.emit()

    # --- unsaved changes ---------------------------------------------------------------
    def _ask_unsaved(self) -> str:
        name = (
            self.doc.path.name
            if self.doc.path
            else (self.doc.recipe.name if self.doc.recipe else "the recipe")
        )
        box = QMessageBox(self.window)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Unsaved changes")
        box.setText(f"Save the changes to {name}?")
        box.setInformativeText("Your changes are lost if you don't save them.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {
            QMessageBox.StandardButton.Save: "save",
            QMessageBox.StandardButton.Discard: "discard",
        }.get(QMessageBox.StandardButton(answer), "cancel")

    def confirm_discard(self) -> bool:
        """True when it is fine to replace the document (saved, discarded or unchanged)."""
        if not self.doc.dirty or self.doc.recipe is None:
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    # --- actions -----------------------------------------------------------------------
    def new(self) -> None:
        """An empty recipe on the current model (or the empty state when there is none)."""
        if not self.confirm_discard():
            return
        if self.doc.recipe is None:
            return
        from deploy_studio.core.recipe import Recipe

        r = Recipe(name="untitled", model=self.doc.recipe.model)
        summary = self.doc.model_summary
        self.doc.set_recipe(r, dirty=False)
        if summary:
            self.doc.set_model_summary(summary)

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self.window, "Open recipe", "", RECIPE_FILTER)
        if path:
            self.open_path(path, confirmed=True)

    def open_path(self, path: str, confirmed: bool = False, on_done=None) -> None:
        """Read and validate ``path`` in a worker, then make it the document."""
        from deploy_studio.gui import engine_calls

        if not confirmed and not self.confirm_discard():
            return
        self.runner.start(
            engine_calls.load_recipe_job,
            str(path),
            on_result=lambda r: self._on_opened(r, on_done),
            on_error=lambda e, d: self._on_open_error(e, path, on_done),
        )

    def _on_opened(self, recipe, on_done) -> None:
        if is_bundled(recipe.path):  # a built-in recipe: an untitled copy (Save asks where)
            source, recipe.path = recipe.path, None
            self.doc.set_recipe(recipe, dirty=False, copy_of=source)
        else:
            self.doc.set_recipe(recipe, dirty=False)
            self._remember(recipe.path)
        self.opened.emit(recipe)
        if on_done:
            on_done(True)

    def _on_open_error(self, error, path, on_done) -> None:
        self.failed.emit(error, f"recipe {Path(path).name}")
        if on_done:
            on_done(False)

    def _ask_save_path(self) -> str | None:
        folder = Path.cwd() if not is_bundled(Path.cwd()) else Path.home()
        start = str(self.doc.path or folder / f"{self.doc.recipe.name or 'recipe'}.toml")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save recipe", start, RECIPE_FILTER)
        return path or None

    def save(self) -> bool:
        if self.doc.recipe is None:
            return False
        if self.doc.path is None:
            return self.save_as()
        return self._write(self.doc.path)

    def save_as(self) -> bool:
        if self.doc.recipe is None:
            return False
        path = self.ask_save_path()
        if not path:
            return False
        if not path.endswith(".toml"):
            path += ".toml"
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        if is_bundled(path):
            from deploy_studio.core.errors import StudioError

            self.failed.emit(
                StudioError(
                    f"not saved: {path} is inside Deploy Studio's own resources folder ({resources_dir()}), "
                    "which holds the built-in recipes and is replaced when the package is updated",
                    "use File ▸ Save As… and choose a folder of your own",
                ),
                "save",
            )
            return False
        try:
            self.doc.recipe.save(path)
        except Exception as e:  # noqa: BLE001 - a write error is the user's to fix, not a crash
            from deploy_studio.core.errors import StudioError

            err = (
                e
                if isinstance(e, StudioError)
                else StudioError(f"could not save {path}: {e}", "choose a folder you can write to")
            )
            self.failed.emit(err, "save")
            return False
        self.doc.saved(path)
        self._remember(path)
        return True
