"""Finding the runtime files that a Web project ships: onnxruntime-web or LiteRT.js.

The files come from the npm packages ``onnxruntime-web`` and ``@litertjs/core`` (with its
dependency ``@litertjs/wasm-utils``) that ``scripts/install-verify-tools.sh`` installs into
``<repo>/.tools/node_modules``. When a package is not installed, the Web project is still
written and its README says how to add the files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from deploy_studio.core.fsutil import templates_dir

# The files a page needs for the plain WebAssembly backend (no WebGPU/WebGL).
ORT_WEB_FILES = ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")

# LiteRT.js files, relative to node_modules/@litertjs (the project's litert/ folder keeps this
# layout): the ES module, the one module it imports, and the single-threaded WebAssembly
# builds loadLiteRt() picks from a folder (relaxed SIMD, else the compat build). The threaded
# and JSPI builds (WebNN, WebGPU/CPU partitioning) are left out.
LITERT_WEB_FILES = (
    "core/dist/index.js",
    "wasm-utils/dist/index.js",
    "core/wasm/litert_wasm_internal.js",
    "core/wasm/litert_wasm_internal.wasm",
    "core/wasm/litert_wasm_compat_internal.js",
    "core/wasm/litert_wasm_compat_internal.wasm",
)


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


@dataclass(frozen=True)
class LiteRtWebDist:
    """An installed ``@litertjs/core`` (and ``@litertjs/wasm-utils``).

    Attributes
    ----------
    root: the ``node_modules/@litertjs`` folder (:data:`LITERT_WEB_FILES` are relative to it).
    version: the installed ``@litertjs/core`` version.
    """

    root: Path
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


def _version(package_json: Path) -> str:
    try:
        return str(json.loads(package_json.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


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
            return OrtWebDist(dist=dist, version=_version(pkg / "package.json"))
    return None


def find_litert_web() -> LiteRtWebDist | None:
    """The installed ``@litertjs/core`` that has every file in :data:`LITERT_WEB_FILES`.

    Returns
    -------
    LiteRtWebDist or None
        None when no complete installation is found.
    """
    for base in tools_dirs():
        root = base / "node_modules" / "@litertjs"
        if all((root / name).is_file() for name in LITERT_WEB_FILES):
            return LiteRtWebDist(root=root, version=_version(root / "core" / "package.json"))
    return None
