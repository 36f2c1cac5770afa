"""Start the window: QApplication, light/dark palette, error routing, and ``main(args)``.

``main`` implements the CLI contract ``deploy-studio gui [RECIPE] [--run] [--out DIR]
[--screenshot PNG] [--exit-when-done]``: the window is shown first (torch is imported by a
worker afterwards), then the recipe is opened, run through the window's own workers, the
window saved as a PNG once every chart is filled, and the application quits with the CLI's
exit code (``core.engine.report_exit_code``: 0, or 1 when a variant, a gate or an app failed;
2 when the recipe could not be opened or the run could not start).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from deploy_studio.gui import theme

STARTED = time.perf_counter()


class _ErrorBridge(QObject):
    """Carries exceptions from any thread to the Problems panel (queued)."""

    error = Signal(object, str, str)


def install_excepthook(window) -> None:
    """Route uncaught exceptions (main thread and other threads) to the Problems panel."""
    bridge = _ErrorBridge(window)
    bridge.error.connect(window.report_error)
    window._error_bridge = bridge

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(details)
        bridge.error.emit(exc, "internal", details)

    def thread_hook(args):
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook


def _want_dark() -> bool:
    env = os.environ.get("DEPLOY_STUDIO_THEME", "").lower()
    if env in ("dark", "light"):
        return env == "dark"
    from deploy_studio.gui.recipe_files import settings

    return str(settings().value("theme", "light")) == "dark"


class ScriptedSession(QObject):
    """Drives the window for ``gui RECIPE --run --out --screenshot --exit-when-done``.

    Parameters
    ----------
    window : MainWindow
    args : argparse.Namespace or None
        With ``recipe``, ``run``, ``out``, ``screenshot``, ``exit_when_done``.
    """

    def __init__(self, window, args) -> None:
        super().__init__(window)
        self.window = window
        self.recipe = getattr(args, "recipe", None)
        self.run = bool(getattr(args, "run", False))
        self.out = getattr(args, "out", None)
        self.screenshot = getattr(args, "screenshot", None)
        self.exit_when_done = bool(getattr(args, "exit_when_done", False))
        self.exit_code = 0
        self._deadline = 0.0

    @property
    def active(self) -> bool:
        return bool(self.recipe or self.screenshot or self.exit_when_done)

    def start(self) -> None:
        w = self.window
        if self.recipe:
            w.open_recipe(self.recipe, on_done=self._on_opened)
        else:
            w.when_ready(lambda: self._finish_soon(0))

    def _on_opened(self, ok: bool) -> None:
        if not ok:
            self._finish_soon(2)
            return
        if self.run:
            self.window.run.finished.connect(self._on_run_finished)
            if not self.window.start_run(self.out, templates=bool(self.out)):
                self._finish_soon(2)
        else:
            self._finish_soon(0)

    def _on_run_finished(self, report) -> None:
        """``report``: the run's :class:`~deploy_studio.core.report.model.Report` (None: failed)."""
        from deploy_studio.core.engine import report_exit_code

        if report is None:
            self._finish_soon(2)
            return
        names = [v.name for v in report.variants if v.ok]
        stepped = [v.name for v in report.variants if v.steps and v.ok]
        if names:  # show a variant's form in the screenshot
            self.window.variants_panel.select((stepped or names)[0])
        self._finish_soon(report_exit_code(report))

    def _finish_soon(self, code: int) -> None:
        """Wait (bounded) for the model summary, samples and predictions, then finish."""
        self.exit_code = code
        self._deadline = time.monotonic() + 20.0
        QTimer.singleShot(200, self._poll)

    def _settled(self) -> bool:
        w = self.window
        if w.doc.recipe is None:
            return True
        return (
            w.doc.model_summary is not None
            and not w.runner.busy
            and not w.sample_runner.busy
            and w.samples_panel.preds.rowCount() > 0
        )

    def _poll(self) -> None:
        if not self._settled() and time.monotonic() < self._deadline:
            QTimer.singleShot(200, self._poll)
            return
        QTimer.singleShot(300, self._finish)  # let the last chart updates paint

    def _finish(self) -> None:
        if self.screenshot:
            ok = self.window.save_screenshot(self.screenshot)
            print(f"screenshot: {self.screenshot}" + ("" if ok else " (FAILED)"), file=sys.stderr)
        if self.exit_when_done:
            self.window.files.ask_unsaved = lambda: "discard"
            QApplication.instance().exit(self.exit_code)


def main(args=None) -> int:
    """Open the window; see the module docstring for ``args``. Returns the exit code."""
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Deploy Studio")
    app.setOrganizationName("deploy-studio")
    from deploy_studio.core.fsutil import resource_path

    icon = resource_path("icons", "deploy-studio.svg")
    if icon.exists():
        from PySide6.QtGui import QIcon

        app.setWindowIcon(QIcon(str(icon)))
    dark = _want_dark()
    theme.apply(app, dark)

    import pyqtgraph as pg

    pg.setConfigOptions(antialias=True)
    from deploy_studio.gui.main_window import MainWindow

    window = MainWindow(dark=dark)
    install_excepthook(window)
    window.show()
    window.log.append(f"window shown {time.perf_counter() - STARTED:.2f} s after start")
    QTimer.singleShot(0, window.start_engine)
    session = ScriptedSession(window, args)
    if session.active:
        QTimer.singleShot(0, session.start)
    code = app.exec()
    window.runner.cancel_all()
    window.runner.wait(3000)
    return session.exit_code if session.exit_when_done else code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(None))
