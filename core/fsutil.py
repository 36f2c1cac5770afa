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


RESOURCES = Path(__file__).resolve().parent.parent / "resources"
MOBILE_TEMPLATES = Path(__file__).resolve().parent.parent / "mobile-templates"
