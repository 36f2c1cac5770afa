"""Where samples come from: the data sources of :mod:`deploy_studio.core.data.sources`
(``builtin:NAME``, ``mnist:DIR``, ``imagefolder:DIR``, ``coco:DIR``, ``audiofolder:DIR``,
``tabular:FILE``, ``npz:FILE``, ``random``), each loaded by :func:`load_dataset`.

An image dataset holds uint8 images already at the model's input size (``[N, H, W, C]``) plus
integer labels, so a sample can be shown, shipped as ``sample.png`` and preprocessed
identically by every runtime (``imagefolder`` with ``images/`` + ``masks/`` and ``coco`` add
masks or boxes: :mod:`~deploy_studio.core.data.masks`, :mod:`~deploy_studio.core.data.coco`).
An array dataset (``npz:FILE``, ``tabular:FILE``, ``audiofolder:DIR``, and ``random`` for a
model whose inputs are not one image; :mod:`~deploy_studio.core.data.arrays`) holds the model's inputs themselves, one array per named
input with the samples on the first axis, in each input's dtype (:meth:`Dataset.inputs`
gives either kind as model inputs). The split into a training/calibration side and a held-out
eval side is deterministic (seeded permutation, stratified by nothing, stable across runs).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

from deploy_studio.core.data.arrays import RESERVED, load_npz, random_inputs
from deploy_studio.core.data.dataset import (
    IMAGE_SUFFIXES,
    RANDOM_SAMPLES,
    SPLIT_SEED,
    Dataset,
    random_sample_count,
)
from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.errors import DataError

__all__ = [
    "IMAGE_SUFFIXES",
    "RANDOM_SAMPLES",
    "RESERVED",
    "SPLIT_SEED",
    "Dataset",
    "load_dataset",
    "load_npz",
    "random_inputs",
    "random_sample_count",
]


def load_dataset(
    spec: str, preprocess: Preprocess, limit: int | None = None, signature=None
) -> Dataset:
    """Load a dataset from its spec, resized to ``preprocess.size``.

    Parameters
    ----------
    spec: a data source (:data:`deploy_studio.core.data.sources.SOURCES`).
    preprocess: the model's preprocessing (gives size and channels; ``audio`` and ``tabular``
        for those sources).
    limit: optional cap on the number of samples read (the first ``limit`` files/records).
    signature: the model's :class:`~deploy_studio.core.models.signature.Signature`: ``npz``
        reads one array per input, ``random`` makes inputs of each declared dtype and range
        (random pixels for a model whose one input is an image, as without it); ``tabular``
        and ``audiofolder`` reshape their features to the model's one input.
    """
    from deploy_studio.core.data.sources import SOURCES_HINT

    kind, _, arg = spec.partition(":")
    path = Path(arg).expanduser()
    if kind == "npz" and arg:
        return load_npz(path, signature, preprocess, limit)
    if kind == "tabular" and arg:
        from deploy_studio.core.data.tabular_file import load_tabular

        return load_tabular(path, preprocess, signature, limit)
    if kind == "audiofolder" and arg:
        from deploy_studio.core.data.audiofolder import load_audiofolder

        return load_audiofolder(path, preprocess, signature, limit)
    if kind == "coco" and arg:
        from deploy_studio.core.data.coco import load_coco

        return load_coco(path, preprocess, limit)
    if spec == "random" and signature is not None and not signature.is_image:
        return random_inputs(signature, preprocess, limit or RANDOM_SAMPLES)
    if kind == "builtin" and arg == "digits":
        return _builtin_digits(preprocess)
    if kind == "builtin":
        from deploy_studio.core.data.builtin_sets import load_builtin_dataset

        return load_builtin_dataset(arg, preprocess, signature)
    if kind == "mnist" and arg:
        return _mnist(path, preprocess, limit)
    if kind == "imagefolder" and arg:
        if (path / "images").is_dir() and (path / "masks").is_dir():
            from deploy_studio.core.data.masks import load_masks_folder

            return load_masks_folder(path, preprocess, limit)
        return _imagefolder(path, preprocess, limit)
    if spec == "random":
        return _random(preprocess, limit or RANDOM_SAMPLES)
    raise DataError(f"unknown data source {spec!r}", f"use {SOURCES_HINT} (e.g. builtin:digits)")


def _adapt(gray: np.ndarray, preprocess: Preprocess) -> np.ndarray:
    """uint8 [N, h, w] grayscale -> uint8 [N, H, W, C] at model size, via the spec's resize."""
    from PIL import Image

    out = np.empty((gray.shape[0], *preprocess.size, preprocess.channels), dtype=np.uint8)
    for i, g in enumerate(gray):
        out[i] = preprocess.to_uint8(Image.fromarray(g, mode="L"))
    return out


def _builtin_digits(preprocess: Preprocess) -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    gray = np.clip(d.images * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    return Dataset(
        name="builtin:digits",
        images=_adapt(gray, preprocess),
        labels=d.target.astype(np.int64),
        classes=[str(i) for i in range(10)],
        preprocess=preprocess,
        notes=["scikit-learn's bundled handwritten digits (1797 8x8 images, upsampled)"],
    )


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
        zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
        if zero != 0 or dtype != 0x08:
            raise ValueError("bad magic")
        dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
        return data.reshape(dims)
    except (OSError, ValueError, struct.error, EOFError) as e:
        raise DataError(
            f"{path} is not a readable IDX file ({e})",
            "point mnist:DIR at a folder with the MNIST *-images-idx3-ubyte[.gz] and "
            "*-labels-idx1-ubyte[.gz] files",
        ) from None


def _find(folder: Path, pattern: str) -> Path | None:
    hits = sorted(folder.glob(pattern))
    t10k = [h for h in hits if h.name.startswith("t10k")]
    found = t10k or hits
    return found[0] if found else None


def _mnist(folder: Path, preprocess: Preprocess, limit: int | None) -> Dataset:
    if not folder.is_dir():
        raise DataError(
            f"MNIST folder {folder} does not exist", "pass mnist:DIR with the IDX files"
        )
    images = _find(folder, "*images-idx3-ubyte*")
    labels = _find(folder, "*labels-idx1-ubyte*")
    if images is None or labels is None:
        raise DataError(
            f"no MNIST IDX files in {folder}",
            "the folder needs t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)",
        )
    x, y = _read_idx(images), _read_idx(labels)
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise DataError(f"{images.name} and {labels.name} do not match ({x.shape} vs {y.shape})")
    if limit:
        x, y = x[:limit], y[:limit]
    return Dataset(
        name=f"mnist:{folder}",
        images=_adapt(x, preprocess),
        labels=y.astype(np.int64),
        classes=[str(i) for i in range(10)],
        preprocess=preprocess,
        notes=[f"MNIST {images.name} ({len(x)} images)"],
    )


def _imagefolder(folder: Path, preprocess: Preprocess, limit: int | None) -> Dataset:
    """Class-per-folder images (labelled), or images directly in ``folder`` (unlabelled:
    real samples for calibration, agreement and fidelity, but no accuracy)."""
    from PIL import Image, UnidentifiedImageError

    if not folder.is_dir():
        raise DataError(
            f"image folder {folder} does not exist",
            "pass imagefolder:DIR with one sub-folder of images per class (or the images themselves)",
        )
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    loose = sorted(
        f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
    )
    warnings: list[str] = []
    if classes:
        files = [
            (f, ci)
            for ci, c in enumerate(classes)
            for f in sorted((folder / c).iterdir())
            if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
        ]
        nested = [
            f"{c}/{d.name}"
            for c in classes
            for d in sorted((folder / c).iterdir())
            if d.is_dir() and not d.name.startswith(".")
        ]
        if nested:
            warnings.append(
                f"ignored {len(nested)} nested folder(s) inside the class folders (e.g. {nested[0]}): "
                "only images directly inside DIR/<class>/ are read"
            )
        if loose:
            warnings.append(
                f"ignored {len(loose)} image(s) lying directly in {folder.name}/, outside any class folder"
            )
        empty = [c for ci, c in enumerate(classes) if not any(k == ci for _f, k in files)]
        if empty:
            warnings.append(f"{len(empty)} class folder(s) hold no images: {', '.join(empty[:5])}")
    else:
        files = [(f, -1) for f in loose]
    if not files:
        raise DataError(
            f"no images found in {folder} or its class sub-folders",
            "lay it out as DIR/<class name>/<image>.png (labelled) or DIR/<image>.png (unlabelled)",
        )
    if limit:
        step = max(1, len(files) // limit)
        files = files[::step][:limit]
    images, labels, skipped = [], [], []
    for f, ci in files:
        try:
            with Image.open(f) as im:
                images.append(preprocess.to_uint8(im))
            labels.append(ci)
        except (
            UnidentifiedImageError,
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombError,
        ):
            skipped.append(f.name)
    if not images:
        raise DataError(f"none of the images in {folder} could be read", "check the files")
    labelled = bool(classes)
    notes = [
        f"{len(images)} images in {len(classes)} classes"
        if labelled
        else f"{len(images)} unlabelled images (no class folders): accuracy is n/a; agreement "
        "and fidelity are measured on them"
    ]
    if skipped:
        warnings.append(f"skipped {len(skipped)} unreadable image file(s), e.g. {skipped[0]}")
    return Dataset(
        name=f"imagefolder:{folder}",
        images=np.stack(images),
        labels=np.asarray(labels) if labelled else None,
        classes=classes if labelled else [],
        preprocess=preprocess,
        notes=notes,
        warnings=warnings,
    )


def _random(preprocess: Preprocess, n: int) -> Dataset:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, *preprocess.size, preprocess.channels), dtype=np.uint8)
    return Dataset(
        name="random",
        images=images,
        labels=None,
        classes=[],
        preprocess=preprocess,
        notes=["random pixels: latency only, accuracy is n/a"],
    )
