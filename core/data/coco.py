"""``coco:DIR``: a COCO-format detection annotations file and its images.

The annotations are ``DIR/annotations.json``, else the one ``*.json`` in ``DIR`` or in
``DIR/annotations/``. Each image's ``file_name`` is found relative to ``DIR`` or
``DIR/images/``. Images are fitted to the model's input by the spec
(:meth:`~deploy_studio.core.data.preprocess.Preprocess.resize_image`) and their boxes moved
with them (COCO's ``x, y, w, h`` become ``x0, y0, x1, y1`` in model-input pixels, clipped to
the input; a box left with no area is dropped). ``iscrowd`` regions are skipped.

Class convention: the categories, sorted by their id, become the contiguous class indices
``1..C`` and index 0 is ``"background"`` (``classes = ["background", name1, ...]``): a
detector's score column ``c`` is class ``c`` (torchvision's detectors count the same way).
An image without annotations is kept, with zero boxes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from deploy_studio.core.errors import DataError


def find_annotations(folder: Path) -> Path:
    """The annotations JSON of ``folder`` (see the module docstring)."""
    if not folder.is_dir():
        raise DataError(
            f"COCO folder {folder} does not exist",
            "pass coco:DIR with annotations.json and the images it names",
        )
    if (folder / "annotations.json").is_file():
        return folder / "annotations.json"
    for where in (folder, folder / "annotations"):
        found = sorted(where.glob("*.json")) if where.is_dir() else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise DataError(
                f"{where} holds {len(found)} JSON files ({', '.join(f.name for f in found[:5])}): "
                "which one are the annotations?",
                f"name it {folder / 'annotations.json'} or keep only one JSON there",
            )
    raise DataError(
        f"no COCO annotations JSON in {folder} or {folder / 'annotations'}",
        "put the annotations at DIR/annotations.json",
    )


def _read(path: Path) -> dict:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(
            f"{path} is not readable JSON ({e})", "check the annotations file"
        ) from None
    if not isinstance(d, dict) or not isinstance(d.get("images"), list):
        raise DataError(
            f"{path} is not COCO annotations: it needs an 'images' list (and 'annotations', "
            "'categories')",
            "export the labels in COCO format",
        )
    if not isinstance(d.get("categories", []), list) or not isinstance(
        d.get("annotations", []), list
    ):
        raise DataError(f"{path}: 'categories' and 'annotations' must be lists")
    return d


def _image_path(folder: Path, name: str) -> Path | None:
    for base in (folder, folder / "images"):
        p = base / name
        if p.is_file():
            return p
    p = folder / "images" / Path(name).name
    return p if p.is_file() else None


def _fit_boxes(
    xywh: np.ndarray, size: tuple[int, int], preprocess
) -> tuple[np.ndarray, np.ndarray]:
    """COCO ``[K, 4]`` x, y, w, h in an image of ``size`` -> (x0, y0, x1, y1 at model size,
    kept rows)."""
    h, w = preprocess.size
    nw, nh, left, top = preprocess.geometry(*size)
    sx, sy = nw / size[0], nh / size[1]
    x0 = xywh[:, 0] * sx - left
    y0 = xywh[:, 1] * sy - top
    x1 = (xywh[:, 0] + xywh[:, 2]) * sx - left
    y1 = (xywh[:, 1] + xywh[:, 3]) * sy - top
    boxes = np.stack([x0.clip(0, w), y0.clip(0, h), x1.clip(0, w), y1.clip(0, h)], axis=1)
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[keep].astype(np.float32), keep


def load_coco(folder: Path, preprocess, limit: int | None = None):
    """The images and boxes of a COCO folder as an image dataset (see the module docstring)."""
    from PIL import Image, UnidentifiedImageError

    from deploy_studio.core.data.dataset import Dataset

    path = find_annotations(folder)
    d = _read(path)
    cats = sorted(
        (c for c in d.get("categories", []) if isinstance(c, dict) and "id" in c),
        key=lambda c: c["id"],
    )
    index = {c["id"]: i + 1 for i, c in enumerate(cats)}
    classes = ["background", *(str(c.get("name", c["id"])) for c in cats)]
    per_image: dict = {}
    unknown = 0
    for a in d.get("annotations", []):
        if not isinstance(a, dict) or a.get("iscrowd"):
            continue
        bbox = a.get("bbox")
        if a.get("category_id") not in index or not (isinstance(bbox, list) and len(bbox) == 4):
            unknown += 1
            continue
        per_image.setdefault(a.get("image_id"), []).append((bbox, index[a["category_id"]]))
    entries = [i for i in d["images"] if isinstance(i, dict) and "file_name" in i]
    if limit:
        entries = entries[:limit]
    images, boxes, box_labels, missing, skipped = [], [], [], [], []
    for entry in entries:
        p = _image_path(folder, str(entry["file_name"]))
        if p is None:
            missing.append(str(entry["file_name"]))
            continue
        try:
            with Image.open(p) as im:
                pixels, size = preprocess.to_uint8(im), im.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            skipped.append(p.name)
            continue
        anns = per_image.get(entry.get("id"), [])
        xywh = np.asarray([b for b, _ in anns], dtype=np.float64).reshape(-1, 4)
        fitted, keep = _fit_boxes(xywh, size, preprocess)
        images.append(pixels)
        boxes.append(fitted)
        box_labels.append(np.asarray([c for _, c in anns], dtype=np.int64)[keep])
    warnings = []
    if missing:
        warnings.append(
            f"skipped {len(missing)} image(s) named in {path.name} but not found in {folder} or "
            f"{folder / 'images'}: {', '.join(missing[:5])}"
        )
    if skipped:
        warnings.append(f"skipped {len(skipped)} unreadable image file(s), e.g. {skipped[0]}")
    if unknown:
        warnings.append(f"ignored {unknown} annotation(s) with no known category or no bbox")
    if not images:
        raise DataError(f"none of the images of {path.name} could be read", "check file_name paths")
    n_boxes = sum(len(b) for b in boxes)
    empty = sum(1 for b in boxes if not len(b))
    notes = [
        f"{len(images)} images with {n_boxes} boxes in {len(cats)} categories from {path.name} "
        f"({empty} without boxes); class 0 is background, categories are 1..{len(cats)} by id"
    ]
    return Dataset(
        name=f"coco:{folder}",
        images=np.stack(images),
        labels=None,
        classes=classes,
        preprocess=preprocess,
        notes=notes,
        warnings=warnings,
        boxes=boxes,
        box_labels=box_labels,
    )
