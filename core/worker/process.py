"""The worker process and its client.

Native code can crash or hold a step for many seconds (lowering, calibration, training): in a
worker process, Cancel stops within a second by ending it, a segfault becomes an error instead
of a dead window, the caller never loads ExecuTorch or ONNX Runtime, and benchmarks are not
disturbed by the caller's threads.

:class:`Worker` starts one long-lived child (spawned lazily; restarted on the next request after
a crash or a cancel) that runs a :class:`deploy_studio.core.worker.service.SessionService`. ``call`` sends one
request, relays the child's events to ``on_event`` on the calling thread, and returns the result
or raises the child's typed error. Calls from several threads are served one at a time.
:class:`InlineWorker` has the same interface and runs the service in this process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import traceback
from dataclasses import asdict
from typing import Any

from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.progress import CancelToken, Event, EventCallback, Reporter

WORKER_NAME = "deploy-studio-worker"


class JobCrashed(StudioError):
    """The worker process died (a crash in native code) while serving a request."""


class JobFailed(StudioError):
    """A bug (not a user error) in the worker; carries its traceback."""

    def __init__(self, message: str, hint: str = "", traceback_text: str = "") -> None:
        super().__init__(message, hint)
        self.traceback_text = traceback_text


def error_from(d: dict) -> Exception:
    """Rebuild a typed error sent by the worker (its class, message, hint and fields): a
    caller catches it by type (e.g. :class:`~deploy_studio.core.errors.InputShapeUnknown`)."""
    from deploy_studio.core.errors import error_type

    cls = error_type(d.get("type", "")) if "traceback" not in d else None
    if cls is not None:
        err = cls.__new__(cls)
        StudioError.__init__(err, d["message"], d.get("hint", ""))
        for k, v in (d.get("fields") or {}).items():
            setattr(err, k, v)
        return err
    return JobFailed(d["message"], d.get("hint", ""), d.get("traceback", ""))


def error_dict(e: BaseException) -> dict:
    if isinstance(e, StudioError):
        d = e.to_dict()
        d["fields"] = {
            k: v
            for k, v in vars(e).items()
            if k not in ("message", "hint") and not k.startswith("_")
        }
        return d
    return {
        "type": "JobFailed",
        "message": f"internal error: {type(e).__name__}: {str(e).strip()[:500]}",
        "hint": "this is a bug in Deploy Studio; the report keeps the traceback",
        "traceback": traceback.format_exc(),
    }


def _request_variant(request: Any) -> str | None:
    return (
        getattr(request, "variant", None)
        if isinstance(getattr(request, "variant", None), str)
        else None
    )


def _child_main(conn, log_path: str | None = None) -> None:
    """The worker's loop: receive a request, send events, then a result or an error.

    Native libraries print to the process's stdout/stderr directly; those go to ``log_path``
    so the terminal and the window only show what the engine reports.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop us
    if log_path:
        fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    import warnings

    warnings.simplefilter("ignore")
    from deploy_studio.core.worker.service import SessionService

    service = SessionService()
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        reporter = Reporter(
            lambda e: conn.send(("event", asdict(e))), CancelToken(), _request_variant(request)
        )
        try:
            result = service.handle(request, reporter)
            conn.send(("result", result))
        except Exception as e:  # noqa: BLE001 - typed errors and bugs both go to the parent
            conn.send(("error", error_dict(e)))


class Worker:
    """One long-lived worker process (spawned lazily, restarted after a crash or cancel)."""

    def __init__(self, log_path: str | os.PathLike | None = None) -> None:
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None  # a SpawnProcess while the worker runs
        self._conn: Any = None  # its Connection
        self._lock = threading.Lock()
        self.starts = 0
        if log_path is None:
            from deploy_studio.core.fsutil import cache_dir

            (cache_dir() / "logs").mkdir(parents=True, exist_ok=True)
            log_path = cache_dir() / "logs" / "worker.log"
        self.log_path = str(log_path)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.alive else None

    def _start(self, on_event: EventCallback | None) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(
            target=_child_main, args=(child, self.log_path), daemon=True, name=WORKER_NAME
        )
        self._proc.start()
        child.close()
        self._conn = parent
        self.starts += 1
        if on_event is not None:
            on_event(Event("log", stage="worker", message=f"worker started (pid {self._proc.pid})"))

    def call(
        self, request: Any, on_event: EventCallback | None = None, cancel: CancelToken | None = None
    ) -> Any:
        """Serve ``request`` in the worker; raise its typed error, JobCrashed or Cancelled."""
        cancel = cancel or CancelToken()
        while not self._lock.acquire(timeout=0.05):  # another thread's request is being served
            if cancel.cancelled:
                raise Cancelled()
        try:
            return self._call(request, on_event, cancel)
        finally:
            self._lock.release()

    def _call(self, request: Any, on_event: EventCallback | None, cancel: CancelToken) -> Any:
        if cancel.cancelled:
            raise Cancelled()
        if not self.alive:
            self._start(on_event)
        self._conn.send(request)
        while True:
            if cancel.cancelled:
                self.kill()
                raise Cancelled()
            try:
                ready = self._conn.poll(0.05)
            except (EOFError, OSError):
                ready = False
            if ready:
                try:
                    kind, payload = self._conn.recv()
                except (EOFError, OSError):
                    kind, payload = None, None
                if kind == "event":
                    if on_event is not None:
                        on_event(Event(**payload))
                    continue
                if kind == "result":
                    return payload
                if kind == "error":
                    raise error_from(payload)
            if not self._proc.is_alive():
                code = self._proc.exitcode
                self._proc = None
                sig = ""
                if code is not None and code < 0:
                    try:
                        sig = f" ({signal.Signals(-code).name})"
                    except ValueError:
                        sig = ""
                raise JobCrashed(
                    f"the worker process crashed with exit code {code}{sig}",
                    "a native library (exporter or runtime) failed on this model; try another format "
                    f"or converter (its output is in {self.log_path})",
                )

    def kill(self) -> None:
        """End the worker now (a cancel): its session is rebuilt on the next request."""
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(2)
        self._proc = None

    def close(self) -> None:
        """Ask the worker to exit (between requests), then make sure it did."""
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(2)
            except (OSError, BrokenPipeError):
                pass
        self.kill()


class InlineWorker:
    """The same service in this process (tests, ``--no-isolate``): no isolation from crashes."""

    def __init__(self) -> None:
        from deploy_studio.core.worker.service import SessionService

        self.service = SessionService()
        self._lock = threading.Lock()
        self.starts = 0

    alive = True

    def call(
        self, request: Any, on_event: EventCallback | None = None, cancel: CancelToken | None = None
    ) -> Any:
        with self._lock:
            reporter = Reporter(on_event, cancel or CancelToken(), _request_variant(request))
            return self.service.handle(request, reporter)

    def kill(self) -> None:
        """Nothing to end: a cancel already stopped the request at its next check."""

    def close(self) -> None:
        """Nothing to end."""
