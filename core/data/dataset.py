"""What a dataset is: samples (images at model size, or the model's inputs as arrays) with
their labels, masks, boxes or targets, and the deterministic held-out split every run uses.
Loaders live in :mod:`deploy_studio.core.data.datasets` and the modules it dispatches to."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from deploy_studio.core.data.preprocess import Preprocess

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
SPLIT_SEED = 20240601
RANDOM_SAMPLES = 64
"""How many random inputs the ``random`` data source makes at least."""


def random_sample_count(calibration: int, evaluation: int) -> int:
    """How many inputs the ``random`` source makes for ``calibration`` + ``evaluation`` samples
    (at least :data:`RANDOM_SAMPLES`)."""
    return max(RANDOM_SAMPLES, calibration + evaluation)


@dataclass
class Dataset:
    """Images at model size plus labels and class names.

    ``labels`` is ``None`` for unlabelled data (``random``): accuracy is then n/a.
    """

    name: str
    images: np.ndarray  # uint8 [N, H, W, C]
    labels: np.ndarray | None  # int64 [N]
    classes: list[str]
    preprocess: Preprocess
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what a user must see (skipped files...)
    arrays: dict[str, np.ndarray] | None = None  # model inputs by name (array datasets)
    masks: np.ndarray | None = None  # int64 [N, H, W] class per pixel (segmentation)
    boxes: list[np.ndarray] | None = None  # per sample float [K, 4] x0, y0, x1, y1 input pixels
    box_labels: list[np.ndarray] | None = None  # per sample int64 [K] (detection)
    values: np.ndarray | None = None  # float [N, ...] regression targets
    ignore_index: int = 255  # mask value not scored
    waveforms: np.ndarray | None = None  # float32 [N, samples] mono recordings (audio, display)
    sample_rate: int | None = None  # Hz of ``waveforms``
    columns: list[str] | None = None  # feature column names (tabular, display)
    table: np.ndarray | None = None  # float [N, F] raw feature values (tabular, display)

    def targets(self, idx: np.ndarray):
        """The :class:`~deploy_studio.core.tasks.base.Targets` of samples ``idx``."""
        from deploy_studio.core.tasks.base import Targets

        return Targets(
            labels=self.labels,
            masks=self.masks,
            boxes=self.boxes,
            box_labels=self.box_labels,
            values=self.values,
            ignore_index=self.ignore_index,
        ).take(idx)

    def __len__(self) -> int:
        if self.arrays is not None:
            return int(next(iter(self.arrays.values())).shape[0])
        return int(self.images.shape[0])

    @property
    def has_images(self) -> bool:
        """Whether samples are images (thumbnails, normalisation checks, app samples)."""
        return self.arrays is None

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    def split(self, calibration_samples: int, eval_samples: int) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic (train_idx, eval_idx): the eval side never overlaps training.

        The eval side takes the last ``eval_samples`` of a seeded permutation (at most half
        the data); the training/calibration side is everything else, of which callers use
        the first ``calibration_samples`` for calibration.
        """
        n = len(self)
        order = np.random.default_rng(SPLIT_SEED).permutation(n)
        n_eval = min(int(eval_samples), n // 2) if n > 1 else 0
        eval_idx = order[n - n_eval :] if n_eval else order[:0]
        train_idx = order[: n - n_eval]
        return train_idx, eval_idx

    def inputs(self, idx: np.ndarray) -> list[np.ndarray]:
        """The model's inputs for samples ``idx``: one array per input, samples first
        (an image dataset's one input is its preprocessed images)."""
        if self.arrays is not None:
            return [np.ascontiguousarray(a[idx]) for a in self.arrays.values()]
        return [self.preprocess.apply(self.images[idx])]

    def input_tensors(self, idx: np.ndarray) -> tuple:
        """:meth:`inputs` as torch tensors."""
        import torch

        return tuple(torch.from_numpy(a) for a in self.inputs(idx))

    def tensors(self, idx: np.ndarray):
        """The first input (a single-input model's input: preprocessed float32 NCHW images)
        as a torch tensor, and int64 labels (or None) for ``idx``."""
        import torch

        x = torch.from_numpy(self.inputs(idx)[0])
        y = (
            torch.from_numpy(self.labels[idx].astype(np.int64))
            if self.labels is not None and self.labelled
            else None
        )
        return x, y

    def sample_image(self, i: int):
        """Sample ``i`` as a PIL image at model size (mode L or RGB)."""
        from PIL import Image

        arr = self.images[i]
        return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
