"""Parallel builds as tasks on a Ray cluster (``pip install -e ".[ray]"``).

One task per variant, each asking for one CPU, so Ray spreads them over the cluster's nodes
freely. A task builds into a temporary folder on its node and returns the hand-off record
with the bytes of every file it wrote (nodes need not share a file system); the driver
writes them into its output folder. Each Ray worker process keeps one session (the model and
data load once per process, not once per task). The nodes need the same Deploy Studio and
libraries as the driver, and the recipe's model and data paths must resolve there: a build
whose cache key differs from the driver's (other versions, other files) is dropped and made
again on the driver.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Generator
from pathlib import Path

from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.scaleout.executors import Built

RAY_HINT = 'pip install -e ".[ray]" (or pip install deploy-studio[ray])'

_SERVICE = None  # the session service of this Ray worker process


def prebuild_task(recipe, name: str) -> tuple[str, dict | None, dict[str, bytes] | None, str]:
    """In a Ray worker: build ``name`` of ``recipe``; answers (name, record, files, error)."""
    global _SERVICE
    from deploy_studio.core.progress import Reporter as TaskReporter
    from deploy_studio.core.scaleout.handoff import read_files
    from deploy_studio.core.worker.requests import PrebuildVariant
    from deploy_studio.core.worker.service import SessionService

    if _SERVICE is None:
        _SERVICE = SessionService()
    root = Path(tempfile.mkdtemp(prefix="deploy-studio-build-"))
    try:
        record = _SERVICE.handle(PrebuildVariant(recipe, name, str(root)), TaskReporter())
        return name, record, read_files(root, record), ""
    except StudioError as e:
        return name, None, None, e.message
    except Exception as e:  # noqa: BLE001 - the driver builds it again and reports it
        return name, None, None, f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def unreachable(address: str, timeout: float = 5.0) -> str:
    """Why nothing answers at ``address`` (``HOST:PORT`` or ``ray://HOST:PORT``); "" when
    something does, or for ``auto`` and ``local`` (Ray finds those itself)."""
    if address in ("auto", "local"):
        return ""
    host, sep, port = address.split("://", 1)[-1].rpartition(":")
    if not sep or not host or not port.isdigit():
        return "not an address (auto, local, HOST:PORT or ray://HOST:PORT)"
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        return f"nothing answers at {host}:{port} ({e.strerror or e})"
    return ""


def import_ray():
    try:
        import ray
    except ImportError:
        raise StudioError("--ray needs the ray package, which is not installed", RAY_HINT) from None
    return ray


class RayExecutor:
    """Builds on the Ray cluster at ``address`` (``auto``: the one ``ray start`` runs here or
    ``RAY_ADDRESS`` names; ``local``: a private Ray on this machine). When Ray is already
    initialised in this process (a test's ``ray.init(num_cpus=2)``), that one is used."""

    def __init__(self, address: str) -> None:
        self.ray = import_ray()
        self.address = address
        self.description = f"Ray at {address}"
        self._owned = False
        self._connect()  # a missing cluster fails before any work

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        hint = (
            "start one with `ray start --head` (and `ray start --address=HEAD:6379` on the "
            "other nodes), or pass --ray local for a Ray on this machine only"
        )
        why = unreachable(self.address)
        if why:  # ray.init would retry an address nobody answers at for minutes
            raise StudioError(f"cannot connect to a Ray cluster at {self.address}: {why}", hint)
        try:
            ray.init(
                address=None if self.address == "local" else self.address,
                include_dashboard=False if self.address == "local" else None,
                log_to_driver=False,
                logging_level="ERROR",
            )
        except (ConnectionError, ValueError, RuntimeError) as e:
            raise StudioError(
                f"cannot connect to a Ray cluster at {self.address}: {str(e).strip()[:200]}", hint
            ) from None
        self._owned = True

    def build(
        self, recipe, names: list[str], staging: Path, reporter: Reporter
    ) -> Generator[Built, None, None]:
        ray = self.ray
        self._connect()
        cpus = int(ray.cluster_resources().get("CPU", 0))
        reporter.emit(
            Event("log", stage="overall", message=f"Ray cluster: {cpus} CPUs", variant=None)
        )
        task = ray.remote(num_cpus=1, max_retries=0)(prebuild_task)
        recipe_ref = ray.put(recipe)
        names_of = {task.remote(recipe_ref, n): n for n in names}
        pending = list(names_of)
        try:
            while pending:
                if reporter.cancel.cancelled:
                    raise Cancelled()
                ready, pending = ray.wait(pending, num_returns=1, timeout=0.1)
                for ref in ready:
                    try:
                        name, record, files, error = ray.get(ref)
                    except ray.exceptions.RayError as e:  # the task's process died
                        name, record, files = names_of[ref], None, None
                        error = (str(e).strip().splitlines() or [type(e).__name__])[0]
                    yield Built(name, record, files, error)
        finally:
            for ref in pending:  # cancelled, or the caller stopped early
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._owned and self.ray.is_initialized():
            self.ray.shutdown()
        self._owned = False
