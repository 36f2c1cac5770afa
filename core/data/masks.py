"""``imagefolder:DIR`` laid out for segmentation: ``DIR/images/*`` and ``DIR/masks/*.png``.

An image and its mask share a file stem (``images/a.jpg`` + ``masks/a.png``). A mask's pixel
value is the class index of that pixel (a palette PNG's palette indices, a grayscale PNG's
values); 255 is "ignore" (not scored). Images are fitted to the model's input exactly as the
spec fits any image (:meth:`~deploy_studio.core.data.preprocess.Preprocess.resize_image`), and
their masks with the same geometry but NEAREST resampling, so a pixel keeps its class. An
image without a mask, or a mask without an image, is skipped with a warning naming it. The
dataset has no class labels (``labels`` None); its classes are the mask values found, named
by their index (the model's own labels name them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from deploy_studio.core.errors import DataError

IGNORE_INDEX = 255


def _by_stem(folder: Path, suffixes: set[str]) -> dict[str, Path]:
    return {
        f.stem: f
        for f in sorted(folder.iterdir())
        if f.is_file() and f.suffix.lower() in suffixes and not f.name.startswith(".")
    }


def load_masks_folder(folder: Path, preprocess, limit: int | None = None):
    """Images and their masks (see the module docstring) as an image dataset with ``masks``."""
    from PIL import Image, UnidentifiedImageError

    from deploy_studio.core.data.dataset import IMAGE_SUFFIXES, Dataset

    images = _by_stem(folder / "images", IMAGE_SUFFIXES)
    masks = _by_stem(folder / "masks", IMAGE_SUFFIXES)
    warnings: list[str] = []
    lone_images = sorted(set(images) - set(masks))
    lone_masks = sorted(set(masks) - set(images))
    if lone_images:
        warnings.append(
            f"skipped {len(lone_images)} image(s) of {folder.name}/images with no mask of the "
            f"same name in masks/: {', '.join(lone_images[:10])}"
            + (" ..." if len(lone_images) > 10 else "")
        )
    if lone_masks:
        warnings.append(
            f"ignored {len(lone_masks)} mask(s) with no image of the same name: "
            f"{', '.join(lone_masks[:10])}" + (" ..." if len(lone_masks) > 10 else "")
        )
    stems = sorted(set(images) & set(masks))
    if not stems:
        raise DataError(
            f"no image in {folder / 'images'} has a mask of the same name in {folder / 'masks'}",
            "lay it out as DIR/images/<name>.png and DIR/masks/<name>.png (pixel = class index, "
            "255 = ignore)",
        )
    if limit:
        step = max(1, len(stems) // limit)
        stems = stems[::step][:limit]
    h, w = preprocess.size
    pixels, labels, skipped = [], [], []
    for stem in stems:
        try:
            with Image.open(images[stem]) as im:
                px, size = preprocess.to_uint8(im), im.size
            with Image.open(masks[stem]) as m:
                mask = _mask_array(m, size, preprocess)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
            skipped.append(f"{stem} ({str(e)[:120]})")
            continue
        pixels.append(px)
        labels.append(mask)
    if skipped:
        warnings.append(
            f"skipped {len(skipped)} unreadable or mismatched image/mask pair(s), e.g. {skipped[0]}"
        )
    if not pixels:
        raise DataError(
            f"none of the image/mask pairs in {folder} could be read", "check the files"
        )
    stacked = np.stack(labels)
    found = sorted(int(v) for v in np.unique(stacked) if v != IGNORE_INDEX)
    n_classes = (found[-1] + 1) if found else 0
    notes = [
        f"{len(pixels)} images with segmentation masks ({h}x{w}, nearest), classes "
        f"{', '.join(map(str, found[:20]))}{' ...' if len(found) > 20 else ''} (255 = ignore)"
    ]
    return Dataset(
        name=f"imagefolder:{folder}",
        images=np.stack(pixels),
        labels=None,
        classes=[str(i) for i in range(n_classes)],
        preprocess=preprocess,
        notes=notes,
        warnings=warnings,
        masks=stacked,
        ignore_index=IGNORE_INDEX,
    )


def _mask_array(m, size: tuple[int, int], preprocess) -> np.ndarray:
    """A mask image as int64 ``[H, W]`` class indices at model size (NEAREST)."""
    from PIL import Image

    if m.size != size:
        raise ValueError(f"the mask is {m.size[0]}x{m.size[1]}, its image {size[0]}x{size[1]}")
    if m.mode not in ("P", "L", "I", "I;16", "1"):
        m = m.convert("L")  # RGB masks: the gray value (one class per value)
    if m.mode == "I;16":
        m = m.convert("I")
    fitted = preprocess.fit(m, Image.Resampling.NEAREST)
    return np.asarray(fitted).astype(np.int64)
