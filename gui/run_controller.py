"""Build & measure: run the recipe in a worker, route engine events into the document.

The worker calls ``core.engine.run_recipe`` (builds run in a child process); its events
arrive queued on the main thread and become per-variant progress, live latency samples and
result rows: the events carry plain data, the document keeps it typed
(:class:`~deploy_studio.core.report.model.VariantResult`, ``Latency``, ``Report``). Cancel sets the job's token: the engine kills its child within ~0.1 s and
removes partial files.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from deploy_studio.core.report.model import Latency, Report, VariantResult
from deploy_studio.gui.document import Document
from deploy_studio.gui.job_runner import JobRunner

BUILD_SHARE = 0.45  # share of a variant's bar spent building (the rest: benchmark, evaluate)


def variant_fraction(stage: str, fraction: float | None, previous: float) -> float:
    """A monotone 0..1 progress for one variant from the engine's per-stage fractions."""
    f = max(0.0, min(1.0, fraction or 0.0))
    if stage.startswith("benchmark"):
        value = BUILD_SHARE + 0.3 * f
    elif stage == "evaluate":
        value = BUILD_SHARE + 0.3 + 0.25 * f
    else:
        value = min(BUILD_SHARE - 0.02, previous + 0.02 + 0.05 * f)
    return max(previous, value)


def default_out_dir(recipe_name: str) -> Path:
    """Where a run from the window writes when no ``--out`` was given (the user cache)."""
    from deploy_studio.core.fsutil import cache_dir

    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", recipe_name).strip("-.") or "recipe"
    return cache_dir() / "gui-runs" / f"{stem}-{_dt.datetime.now():%Y%m%d-%H%M%S}"


class RunController(QObject):
    """Starts and cancels runs.

    Signals
    -------
    started(str) : the output folder.
    overall(float, str) : overall fraction and message.
    log(str) : a line for the Log panel.
    finished(object) : the :class:`~deploy_studio.core.report.model.Report`, or None when
        cancelled / failed.
    failed(object, str) : an error for the Problems panel.
    """

    started = Signal(str)
    overall = Signal(float, str)
    log = Signal(str)
    finished = Signal(object)
    failed = Signal(object, str)

    def __init__(self, doc: Document, runner: JobRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.runner = runner
        self.job = None
        self.report: Report | None = None
        self.cancelled = False
        self._active = False  # main-thread view: true from start() until `finished` arrived

    @property
    def running(self) -> bool:
        return self._active

    def problems(self) -> list[tuple[str, str, str]]:
        """(variant, message, hint) for every included variant that cannot be built."""
        out = []
        for v in self.doc.variants:
            if v.enabled:
                p = self.doc.problem_of(v)
                if p:
                    out.append((v.name, p[0], p[1]))
        return out

    def start(self, out_dir: str | Path | None = None, templates: bool = False) -> bool:
        """Build and measure every included variant; False when nothing could start."""
        from deploy_studio.gui import engine_calls

        if self.running or self.doc.recipe is None:
            return False
        from deploy_studio.core.errors import RecipeError

        bad = self.problems()
        if bad:
            for name, msg, hint in bad:
                self.failed.emit(RecipeError(msg, hint), f"variant {name}")
            return False
        if not self.doc.recipe.enabled_variants():
            self.failed.emit(
                RecipeError("no variant is included", "tick at least one variant in the table"),
                "run",
            )
            return False
        out = Path(out_dir) if out_dir else default_out_dir(self.doc.recipe.name)
        self.report = None
        self.cancelled = False
        self.doc.start_run(out)
        self._active = True
        self.started.emit(str(out))
        self.log.emit(f"build & measure → {out}")
        self.job = self.runner.start(
            engine_calls.run_job,
            self.runner.worker,
            self.doc.recipe.copy(),
            str(out),
            templates,
            on_progress=self._on_event,
            on_result=self._on_report,
            on_error=self._on_error,
            on_cancelled=self._on_cancelled,
            on_finished=self._on_finished,
        )
        return True

    def cancel(self) -> None:
        """Stop the run (the child process is killed; partial files are removed)."""
        if self.running:
            self.job.cancel()
            self.overall.emit(-1.0, "Cancelling…")

    # --- events (main thread) ----------------------------------------------------------
    def _on_event(self, e) -> None:
        if e.kind == "progress":
            if e.stage == "overall" or e.variant is None:
                if e.fraction is not None and e.stage == "overall":
                    self.overall.emit(e.fraction, e.message or "")
                else:
                    self.overall.emit(-1.0, f"{e.stage} {e.message}".strip())
            elif e.variant is not None:
                prev = self.doc.progress.get(e.variant, (0.0, ""))[0]
                self.doc.set_progress(
                    e.variant, variant_fraction(e.stage, e.fraction, prev), e.stage
                )
        elif e.kind == "log":
            self.log.emit((f"[{e.variant}] " if e.variant else "") + e.message)
        elif e.kind == "latency" and e.variant:
            self.doc.set_live_latency(e.variant, Latency.from_dict(e.data))
        elif e.kind == "result" and e.variant:
            row = VariantResult.from_dict(e.data)
            self.doc.set_result(e.variant, row)
            if row.error:
                self.log.emit(f"[{e.variant}] FAILED: {row.error}")
            else:
                self.log.emit(f"[{e.variant}] done: {row.size_bytes} bytes, p50 {row.p50} ms")
        elif e.kind == "error":
            self.log.emit(f"error: {e.message}")

    def _on_report(self, report: Report) -> None:
        from deploy_studio.core.errors import StudioError, TemplateError

        self.report = report
        self.doc.set_report(report)
        for row in report.variants:
            if row.error:
                self.failed.emit(StudioError(row.error), f"variant {row.name}")
        for t in report.templates:
            if t.error:
                self.failed.emit(TemplateError(f"{t.platform} app: {t.error}"), "apps")

    def _on_error(self, error, details: str) -> None:
        self.log.emit(details)
        self.failed.emit(error, "build & measure")

    def _on_cancelled(self) -> None:
        self.cancelled = True
        for name, (_f, stage) in list(self.doc.progress.items()):
            if stage not in ("done", "failed"):
                self.doc.set_progress(name, 0.0, "cancelled")
        self.log.emit("cancelled: the child process was stopped and partial files removed")

    def _on_finished(self) -> None:
        self._active = False
        self.overall.emit(
            1.0 if self.report else 0.0,
            "done" if self.report else ("cancelled" if self.cancelled else "failed"),
        )
        self.finished.emit(self.report)
