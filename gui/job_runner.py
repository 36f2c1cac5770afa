"""Worker threads: run a function off the main thread and bring its events back queued.

A :class:`Job` is a ``QRunnable`` on a ``QThreadPool``. Its function receives a
:class:`deploy_studio.core.progress.Reporter` whose callback is called on the worker thread and only
emits a Qt signal; because the :class:`JobSignals` object lives on the main thread, every
``progress`` / ``result`` / ``errored`` / ``cancelled`` / ``finished`` arrives there queued.
Cancel sets the job's :class:`deploy_studio.core.progress.CancelToken`; the engine checks it between units
of work and kills its child process within about 0.1 s.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from deploy_studio.core.errors import Cancelled
from deploy_studio.core.progress import CancelToken, Event, Reporter


class JobSignals(QObject):
    """Signals of one job; created on the main thread so slots run there."""

    progress = Signal(object)  # core.progress.Event
    result = Signal(object)
    errored = Signal(object, str)  # exception, traceback text
    cancelled = Signal()
    finished = Signal()


class Job(QRunnable):
    """Run ``fn(reporter, *args, **kwargs)`` on a pool thread.

    Parameters
    ----------
    fn : callable
        The work; its first argument is a :class:`deploy_studio.core.progress.Reporter`.
    *args, **kwargs
        Passed on to ``fn``.
    """

    def __init__(self, fn: Callable[..., Any], *args, **kwargs) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python keeps the reference (see JobRunner)
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.cancel_token = CancelToken()
        self.signals = JobSignals()
        self.done = False

    def cancel(self) -> None:
        """Ask the job to stop at its next check (thread-safe)."""
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.cancel_token.cancelled

    def _emit(self, signal_name: str, *args) -> None:
        try:
            getattr(self.signals, signal_name).emit(*args)
        except RuntimeError:  # the receiving window is gone: stop the work quietly
            self.cancel_token.cancel()

    def _emit_event(self, event: Event) -> None:
        # Called on the worker thread: only emit, never touch widgets here.
        self._emit("progress", event)

    def run(self) -> None:
        reporter = Reporter(self._emit_event, self.cancel_token)
        try:
            result = self.fn(reporter, *self.args, **self.kwargs)
        except Cancelled:
            self._emit("cancelled")
        except BaseException as e:  # noqa: BLE001 - every failure goes to the Problems panel
            self._emit("errored", e, traceback.format_exc())
        else:
            if self.cancel_token.cancelled:
                self._emit("cancelled")
            else:
                self._emit("result", result)
        finally:
            self.done = True
            self._emit("finished")


class JobRunner(QObject):
    """Starts jobs on a thread pool and keeps them alive until they finish.

    Parameters
    ----------
    max_threads : int
        Size of the pool; a pool of 1 serialises its jobs (e.g. sample predictions).
    worker : deploy_studio.core.worker.Worker, optional
        The window's worker process, which jobs that need the model send requests to
        (``runner.worker``); one per window, shared by its runners.
    """

    def __init__(self, max_threads: int = 4, parent: QObject | None = None, worker=None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._jobs: set[Job] = set()

    def start(
        self,
        fn: Callable[..., Any],
        *args,
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
        on_progress: Callable[[Event], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        **kwargs,
    ) -> Job:
        """Queue ``fn`` and connect the given main-thread callbacks; returns the job."""
        job = Job(fn, *args, **kwargs)
        s = job.signals
        if on_progress is not None:
            s.progress.connect(on_progress)
        if on_result is not None:
            s.result.connect(on_result)
        if on_error is not None:
            s.errored.connect(on_error)
        if on_cancelled is not None:
            s.cancelled.connect(on_cancelled)
        if on_finished is not None:
            s.finished.connect(on_finished)
        s.finished.connect(lambda j=job: self._jobs.discard(j))
        self._jobs.add(job)
        self.pool.start(job)
        return job

    @property
    def busy(self) -> bool:
        return any(not j.done for j in self._jobs)

    def cancel_all(self) -> None:
        """Cancel every running job."""
        for j in list(self._jobs):
            j.cancel()

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the pool is idle (used on quit)."""
        return self.pool.waitForDone(msecs)
