"""Run heavy jobs in a child process that a thread drives and reads progress from.

Native code can crash or hold a step for many seconds (lowering, calibration, training):
in a child process, Cancel stops within a second by ending it, a segfault becomes an error
row instead of a dead window, and benchmarks are not disturbed by the caller's threads.

``ChildProcess.call("deploy_studio.core.build.job:build_and_measure", kwargs, on_event, cancel)`` runs the
function in one long-lived child (restarted after a crash or a cancel) and returns its
result. ``on_event`` is called on the calling thread with :class:`core.progress.Event`.
"""

from __future__ import annotations

import importlib
import multiprocessing as mp
import os
import signal
import traceback
from dataclasses import asdict
from typing import Any

from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.progress import CancelToken, Event, EventCallback, Reporter


class JobCrashed(StudioError):
    """The child process died (a crash in native code) while running a job."""


class JobFailed(StudioError):
    """A bug (not a user error) in a job; carries the child's traceback."""

    def __init__(self, message: str, hint: str = "", traceback_text: str = "") -> None:
        super().__init__(message, hint)
        self.traceback_text = traceback_text




def _error_from(d: dict) -> Exception:
    import deploy_studio.core.errors as errors

    cls = getattr(errors, d.get("type", ""), None)
    if isinstance(cls, type) and issubclass(cls, StudioError):
        err = cls.__new__(cls)
        StudioError.__init__(err, d["message"], d.get("hint", ""))
        for k in ("layer", "op"):
            setattr(err, k, d.get(k))
        return err
    return JobFailed(d["message"], d.get("hint", ""), d.get("traceback", ""))


def _resolve(func_path: str):
    mod, _, name = func_path.partition(":")
    return getattr(importlib.import_module(mod), name)


def _child_main(conn, log_path: str | None = None) -> None:
    """The child's loop: receive (func_path, kwargs), send events, then a result or an error.

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
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        func_path, kwargs = msg
        reporter = Reporter(lambda e: conn.send(("event", asdict(e))), CancelToken(), kwargs.get("variant_name"))
        try:
            result = _resolve(func_path)(reporter=reporter, **kwargs)
            conn.send(("result", result))
        except StudioError as e:
            d = e.to_dict()
            d.update({k: getattr(e, k, None) for k in ("layer", "op")})
            conn.send(("error", d))
        except Exception as e:  # noqa: BLE001 - a bug: ship its traceback to the parent
            conn.send(("error", {
                "type": "JobFailed",
                "message": f"internal error: {type(e).__name__}: {str(e).strip()[:500]}",
                "hint": "this is a bug in Deploy Studio; the report keeps the traceback",
                "traceback": traceback.format_exc(),
            }))


class ChildProcess:
    """One long-lived worker process (spawned lazily, restarted after a crash or cancel)."""

    def __init__(self, log_path: str | os.PathLike | None = None) -> None:
        self._ctx = mp.get_context("spawn")
        self._proc = None
        self._conn = None
        if log_path is None:
            from deploy_studio.core.fsutil import cache_dir

            (cache_dir() / "logs").mkdir(parents=True, exist_ok=True)
            log_path = cache_dir() / "logs" / "worker.log"
        self.log_path = str(log_path)

    def _start(self) -> None:
        parent, child = self._ctx.Pipe()
        self._proc = self._ctx.Process(target=_child_main, args=(child, self.log_path), daemon=True, name="deploy-studio-worker")
        self._proc.start()
        child.close()
        self._conn = parent

    def call(self, func_path: str, kwargs: dict, on_event: EventCallback | None = None, cancel: CancelToken | None = None) -> Any:
        """Run ``func_path(reporter=..., **kwargs)`` in the child; raise its error here."""
        cancel = cancel or CancelToken()
        if self._proc is None or not self._proc.is_alive():
            self._start()
        self._conn.send((func_path, kwargs))
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
                    raise _error_from(payload)
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
                    f"the build process crashed with exit code {code}{sig}",
                    "a native library (exporter or runtime) failed on this model; try another format "
                    f"or converter (its output is in {self.log_path})",
                )

    def kill(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            self._proc.kill()
            self._proc.join(2)
        self._proc = None

    def close(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(2)
            except (OSError, BrokenPipeError):
                pass
        self.kill()


def call_inline(func_path: str, kwargs: dict, on_event: EventCallback | None = None, cancel: CancelToken | None = None) -> Any:
    """Run the same job in this process (tests, or when isolation is off)."""
    reporter = Reporter(on_event, cancel or CancelToken(), kwargs.get("variant_name"))
    return _resolve(func_path)(reporter=reporter, **kwargs)
