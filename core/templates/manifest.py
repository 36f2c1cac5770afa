"""The manifest of a project template (``mobile-templates/<platform>/manifest.toml``).

A manifest says, declaratively, what a template folder needs from the renderer: default
variables (pinned versions and the like, overridable by render options), which files are
copied without rendering (binaries, scripts), which path placeholders exist, where the
model and the data files go, and which runtimes the platform offers with the artifact format
each one needs.
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from deploy_studio.core.fsutil import templates_dir

# Never part of a generated project (editor and interpreter droppings in a template folder).
_ALWAYS_IGNORED = ("manifest.toml", "*__pycache__*", "*.pyc", "*.DS_Store", "*.swp", "*~")


def format_suffix(fmt: str) -> str:
    """The file name suffix of an artifact of format ``fmt`` (from the format's contract)."""
    from deploy_studio.core.registry import FORMATS

    return FORMATS.get(fmt).obj.suffix


@dataclass(frozen=True)
class RuntimeSpec:
    """One runtime a platform template offers.

    Attributes
    ----------
    name: the stable key users type (``"executorch"``).
    format: the artifact format key it needs (``"pte"``, ``"ptl"``, ``"onnx"``, ``"coreml"``).
    title: a human name with the pinned library version.
    tolerance: the largest logit difference the app's self-test accepts.
    exclude: template files (globs, template-relative) not written for this runtime.
    execution_providers: the ONNX Runtime execution providers the app can ask for (recipe
        ``[export] onnxruntime_providers``), the first being the default; empty for runtimes
        without providers.
    """

    name: str
    format: str
    title: str
    tolerance: float
    exclude: tuple[str, ...] = ()
    execution_providers: tuple[str, ...] = ()


@dataclass(frozen=True)
class TemplateManifest:
    """A parsed ``manifest.toml``.

    Attributes
    ----------
    platform: ``"android"``, ``"ios"`` or ``"web"``.
    root: the template folder.
    default_runtime: the runtime used when none is asked for.
    runtimes: runtime name -> :class:`RuntimeSpec`, in manifest order.
    variables: default template variables (render options override them).
    verbatim: globs of files copied byte for byte.
    ignore: globs of template files never written (the manifest itself, notes).
    assets_dir: where labels/sample/preprocess/expected go (may contain placeholders).
    model_dir: where the model (and its extra files) go.
    model_stem: the model's file name without suffix.
    rename: template path -> project path, for files a template folder should not hold
        under their real name (``gitignore`` -> ``.gitignore``).
    audio: globs of template files written only into audio apps (``[files] audio``).
    """

    platform: str
    root: Path
    default_runtime: str
    runtimes: dict[str, RuntimeSpec]
    variables: dict
    verbatim: tuple[str, ...]
    ignore: tuple[str, ...]
    assets_dir: str
    model_dir: str
    model_stem: str
    rename: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    audio: tuple[str, ...] = ()

    def is_verbatim(self, rel: str) -> bool:
        """Whether the template file ``rel`` is copied without rendering."""
        return any(fnmatch.fnmatchcase(rel, pat) for pat in self.verbatim)

    def is_ignored(self, rel: str, runtime: str, audio: bool = False) -> bool:
        """Whether the template file ``rel`` is left out for ``runtime`` (and, unless
        ``audio``, when it belongs to audio apps only)."""
        patterns = self.ignore + self.runtimes[runtime].exclude + (() if audio else self.audio)
        return any(fnmatch.fnmatchcase(rel, pat) for pat in patterns)


def template_root(platform: str) -> Path:
    """The template folder of ``platform`` (``mobile-templates/<platform>``)."""
    return templates_dir() / platform


def load_manifest(platform: str) -> TemplateManifest:
    """Read and check ``mobile-templates/<platform>/manifest.toml``.

    Parameters
    ----------
    platform:
        A folder name under ``mobile-templates``.

    Returns
    -------
    TemplateManifest

    Raises
    ------
    FileNotFoundError
        When the template folder has no manifest (a packaging bug, not a user error).
    """
    root = template_root(platform)
    data = tomllib.loads((root / "manifest.toml").read_text(encoding="utf-8"))
    from deploy_studio.core.registry import FORMATS

    runtimes = {}
    for name, spec in data["runtimes"].items():
        fmt = spec["format"]
        if fmt not in FORMATS.keys():
            raise ValueError(f"{platform} manifest: runtime {name} has unknown format {fmt!r}")
        runtimes[name] = RuntimeSpec(
            name=name,
            format=fmt,
            title=spec.get("title", name),
            tolerance=float(spec.get("tolerance", 1e-3)),
            exclude=tuple(spec.get("exclude", ())),
            execution_providers=tuple(spec.get("execution_providers", ())),
        )
    default = data["default_runtime"]
    if default not in runtimes:
        raise ValueError(f"{platform} manifest: default runtime {default} is not offered")
    files = data.get("files", {})
    model = data.get("model", {})
    return TemplateManifest(
        platform=data.get("platform", platform),
        root=root,
        default_runtime=default,
        runtimes=runtimes,
        variables=dict(data.get("variables", {})),
        verbatim=tuple(files.get("verbatim", ())),
        ignore=tuple(files.get("ignore", ())) + _ALWAYS_IGNORED,
        assets_dir=files.get("assets_dir", "."),
        model_dir=model.get("dir", "."),
        model_stem=model.get("stem", "model"),
        rename=dict(files.get("rename", {})),
        audio=tuple(files.get("audio", ())),
        extra={
            k: v
            for k, v in data.items()
            if k not in {"platform", "default_runtime", "runtimes", "variables", "files", "model"}
        },
    )


def available_platforms() -> list[str]:
    """Every folder under ``mobile-templates`` that has a manifest, sorted."""
    root = templates_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "manifest.toml").is_file())
