"""Progress reporting and cancellation shared by every long job.

Long work in the engine is written as a function that takes a :class:`Reporter` and calls
``reporter.progress(...)`` between units of work. ``progress`` also checks the cancel token and
raises :class:`deploy_studio.core.errors.Cancelled` when the user cancelled. The callback is called on the
thread (or in the process) that runs the job; the GUI marshals it to its main thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from deploy_studio.core.errors import Cancelled


@dataclass
class Event:
    """One thing that happened during a job.

    ``kind`` is one of ``"progress"`` (``fraction`` of ``stage``), ``"log"`` (a message),
    ``"latency"`` (live benchmark samples in ``data``), ``"result"`` (a finished variant in
    ``data``) or ``"error"``.
    """

    kind: str
    stage: str = ""
    message: str = ""
    fraction: float | None = None
    variant: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class CancelToken:
    """Thread-safe flag the caller sets to stop a job at its next check."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


EventCallback = Callable[[Event], None]


class Reporter:
    """What a job calls to report progress; checks cancellation on every call."""

    def __init__(
        self,
        callback: EventCallback | None = None,
        cancel: CancelToken | None = None,
        variant: str | None = None,
    ) -> None:
        self.callback = callback
        self.cancel = cancel or CancelToken()
        self.variant = variant

    def emit(self, event: Event) -> None:
        if event.variant is None:
            event.variant = self.variant
        if self.callback is not None:
            self.callback(event)

    def progress(self, stage: str, fraction: float | None = None, message: str = "") -> None:
        """Report ``fraction`` (0..1) of ``stage`` and stop here if cancelled."""
        self.cancel.raise_if_cancelled()
        self.emit(Event("progress", stage=stage, fraction=fraction, message=message))

    def log(self, message: str, stage: str = "") -> None:
        self.cancel.raise_if_cancelled()
        self.emit(Event("log", stage=stage, message=message))

    def check(self) -> None:
        self.cancel.raise_if_cancelled()

    def for_variant(self, name: str) -> Reporter:
        return Reporter(self.callback, self.cancel, name)


NULL_REPORTER = Reporter()
