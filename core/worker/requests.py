"""The requests the worker serves: plain, picklable data (no modules, no tensors of the model).

One worker process owns a session (the model, the data and the original model's outputs) and
answers these one at a time; the parent (the CLI's engine or the window) sends them and
receives plain results: :class:`SessionInfo`, report rows (``VariantResult.to_dict()``),
samples, predictions, app rows. Every request that needs the session carries the recipe, so
a worker restarted after a crash or a cancel rebuilds it on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from deploy_studio.core.models.loaded import ModelSpec
    from deploy_studio.core.recipe import Recipe


@dataclass(frozen=True)
class LoadModel:
    """Load and validate a model (a real forward pass); answer its summary (``summarize``)."""

    model: ModelSpec


@dataclass(frozen=True)
class Prepare:
    """Open the recipe's session; with ``reference``, also the original model's outputs on
    the held-out samples, the baseline, the warnings and the pre-build checks. Answers a
    :class:`SessionInfo`."""

    recipe: Recipe
    reference: bool = True


@dataclass(frozen=True)
class BuildVariant:
    """Build one variant into ``out_dir/artifacts`` and measure it; answers its report row."""

    recipe: Recipe
    variant: str
    out_dir: str


SAMPLES_SHOWN = 96
"""How many held-out samples the window shows (thumbnails to pick a prediction from)."""


@dataclass(frozen=True)
class LoadSamples:
    """The first ``limit`` held-out samples at model size (thumbnails); answers :class:`Samples`."""

    recipe: Recipe
    limit: int = SAMPLES_SHOWN


@dataclass(frozen=True)
class Predict:
    """The original model's and each built variant's top-3 for one sample (``pixels``: uint8
    HxWxC at model size); answers ``(original top-3, [Prediction])``."""

    recipe: Recipe
    pixels: np.ndarray
    rows: list[dict]
    out_dir: str | None
    labels: list[str]


@dataclass(frozen=True)
class CheckNormalisation:
    """Held-out accuracy under the recipe's preprocessing and the common normalisations."""

    recipe: Recipe


@dataclass(frozen=True)
class RenderApps:
    """Render the recipe's ``[export] templates`` from a report's rows; answers
    ``(app rows, rows of variants built for the apps)``."""

    recipe: Recipe
    report: dict
    out_dir: str


@dataclass
class SessionInfo:
    """What the parent needs of a session to write a report (no model, no tensors)."""

    model: dict  # spec, weights, params, input_shape, output_shape, kind, output
    dataset: dict  # name, eval_samples, calibration_samples, labelled, notes
    preprocess: dict  # Preprocess.to_dict() + origin
    labels: list[str]
    baseline_accuracy: float | None = None
    baseline_metrics: dict | None = None  # the original model's task figures
    degenerate: str | None = None
    warnings: list[str] = field(default_factory=list)
    model_loads: int = 0  # models this worker loaded so far (one per CLI run, when nothing crashed)


@dataclass
class Samples:
    """Held-out samples at model size, for thumbnails and predictions."""

    source: str
    images: Any  # uint8 [N, H, W, C]
    labels: Any  # int64 [N] or None
    classes: list[str]
    indices: Any  # indices into the dataset
    notes: list[str]


@dataclass
class Prediction:
    """One variant's top-3 on a sample and whether it agrees with the original."""

    variant: str
    top3: list[tuple[str, float]] | None
    agrees: bool | None
    note: str = ""
