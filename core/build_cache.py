"""Reuse a variant's artifact and measurements when nothing it depends on changed.

The key is a hash of everything a variant's result depends on: the variant's own recipe
(format, converter, steps and options), the model (spec and the content of its files), the
data (spec and its files' names, sizes and times), the preprocessing, the split sizes, the
benchmark settings and the versions of the engine, torch and the libraries the variant's
format names (``Format.packages``). Anything else a user edits (other variants, gates, app
settings) leaves the key alone, so the next run rebuilds only what changed. Entries live in
the user cache (``builds/``), written atomically, and the least recently used are dropped
beyond :data:`MAX_BYTES`.

``DEPLOY_STUDIO_BUILD_CACHE=0`` (or ``--no-cache``) turns it off.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path

CACHE_VERSION = 2  # 2: rows carry the cost model (core/cost); older rows have none
MAX_BYTES = 2_000_000_000


def enabled() -> bool:
    return os.environ.get("DEPLOY_STUDIO_BUILD_CACHE", "1") not in ("0", "false", "no", "off")


def _root() -> Path:
    from deploy_studio.core.fsutil import cache_dir

    return cache_dir() / "builds"


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _path_fingerprint(p: str) -> str | None:
    path = Path(p).expanduser()
    if path.is_file():
        return _file_digest(path)
    if path.is_dir():
        h = hashlib.sha256()
        for f in sorted(path.rglob("*")):
            if f.is_file():
                st = f.stat()
                h.update(f"{f.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
        return h.hexdigest()
    return None


def model_fingerprint(spec) -> dict:
    src = spec.source
    d = {"spec": spec.to_dict()}
    if src.startswith("builtin:"):
        from deploy_studio.core.models.builtin import TRAIN_VERSION

        d["builtin_version"] = TRAIN_VERSION
    elif not src.startswith("torchvision:"):
        path = src.rpartition(":")[0] if src.rpartition(":")[0].endswith(".py") else src
        d["file"] = _path_fingerprint(path)
    if spec.weights:
        d["weights"] = _path_fingerprint(spec.weights)
    return d


def data_fingerprint(source: str) -> dict:
    kind, _, arg = source.partition(":")
    d: dict[str, object] = {"source": source}
    if kind in ("mnist", "imagefolder", "npz", "tabular", "audiofolder", "coco") and arg:
        d["files"] = _path_fingerprint(arg)
    return d


def _versions(fmt: str) -> dict:
    """Versions of the engine, torch and the packages format ``fmt`` depends on."""
    from importlib import metadata

    from deploy_studio.core.registry import FORMATS

    out: dict[str, object] = {"cache": CACHE_VERSION}
    for dist in ("deploy-studio", "torch", *FORMATS.get(fmt).obj.packages):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def variant_key(recipe, variant, preprocess: dict) -> str:
    """The cache key of one variant of ``recipe`` (``preprocess``: the effective spec)."""
    payload = {
        "versions": _versions(variant.format),
        "model": model_fingerprint(recipe.model),
        "data": {
            **data_fingerprint(recipe.data.source),
            "calibration": recipe.data.calibration_samples,
            "eval": recipe.data.eval_samples,
        },
        "preprocess": preprocess,
        "benchmark": vars(recipe.benchmark),
        "variant": variant.to_dict(),
        "engine": _engine_digest(),
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


_ENGINE_DIGEST: str | None = None


def _engine_digest() -> str:
    """A digest of the engine's own source: editing the engine invalidates every entry."""
    global _ENGINE_DIGEST
    if _ENGINE_DIGEST is None:
        h = hashlib.sha256()
        root = Path(__file__).resolve().parent
        for f in sorted(root.rglob("*.py")):
            h.update(f.read_bytes())
        _ENGINE_DIGEST = h.hexdigest()
    return _ENGINE_DIGEST


def contains(key: str) -> bool:
    """Whether ``key`` has an entry (without copying its files anywhere)."""
    return (_root() / key[:2] / key / "row.json").is_file()


def lookup(key: str, out_dir: Path) -> dict | None:
    """The cached row for ``key`` with its files copied into ``out_dir`` (None on a miss)."""
    entry = _root() / key[:2] / key
    meta = entry / "row.json"
    if not meta.is_file():
        return None
    try:
        row = json.loads(meta.read_text(encoding="utf-8"))
        from deploy_studio.core.fsutil import atomic_dir, atomic_path

        for rel in row.get("files") or []:
            src, dst = entry / "files" / rel, out_dir / rel
            if src.is_dir():
                with atomic_dir(dst) as tmp:
                    shutil.copytree(src, tmp, dirs_exist_ok=True)
            else:
                with atomic_path(dst) as tmp:
                    shutil.copy2(src, tmp)
    except (OSError, ValueError):
        shutil.rmtree(entry, ignore_errors=True)  # a damaged entry is rebuilt
        return None
    os.utime(meta)  # recently used
    row["cached"] = {"key": key[:16], "built": row.get("cached_at")}
    row.pop("cached_at", None)
    return row


def store(key: str, row: dict, out_dir: Path) -> None:
    """Keep a successful row and its files (best effort: a full disk only loses the cache)."""
    if row.get("error") or not row.get("artifact"):
        return
    from deploy_studio.core.fsutil import atomic_dir

    entry = _root() / key[:2] / key
    try:
        with atomic_dir(entry) as tmp:
            for rel in row.get("files") or []:
                src, dst = out_dir / rel, tmp / "files" / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                if src.is_dir():
                    shutil.copytree(src, dst)
                else:
                    shutil.copy2(src, dst)
            kept = {k: v for k, v in row.items() if k != "cached"}
            kept["cached_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
            (tmp / "row.json").write_text(json.dumps(kept, default=str), encoding="utf-8")
        _trim()
    except OSError:
        shutil.rmtree(entry, ignore_errors=True)


def _trim() -> None:
    root = _root()
    entries = [(p.stat().st_mtime, p.parent) for p in root.glob("*/*/row.json")]
    sizes = {e: sum(f.stat().st_size for f in e.rglob("*") if f.is_file()) for _, e in entries}
    total = sum(sizes.values())
    for _, e in sorted(entries):
        if total <= MAX_BYTES:
            break
        total -= sizes[e]
        shutil.rmtree(e, ignore_errors=True)


def clear() -> None:
    shutil.rmtree(_root(), ignore_errors=True)
