"""The data source kinds: the one table the recipe, the loaders and the window read.

A data source is ``KIND:ARG`` (or ``random``). :data:`SOURCES` lists every kind with what its
argument is (a name, a folder or a file: folders and files are resolved against the recipe's
folder) and whether the dataset it gives holds the model's inputs themselves (an *array*
source: :func:`is_array_source`) rather than images the preprocessing spec turns into inputs.
:func:`check_source` is the recipe's validation. Light at import (no numpy, no loaders).
"""

from __future__ import annotations

from dataclasses import dataclass

from deploy_studio.core.errors import RecipeError


@dataclass(frozen=True)
class SourceKind:
    """One kind of data source.

    kind: the prefix (``npz`` of ``npz:FILE``).
    arg: what follows the colon: ``"NAME"``, ``"DIR"``, ``"FILE"`` or ``""`` (none).
    arrays: the dataset holds model inputs (not images).
    description: one line for people.
    """

    kind: str
    arg: str
    arrays: bool
    description: str

    @property
    def usage(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind

    @property
    def is_path(self) -> bool:
        return self.arg in ("DIR", "FILE")


SOURCES: tuple[SourceKind, ...] = (
    SourceKind("builtin", "NAME", False, "data bundled with Deploy Studio (builtin:digits)"),
    SourceKind("mnist", "DIR", False, "MNIST IDX files (e.g. t10k-images/labels)"),
    SourceKind(
        "imagefolder",
        "DIR",
        False,
        "images per class folder, or DIR/images + DIR/masks (segmentation)",
    ),
    SourceKind("coco", "DIR", False, "a COCO annotations JSON and its images (detection)"),
    SourceKind("audiofolder", "DIR", True, "WAV files per class folder"),
    SourceKind("tabular", "FILE", True, "a CSV file: feature columns and a label column"),
    SourceKind("npz", "FILE", True, "a NumPy .npz: one array per input (+ labels, targets)"),
    SourceKind("random", "", False, "random inputs: latency only, accuracy is n/a"),
)
BY_KIND = {s.kind: s for s in SOURCES}
SOURCES_HINT = " | ".join(s.usage for s in SOURCES)
"""``builtin:NAME | mnist:DIR | ...`` for hints and the recipe schema."""


def source_kind(spec: str) -> SourceKind | None:
    """The kind of ``spec``, or None when the prefix is no data source."""
    return BY_KIND.get(spec.partition(":")[0])


def is_array_source(spec: str) -> bool:
    """Whether ``spec``'s dataset holds the model's inputs (npz, tabular, audiofolder), not
    images (``random`` depends on the model: see ``Dataset.has_images``)."""
    kind = source_kind(spec)
    return kind is not None and kind.arrays


def is_path_source(spec: str) -> bool:
    """Whether ``spec``'s argument is a file or folder (resolved against the recipe)."""
    kind = source_kind(spec)
    return kind is not None and kind.is_path


def check_source(spec: str, where: str = "[data].source") -> None:
    """Raise :class:`RecipeError` unless ``spec`` is a data source (kind known, argument given;
    a ``builtin:`` name must be one of the built-in data sets)."""
    kind = source_kind(spec) if isinstance(spec, str) else None
    _, colon, arg = spec.partition(":") if isinstance(spec, str) else ("", "", "")
    if kind is None:
        raise RecipeError(f"{where} {spec!r} is not a data source", f"use {SOURCES_HINT}")
    if kind.arg and not arg.strip():
        raise RecipeError(
            f"{where} {spec!r} is not a data source: {kind.kind} needs a {kind.arg.lower()}",
            f"use {kind.usage} ({kind.description})",
        )
    if not kind.arg and colon:
        raise RecipeError(f"{where} {spec!r} is not a data source", f"use {kind.kind}")
    if kind.kind == "builtin":
        from deploy_studio.core.data.builtin_sets import builtin_dataset_names

        names = builtin_dataset_names()
        if arg not in names:
            raise RecipeError(
                f"{where} {spec!r} is not a data source: no built-in data set {arg!r}",
                "built-in data: " + ", ".join(f"builtin:{n}" for n in names),
            )


def rebase_source(spec: str, rebase) -> str:
    """``spec`` with its file or folder passed through ``rebase`` (path kinds only)."""
    if not is_path_source(spec):
        return spec
    kind, _, arg = spec.partition(":")
    return f"{kind}:{rebase(arg)}"
