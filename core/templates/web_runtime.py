"""Finding the onnxruntime-web runtime files that a Web project ships.

The files come from the npm package ``onnxruntime-web`` that
``scripts/install-verify-tools.sh`` installs into ``<repo>/.tools/node_modules``. When it is
not installed, the Web project is still written and its README says how to add them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from deploy_studio.core.fsutil import templates_dir

# The files a page needs for the plain WebAssembly backend (no WebGPU/WebGL).
ORT_WEB_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


@dataclass(frozen=True)
class OrtWebDist:
    """An installed ``onnxruntime-web`` package.

    Attributes
    ----------
    dist: its ``dist`` folder.
    version: the installed version (from its package.json).
    """

    dist: Path
    version: str


def tools_dirs() -> list[Path]:
    """Folders that may hold ``node_modules`` with the verification tools, in search order.

    ``DEPLOY_STUDIO_TOOLS`` (if set) comes first, then ``<repo>/.tools``.
    """
    dirs = []
    env = os.environ.get("DEPLOY_STUDIO_TOOLS")
    if env:
        dirs.append(Path(env))
    dirs.append(templates_dir().parent / ".tools")
    return dirs


def find_ort_web() -> OrtWebDist | None:
    """The installed onnxruntime-web package that has every file in :data:`ORT_WEB_FILES`.

    Returns
    -------
    OrtWebDist or None
        None when no complete installation is found.
    """
    for base in tools_dirs():
        pkg = base / "node_modules" / "onnxruntime-web"
        dist = pkg / "dist"
        if all((dist / name).is_file() for name in ORT_WEB_FILES):
            try:
                version = json.loads((pkg / "package.json").read_text(encoding="utf-8"))["version"]
            except (OSError, ValueError, KeyError):
                version = "unknown"
            return OrtWebDist(dist=dist, version=str(version))
    return None
