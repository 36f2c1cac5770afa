"""Atomic file output: write to a temporary path beside the target, then rename.

A cancelled or crashed job therefore never leaves a half-written artifact behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary file path; on success rename it to ``target``.

    The temporary file keeps ``target``'s suffix (some writers check it). On any error the
    temporary file is removed and ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=suffix or "".join(target.suffixes), dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.is_file():
            os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp's 0600 would make artifacts private
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory; on success it replaces ``target`` as a whole."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 would make the folder private
        if target.exists():
            old = target.with_name(f".{target.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_output_dir(path: str | os.PathLike) -> Path:
    """Fail early, as a user error, when ``path`` cannot become an output folder (it is a
    file, or its nearest existing parent is not a writable folder). Creates nothing."""
    from deploy_studio.core.errors import StudioError

    path = Path(path)
    hint = "pass --out a new or existing folder you can write to"
    if path.exists() and not path.is_dir():
        raise StudioError(f"output folder {path} is a file", hint)
    parent = path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise StudioError(f"output folder {path} cannot be created: {parent} is a file", hint)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StudioError(f"output folder {path} cannot be written: {parent} is not writable", hint)
    return path


def make_output_dir(path: str | os.PathLike) -> Path:
    """Create the output folder; file-system failures become a user error (exit 2)."""
    from deploy_studio.core.errors import StudioError

    path = check_output_dir(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StudioError(
            f"output folder {path} cannot be created ({e.strerror or e})",
            "pass --out a new or existing folder you can write to",
        ) from None
    return path


def _umask() -> int:
    """The process umask, read without changing it (os.umask would race other threads)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def write_bytes_atomic(target: str | os.PathLike, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text_atomic(target: str | os.PathLike, text: str) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def remove_partials(folder: str | os.PathLike) -> None:
    """Remove temporary files/folders left by a killed writer (names start with '.')."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    for p in folder.rglob(".*"):
        if p.name.startswith(".") and (p.name.count(".") >= 2 or p.name.endswith(".old")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()


def cache_dir() -> Path:
    """The user cache directory (``DEPLOY_STUDIO_CACHE`` overrides it, e.g. in tests)."""
    env = os.environ.get("DEPLOY_STUDIO_CACHE")
    if env:
        path = Path(env)
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("deploy-studio"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _package_dir(package: str) -> Path:
    """The folder of one of Deploy Studio's data packages (installed or in the checkout)."""
    from importlib.resources import files

    return Path(str(files(package)))


def resources_dir() -> Path:
    """``resources/``: demo recipes, example models, icons (package ``deploy_studio.resources``)."""
    return _package_dir("deploy_studio.resources")


def templates_dir() -> Path:
    """``mobile-templates/``: one folder per platform (package ``deploy_studio.mobile_templates``)."""
    return _package_dir("deploy_studio.mobile_templates")


def resource_path(*parts: str) -> Path:
    """A file under ``resources/``, e.g. ``resource_path("recipes", "demo.toml")``."""
    return resources_dir().joinpath(*parts)
