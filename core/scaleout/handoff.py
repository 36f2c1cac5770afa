"""The hand-off between the parallel build phase and the serial measurement phase.

A parallel build (a local worker or a Ray task) builds one variant into a private folder and
answers a *record*: the artifact's fields with paths relative to that folder
(``artifacts/<name>.pte``), the build context's parameter count and step data, the build time
and the variant's build-cache key. The driver installs the files into the run's output folder
(where a serial build would have written them) and writes the record to
``OUT/.prebuilt/<name>.json``. When the serial run then reaches that variant, the measuring
worker takes the record (:func:`take`) instead of building again, if its key still matches.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from deploy_studio.core.formats.contract import Artifact

HANDOFF_DIR = ".prebuilt"


def _record_path(out_dir: Path, variant: str) -> Path:
    from deploy_studio.core.pipeline.build import artifact_name

    return Path(out_dir) / HANDOFF_DIR / artifact_name(variant, ".json")


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def make_record(
    root: Path, key: str, artifact: Artifact, params: int, state: dict, seconds: float
) -> dict:
    """The plain-data record of a build made under ``root`` (every path relative to it)."""
    root = Path(root)
    return {
        "key": key,
        "build_seconds": seconds,
        "params": params,
        "state": json.loads(json.dumps(state, default=_json_default)),
        "artifact": {
            "format": artifact.format,
            "path": artifact.path.relative_to(root).as_posix(),
            "files": [f.relative_to(root).as_posix() for f in artifact.files],
            "runtime": artifact.runtime,
            "notes": list(artifact.notes),
            "delegates": list(artifact.delegates),
            "not_runnable": artifact.not_runnable,
            "coverage": artifact.coverage,
        },
        # everything the build wrote (the artifact's files and e.g. a debug record beside it)
        "written": sorted(
            p.relative_to(root).as_posix() for p in (root / "artifacts").rglob("*") if p.is_file()
        ),
    }


def read_files(root: Path, record: dict) -> dict[str, bytes]:
    """The bytes of every file a build wrote under ``root`` (sent from a node to the driver)."""
    return {rel: (Path(root) / rel).read_bytes() for rel in record["written"]}


def install(out_dir: Path, name: str, record: dict, source: Path | dict[str, bytes]) -> None:
    """Put a build's files into ``out_dir`` (moved from the folder ``source``, or written from
    its bytes), each atomically, then write its record for the measuring worker."""
    from deploy_studio.core.fsutil import atomic_path, write_text_atomic

    out_dir = Path(out_dir)
    for rel in record["written"]:
        with atomic_path(out_dir / rel) as tmp:
            if isinstance(source, dict):
                tmp.write_bytes(source[rel])
            else:
                shutil.move(Path(source) / rel, tmp)
    write_text_atomic(_record_path(out_dir, name), json.dumps(record))


def take(recipe, variant, out_dir: Path) -> tuple[Artifact, dict] | None:
    """The prebuilt artifact of ``variant`` in ``out_dir`` and its record, when there is one
    and its key is the variant's current build key (the record is consumed); else None."""
    from deploy_studio.core.build_cache import variant_key

    path = _record_path(out_dir, variant.name)
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        path.unlink()
        a = record["artifact"]
        artifact = Artifact(
            format=a["format"],
            path=Path(out_dir) / a["path"],
            files=[Path(out_dir) / f for f in a["files"]],
            runtime=a["runtime"],
            notes=list(a["notes"]),
            delegates=list(a["delegates"]),
            not_runnable=a["not_runnable"],
            coverage=a["coverage"],
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if record.get("key") != variant_key(recipe, variant, recipe.preprocess):
        return None
    if not all(f.exists() for f in artifact.files):
        return None
    return artifact, record


def clear(out_dir: Path) -> None:
    """Remove every record (before and after a scaled-out run)."""
    shutil.rmtree(Path(out_dir) / HANDOFF_DIR, ignore_errors=True)
