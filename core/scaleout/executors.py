"""Where the parallel builds run: :class:`LocalExecutor` (N worker processes on this machine)
or :class:`~deploy_studio.core.scaleout.ray_executor.RayExecutor` (tasks on a Ray cluster).

An executor's ``build(recipe, names, staging, reporter)`` builds the named variants of
``recipe`` (no measurement) and yields one :class:`Built` per variant as it finishes, in any
order. ``staging`` is a private folder on the driver each local build writes under. A failed
build yields ``record=None`` with a message (the serial phase then builds it again and reports
its error as a serial run would). Cancelling ``reporter`` stops every build and raises
:class:`~deploy_studio.core.errors.Cancelled`.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.progress import CancelToken, Event, Reporter


@dataclass
class Built:
    """One finished build: its record and files (a folder on this machine, or their bytes)."""

    name: str
    record: dict | None
    source: Path | dict[str, bytes] | None = None
    error: str = ""


class Executor(Protocol):
    description: str

    def build(
        self, recipe, names: list[str], staging: Path, reporter: Reporter
    ) -> Generator[Built, None, None]: ...

    def close(self) -> None: ...


def build_threads(workers: int) -> int:
    """Threads per build worker: this machine's cores shared between the workers."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


class LocalExecutor:
    """``workers`` build worker processes (spawned, each with its own session), fed from one
    queue by as many threads; their events are relayed on the calling thread."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise StudioError(f"--workers must be at least 1, got {workers}", "e.g. --workers 2")
        self.workers = workers
        self.description = f"{workers} local worker processes"

    def build(
        self, recipe, names: list[str], staging: Path, reporter: Reporter
    ) -> Generator[Built, None, None]:
        todo: queue.Queue[str] = queue.Queue()
        for n in names:
            todo.put(n)
        out: queue.Queue[tuple[str, object]] = queue.Queue()
        stop = CancelToken()  # ends the builds in flight when the run is cancelled or stops early
        job = (recipe, Path(staging), build_threads(self.workers), stop)
        pool = [
            threading.Thread(target=_serve, args=(todo, out, *job), daemon=True, name=f"build-{i}")
            for i in range(min(self.workers, len(names)))
        ]
        for t in pool:
            t.start()
        running = len(pool)
        try:
            while running:
                if reporter.cancel.cancelled:
                    raise Cancelled()
                try:
                    kind, item = out.get(timeout=0.05)
                except queue.Empty:
                    continue
                if kind == "exit":
                    running -= 1
                elif kind == "event":
                    if isinstance(item, Event) and item.kind in ("progress", "log"):
                        reporter.emit(item)
                elif isinstance(item, Built):
                    yield item
        finally:
            if running:  # cancelled, or the caller stopped: no new builds, the rest are ended
                _drain(todo)
                stop.cancel()
                for t in pool:
                    t.join(5)

    def close(self) -> None:
        """Nothing to end: the workers end with each ``build``."""


def _serve(
    todo: queue.Queue, out: queue.Queue, recipe, staging: Path, threads: int, cancel
) -> None:
    """One build thread: a worker process serving the queue's variants until it is empty."""
    from deploy_studio.core.pipeline.build import artifact_name
    from deploy_studio.core.worker import Worker
    from deploy_studio.core.worker.requests import PrebuildVariant

    worker = Worker()
    try:
        while not cancel.cancelled:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            root = staging / artifact_name(name, "")
            try:
                request = PrebuildVariant(recipe, name, str(root), threads)
                record = worker.call(request, lambda e: out.put(("event", e)), cancel)
                out.put(("built", Built(name, record, root)))
            except Cancelled:
                return
            except StudioError as e:
                out.put(("built", Built(name, None, None, e.message)))
    finally:
        if cancel.cancelled:
            worker.kill()
        else:
            worker.close()
        out.put(("exit", None))


def _drain(todo: queue.Queue) -> None:
    while True:
        try:
            todo.get_nowait()
        except queue.Empty:
            return
