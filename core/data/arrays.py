"""Array datasets: the model's inputs themselves, one array per named input.

``npz:FILE`` reads a NumPy ``.npz`` (``np.savez(FILE, tokens=..., image=..., labels=...)``):
one array per input name with the samples on the first axis (``[N, *shape[1:]]``, or
``[N, *shape]``), and optionally what the task scores against:

- ``labels`` ``[N]`` class indices (accuracy) and ``classes`` (their names);
- ``masks`` ``[N, H, W]`` whole numbers, a class per pixel (segmentation; 255 is not scored);
- ``boxes`` ``[N, K, 4]`` floats ``x0, y0, x1, y1`` in model-input pixels with ``box_labels``
  ``[N, K]`` ints (detection): a sample with fewer than K boxes pads its rows with -1 (a box
  row of -1s, and a box label of -1, is no box);
- ``targets`` ``[N, ...]`` numbers (regression values).

``random`` makes such arrays for a model whose inputs are not one image: each input in its
dtype, ids within its range. Nothing here runs code from the file (``allow_pickle=False``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.errors import DataError

if TYPE_CHECKING:
    from deploy_studio.core.data.dataset import Dataset

RESERVED = ("labels", "classes", "masks", "boxes", "box_labels", "targets")
"""Array names that are not inputs: what the tasks score against."""


def _dataset(name: str, arrays: dict[str, np.ndarray], labels, classes, notes, warnings, **targets):
    from deploy_studio.core.data.dataset import Dataset

    n = len(next(iter(arrays.values())))
    return Dataset(
        name=name,
        images=np.zeros((n, 0, 0, 1), dtype=np.uint8),
        labels=labels,
        classes=classes,
        preprocess=Preprocess(),
        notes=notes,
        warnings=warnings,
        arrays=arrays,
        **targets,
    )


def random_inputs(signature, preprocess: Preprocess, n: int) -> Dataset:
    """``n`` random samples of every input of ``signature`` (ids within each int input's range)."""
    for spec in signature.inputs:
        if spec.is_int and spec.range is None:
            raise DataError(
                f"the random data source cannot make ids for input {spec.name!r} ({spec.dtype}): "
                "its valid range is unknown (it feeds no nn.Embedding Deploy Studio can see)",
                f'give it in [model] inputs, e.g. {{ name = "{spec.name}", shape = '
                f'{list(spec.shape)}, dtype = "{spec.dtype}", range = [0, 999] }}, or use '
                "npz:FILE with real inputs",
            )
    arrays = dict(zip(signature.input_names, signature.random_inputs(n, seed=0), strict=True))
    return _dataset(
        "random",
        arrays,
        None,
        [],
        [f"random inputs ({signature.describe_inputs()}): latency only, accuracy is n/a"],
        [],
    )


def load_npz(path: Path, signature, preprocess: Preprocess, limit: int | None = None) -> Dataset:
    """The arrays of ``path`` as the inputs of ``signature`` (see the module docstring)."""
    if signature is None:
        raise DataError("npz data needs the model's inputs to read its arrays")
    if not path.is_file():
        raise DataError(
            f"npz file {path} does not exist",
            "pass npz:FILE, written with np.savez(FILE, <input name>=..., labels=...)",
        )
    try:
        with np.load(path, allow_pickle=False) as z:
            raw = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError) as e:
        raise DataError(
            f"{path} is not a readable .npz file ({str(e).splitlines()[0][:200]})",
            "write it with np.savez(FILE, <input name>=array, ...): plain numeric arrays only",
        ) from None
    candidates = [k for k in raw if k not in RESERVED]
    notes: list[str] = []
    warnings: list[str] = []
    arrays: dict[str, np.ndarray] = {}
    used: list[str] = []
    for spec in signature.inputs:
        key = spec.name
        if key not in raw:
            if len(signature.inputs) == 1 and len(candidates) == 1:
                key = candidates[0]
                notes.append(f"array {key!r} feeds the model's one input {spec.name!r}")
            else:
                raise DataError(
                    f"{path.name} has no array {spec.name!r} for the model's input "
                    f"{spec.describe()}; it holds {', '.join(map(repr, raw)) or 'nothing'}",
                    "name one array per input, samples first: np.savez(FILE, "
                    + ", ".join(f"{i.name}=..." for i in signature.inputs)
                    + ", labels=...)",
                )
        arrays[spec.name] = _as_input(raw[key], spec, path.name, key)
        used.append(key)
    counts = {k: len(a) for k, a in arrays.items()}
    if len(set(counts.values())) != 1:
        raise DataError(
            f"the arrays of {path.name} hold different numbers of samples: "
            + ", ".join(f"{k} {n}" for k, n in counts.items()),
            "every input array needs the same first axis (one row per sample)",
        )
    n = next(iter(counts.values()))
    labels = _labels(raw.get("labels"), n, path.name)
    classes = [str(c) for c in raw["classes"]] if "classes" in raw else []
    unused = [k for k in candidates if k not in used]
    if unused:
        warnings.append(f"ignored arrays of {path.name} that name no input: {', '.join(unused)}")
    targets = _targets(raw, n, path.name)
    if targets:
        notes.append(
            f"targets from {path.name}: {', '.join(k for k in targets if k != 'box_labels')}"
        )
    if limit:
        arrays = {k: a[:limit] for k, a in arrays.items()}
        labels = labels[:limit] if labels is not None else None
        targets = {k: v[:limit] for k, v in targets.items()}
    what = "labelled" if labels is not None else "unlabelled: accuracy is n/a"
    notes.insert(
        0,
        f"{len(next(iter(arrays.values())))} samples of {', '.join(arrays)} from {path.name} ({what})",
    )
    return _dataset(f"npz:{path}", arrays, labels, classes, notes, warnings, **targets)


def _as_input(a: np.ndarray, spec, file: str, key: str) -> np.ndarray:
    """``a`` as samples of input ``spec``: shape checked, dtype converted (ids checked)."""
    shape = list(spec.shape)
    if a.ndim == len(shape) + 1 and shape[0] == 1 and a.shape[1] == 1:
        a = a.reshape(a.shape[0], *a.shape[2:])  # [N, 1, ...]: samples with their batch axis
    if a.ndim != len(shape) or not spec.accepts([1, *a.shape[1:]]):
        raise DataError(
            f"array {key!r} of {file} has samples of shape {list(a.shape[1:])}, but input "
            f"{spec.describe()} takes samples of shape {shape[1:]}",
            f"stack the samples on the first axis: an array of shape [N, {', '.join(map(str, shape[1:]))}]",
        )
    if a.dtype.kind not in "biuf":
        raise DataError(
            f"array {key!r} of {file} holds {a.dtype} values, input {spec.name!r} takes {spec.dtype}",
            "store numbers",
        )
    if spec.is_int or spec.dtype == "bool":
        if a.dtype.kind == "f" and not np.all(np.isfinite(a) & (a == np.round(a))):
            raise DataError(
                f"array {key!r} of {file} holds fractional values, but input {spec.name!r} is "
                f"{spec.dtype}",
                "store the ids (or the mask) as integers",
            )
        if spec.dtype == "bool" and a.dtype.kind != "b" and not np.isin(a, (0, 1)).all():
            raise DataError(
                f"array {key!r} of {file} holds values other than 0/1 for bool input {spec.name!r}"
            )
        if spec.is_int and spec.range is not None and a.size:
            lo, hi = spec.int_range()
            if a.min() < lo or a.max() > hi:
                raise DataError(
                    f"array {key!r} of {file} holds ids {int(a.min())}..{int(a.max())}, outside "
                    f"input {spec.name!r}'s range {lo}..{hi}",
                    "check the ids against the model's vocabulary (or the input's range)",
                )
    return np.ascontiguousarray(a.astype(spec.numpy_dtype))


def _labels(a, n: int, file: str) -> np.ndarray | None:
    if a is None:
        return None
    if a.ndim != 1 or len(a) != n or a.dtype.kind not in "iuf":
        raise DataError(
            f"labels of {file} must be {n} class indices (one per sample), got shape {list(a.shape)} "
            f"{a.dtype}",
            "labels = np.array([...], dtype=np.int64)",
        )
    return a.astype(np.int64)


def _targets(raw: dict[str, np.ndarray], n: int, file: str) -> dict:
    """The optional ``masks``, ``boxes`` + ``box_labels`` and ``targets`` of an npz, checked."""
    out: dict = {}
    if "masks" in raw:
        m = raw["masks"]
        if m.ndim != 3 or len(m) != n or m.dtype.kind not in "biuf":
            raise DataError(
                f"array 'masks' of {file} must be [N={n}, H, W] class indices, got shape "
                f"{list(m.shape)} {m.dtype}",
                "masks = np.array(..., dtype=np.int64) with one [H, W] mask per sample",
            )
        if m.dtype.kind == "f" and not np.all(m == np.round(m)):
            raise DataError(f"array 'masks' of {file} holds fractional values: store class indices")
        out["masks"] = m.astype(np.int64)
    if ("boxes" in raw) != ("box_labels" in raw):
        have, lack = ("boxes", "box_labels") if "boxes" in raw else ("box_labels", "boxes")
        raise DataError(
            f"{file} has {have!r} but no {lack!r}: detection needs both",
            "boxes [N, K, 4] x0, y0, x1, y1 and box_labels [N, K] (pad with -1 rows)",
        )
    if "boxes" in raw:
        out["boxes"], out["box_labels"] = _boxes(raw["boxes"], raw["box_labels"], n, file)
    if "targets" in raw:
        t = raw["targets"]
        if t.ndim < 1 or len(t) != n or t.dtype.kind not in "biuf":
            raise DataError(
                f"array 'targets' of {file} must be [N={n}, ...] numbers (one row per sample), "
                f"got shape {list(t.shape)} {t.dtype}",
                "targets = np.array(..., dtype=np.float32)",
            )
        out["values"] = t.astype(np.float32)
    return out


def _boxes(b: np.ndarray, lab: np.ndarray, n: int, file: str):
    """Padded ``[N, K, 4]`` / ``[N, K]`` arrays -> per-sample lists (rows of -1 dropped)."""
    if b.ndim != 3 or b.shape[0] != n or b.shape[2] != 4 or b.dtype.kind not in "biuf":
        raise DataError(
            f"array 'boxes' of {file} must be [N={n}, K, 4] numbers x0, y0, x1, y1, got shape "
            f"{list(b.shape)} {b.dtype}",
            "pad samples with fewer boxes with rows of -1",
        )
    if lab.shape != b.shape[:2] or lab.dtype.kind not in "biuf":
        raise DataError(
            f"array 'box_labels' of {file} must be [N, K] = {list(b.shape[:2])} class indices "
            f"(one per box), got shape {list(lab.shape)} {lab.dtype}",
            "pad samples with fewer boxes with -1",
        )
    boxes, labels = [], []
    for bi, li in zip(b.astype(np.float32), lab, strict=True):
        keep = ~(np.all(bi == -1, axis=1) | (li < 0))
        boxes.append(np.ascontiguousarray(bi[keep]).reshape(-1, 4))
        labels.append(li[keep].astype(np.int64))
    return boxes, labels
