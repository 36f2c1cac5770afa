"""Built-in datasets besides ``builtin:digits``: real data, offline, for every task's demo.

Each is made from data scikit-learn bundles (nothing is downloaded), deterministically, and is
the data its built-in model (:mod:`deploy_studio.core.models.builtin`) was trained on: the
model trains on the training side of ``Dataset.split(0, len // 2)`` only, so any eval split
(at most half the data, the tail of the same seeded permutation) is held out.

- ``breast-cancer``: ``load_breast_cancer`` (569 x 30 features, 2 classes), standardised per
  feature with the training side's mean/std (:func:`breast_cancer_stats`): input ``features``.
- ``digit-rows``: the digits as sequences: each image's 8 rows are time steps, each row
  binarised (pixel > 7) into an 8-bit token 0..255: input ``tokens`` ``[N, 8]`` int64.
- ``digit-strokes``: the digits upsampled to 32x32 (bilinear) with a mask per pixel: 0
  background, digit + 1 on stroke pixels (upsampled intensity > :data:`STROKE_THRESHOLD`).
- ``digit-scenes``: 64x64 canvases with 1-3 non-overlapping digits pasted at random positions
  and sizes; tight boxes ``x0, y0, x1, y1`` in pixels, classes 1..10 (digit d -> d + 1, 0 is
  background). Scenes on the training side use only the digits of the digits' training side.
"""

from __future__ import annotations

import numpy as np

from deploy_studio.core.data.dataset import SPLIT_SEED, Dataset
from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.errors import DataError

BUILTIN_DATASETS: dict[str, str] = {
    "digits": "scikit-learn's 8x8 digits (1,797 images, 10 classes)",
    "breast-cancer": "scikit-learn's breast cancer (569 samples x 30 standardised features, 2 classes)",
    "digit-rows": "the digits as 8 tokens each (one binarised row per step, ids 0..255; 10 classes)",
    "digit-strokes": "the digits at 32x32 with stroke masks (11 classes: background + 10 digits)",
    "digit-scenes": "2,000 64x64 scenes of 1-3 digits with boxes (classes background, 0..9)",
}
DIGIT_CLASSES = [str(i) for i in range(10)]
STROKE_SIZE = 32
STROKE_THRESHOLD = 96  # uint8 intensity above which an upsampled pixel is stroke
SCENE_SIZE = 64
SCENE_COUNT = 2000
SCENE_DIGIT_SIZES = (14, 24)  # pasted digit side in pixels (inclusive)
SCENE_SEED = 7
SCENE_CLASSES = ["background", *DIGIT_CLASSES]


def builtin_dataset_names() -> dict[str, str]:
    """Name -> one-line description of every ``builtin:`` data source."""
    return dict(BUILTIN_DATASETS)


def load_builtin_dataset(name: str, preprocess: Preprocess, signature=None) -> Dataset:
    """``builtin:NAME`` (not ``digits``, which :mod:`.datasets` makes) as a Dataset."""
    makers = {
        "breast-cancer": lambda: breast_cancer(_input_name(signature, "features")),
        "digit-rows": lambda: digit_rows(_input_name(signature, "tokens")),
        "digit-strokes": lambda: digit_strokes(preprocess),
        "digit-scenes": lambda: digit_scenes(preprocess),
    }
    if name not in makers:
        raise DataError(
            f"unknown built-in data source builtin:{name}",
            "built-in data: " + ", ".join(f"builtin:{n}" for n in BUILTIN_DATASETS),
        )
    return makers[name]()


def training_side(n: int) -> np.ndarray:
    """The indices a built-in model trains on: what ``Dataset.split(0, n // 2)`` keeps for
    training (every eval split of the same data is disjoint from it)."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    return order[: n - n // 2] if n > 1 else order


def _input_name(signature, default: str) -> str:
    if signature is not None and len(signature.inputs) == 1:
        return signature.inputs[0].name
    return default


def _array_dataset(name: str, arrays: dict, labels, classes, notes) -> Dataset:
    n = len(next(iter(arrays.values())))
    return Dataset(
        name=name,
        images=np.zeros((n, 0, 0, 1), dtype=np.uint8),
        labels=labels,
        classes=classes,
        preprocess=Preprocess(),
        notes=notes,
        arrays=arrays,
    )


# --- tabular -----------------------------------------------------------------------------------


def breast_cancer_stats() -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) per feature of the training side: the standardisation the model expects."""
    from sklearn.datasets import load_breast_cancer

    x = load_breast_cancer().data.astype(np.float64)
    train = x[training_side(len(x))]
    return train.mean(0).astype(np.float32), train.std(0).astype(np.float32)


def breast_cancer_tabular() -> dict:
    """The standardisation as ``[preprocess] tabular`` keys (columns, mean, std)."""
    from sklearn.datasets import load_breast_cancer

    mean, std = breast_cancer_stats()
    return {
        "columns": [str(c) for c in load_breast_cancer().feature_names],
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
    }


def breast_cancer(input_name: str = "features") -> Dataset:
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()
    mean, std = breast_cancer_stats()
    x = ((d.data - mean) / std).astype(np.float32)
    ds = _array_dataset(
        "builtin:breast-cancer",
        {input_name: x},
        d.target.astype(np.int64),
        [str(c) for c in d.target_names],
        [
            f"scikit-learn's breast cancer data ({len(x)} samples, 30 features), standardised "
            "per feature with the training side's mean/std (preprocessing outside the model: "
            "apps must apply (x - mean) / std)",
            "mean = " + _short(mean),
            "std = " + _short(std),
        ],
    )
    from deploy_studio.core.data.tabular import TabularSpec

    # the spec apps ship: Preprocess carries the table's standardisation
    ds.preprocess = Preprocess(tabular=TabularSpec.from_dict(breast_cancer_tabular()))
    return ds


def _short(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{float(a):.6g}" for a in v) + "]"


# --- sequences ---------------------------------------------------------------------------------


def digit_tokens(images: np.ndarray) -> np.ndarray:
    """sklearn digits ``[N, 8, 8]`` (0..16) -> token ids ``[N, 8]``: row bits (pixel > 7),
    the leftmost pixel the most significant bit."""
    bits = (images > 7).astype(np.int64)
    weights = 1 << np.arange(7, -1, -1, dtype=np.int64)
    return (bits * weights).sum(-1)


def digit_rows(input_name: str = "tokens") -> Dataset:
    from sklearn.datasets import load_digits

    d = load_digits()
    tokens = digit_tokens(d.images)
    return _array_dataset(
        "builtin:digit-rows",
        {input_name: tokens},
        d.target.astype(np.int64),
        list(DIGIT_CLASSES),
        [
            f"scikit-learn's digits as sequences ({len(tokens)} x 8 tokens): each row of an "
            "8x8 digit binarised (pixel > 7) into an id 0..255, leftmost pixel the high bit"
        ],
    )


# --- segmentation ------------------------------------------------------------------------------


def _digits_uint8():
    from sklearn.datasets import load_digits

    d = load_digits()
    gray = np.clip(d.images * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    return gray, d.target.astype(np.int64)


def _resize(gray: np.ndarray, size: tuple[int, ...], nearest: bool = False) -> np.ndarray:
    from PIL import Image

    res = Image.Resampling.NEAREST if nearest else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(gray).resize((size[1], size[0]), res))


def digit_strokes(preprocess: Preprocess) -> Dataset:
    gray, labels = _digits_uint8()
    up = np.stack([_resize(g, (STROKE_SIZE, STROKE_SIZE)) for g in gray])
    masks = np.where(up > STROKE_THRESHOLD, labels[:, None, None] + 1, 0).astype(np.int64)
    size = tuple(preprocess.size)
    notes = [
        f"scikit-learn's digits at {STROKE_SIZE}x{STROKE_SIZE} (bilinear) with stroke masks: "
        f"0 background, digit + 1 where the intensity > {STROKE_THRESHOLD} (11 classes)"
    ]
    if size != (STROKE_SIZE, STROKE_SIZE):
        up = np.stack([_resize(g, size) for g in up])
        masks = np.stack([_resize(m.astype(np.uint8), size, nearest=True) for m in masks])
        masks = masks.astype(np.int64)
        notes.append(f"resized to the model's {size[0]}x{size[1]} (masks: nearest)")
    return Dataset(
        name="builtin:digit-strokes",
        images=_channels(up, preprocess),
        labels=labels,
        classes=["background", *DIGIT_CLASSES],
        preprocess=preprocess,
        notes=notes,
        masks=masks,
    )


def _channels(gray: np.ndarray, preprocess: Preprocess) -> np.ndarray:
    """uint8 ``[N, H, W]`` -> ``[N, H, W, C]`` (grey repeated for a 3-channel model)."""
    return np.repeat(gray[..., None], preprocess.channels, axis=-1)


# --- detection ---------------------------------------------------------------------------------


def _paste_scene(rng, pool, gray, labels, canvas_size):
    """One canvas with 1-3 non-overlapping digits from ``pool``: (canvas, boxes, classes)."""
    canvas = np.zeros((canvas_size, canvas_size), dtype=np.uint8)
    taken: list[tuple[int, int, int, int]] = []
    boxes, classes = [], []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(20):
            s = int(rng.integers(SCENE_DIGIT_SIZES[0], SCENE_DIGIT_SIZES[1] + 1))
            x, y = (int(v) for v in rng.integers(0, canvas_size - s + 1, size=2))
            if all(x + s <= a or a + c <= x or y + s <= b or b + c <= y for a, b, c, _ in taken):
                break
        else:
            continue
        k = int(pool[rng.integers(len(pool))])
        patch = _resize(gray[k], (s, s))
        canvas[y : y + s, x : x + s] = np.maximum(canvas[y : y + s, x : x + s], patch)
        taken.append((x, y, s, k))
        ys, xs = np.nonzero(patch > 64)
        if not len(xs):
            ys, xs = np.array([0, s - 1]), np.array([0, s - 1])
        boxes.append([x + xs.min(), y + ys.min(), x + xs.max() + 1, y + ys.max() + 1])
        classes.append(int(labels[k]) + 1)
    return canvas, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(classes, np.int64)


def digit_scenes(preprocess: Preprocess, count: int = SCENE_COUNT) -> Dataset:
    gray, labels = _digits_uint8()
    digit_train = training_side(len(gray))
    digit_held = np.setdiff1d(np.arange(len(gray)), digit_train)
    scene_train = set(training_side(count).tolist())
    rng = np.random.default_rng(SCENE_SEED)
    canvases, boxes, classes = [], [], []
    for i in range(count):
        pool = digit_train if i in scene_train else digit_held
        c, b, k = _paste_scene(rng, pool, gray, labels, SCENE_SIZE)
        canvases.append(c)
        boxes.append(b)
        classes.append(k)
    images = np.stack(canvases)
    size = tuple(preprocess.size)
    notes = [
        f"{count} {SCENE_SIZE}x{SCENE_SIZE} scenes of 1-3 scikit-learn digits "
        f"({SCENE_DIGIT_SIZES[0]}-{SCENE_DIGIT_SIZES[1]} px, seed {SCENE_SEED}); boxes x0, y0, "
        "x1, y1 in pixels, classes 1..10 = digits 0..9 (0 is background); held-out scenes "
        "hold only held-out digits"
    ]
    if size != (SCENE_SIZE, SCENE_SIZE):
        sy, sx = size[0] / SCENE_SIZE, size[1] / SCENE_SIZE
        images = np.stack([_resize(g, size) for g in images])
        boxes = [b * np.asarray([sx, sy, sx, sy], np.float32) for b in boxes]
        notes.append(f"resized to the model's {size[0]}x{size[1]} (boxes scaled)")
    return Dataset(
        name="builtin:digit-scenes",
        images=_channels(images, preprocess),
        labels=None,
        classes=list(SCENE_CLASSES),
        preprocess=preprocess,
        notes=notes,
        boxes=boxes,
        box_labels=classes,
    )
