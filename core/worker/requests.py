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


@dataclass(frozen=True)
class HostLimits:
    """This host's peak GFLOP/s and memory bandwidth at ``threads``, measured in the worker
    (where latencies are) once per process; answers ``{peak_gflops, bandwidth_gbs, threads,
    method}`` (:mod:`deploy_studio.core.cost.host`)."""

    threads: int


@dataclass(frozen=True)
class MeasureVariant:
    """Measure a variant built earlier (``row``: its report row) again with the recipe's
    benchmark settings (latency at every thread count); answers the updated row. Its
    accuracy and parity are kept: the outputs do not depend on how often it is timed."""

    recipe: Recipe
    row: dict
    out_dir: str


@dataclass(frozen=True)
class DiagnoseInt8:
    """Run the int8 numerical debugger on ``variant``'s model after its prune/distill steps
    (no artifact is built); answers ``{"numerics": rows, "numerics_worst": layers}``."""

    recipe: Recipe
    variant: str
    out_dir: str


@dataclass(frozen=True)
class PrebuildVariant:
    """Build one variant into ``root/artifacts``, without measuring it (the parallel phase
    of a scaled-out tune, :mod:`deploy_studio.core.scaleout`); answers its hand-off record.
    ``threads``: torch's intra-op threads for the build (the cores shared between workers)."""

    recipe: Recipe
    variant: str
    root: str
    threads: int | None = None


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
    HxWxC at model size); answers ``(original top-3, [Prediction])``.

    With ``index`` (the sample's index in the dataset: array data, whose samples are no
    pixels) or ``task_view``, answers ``(the original's view, [Prediction])`` instead: each
    a task's view (:mod:`deploy_studio.core.samples.views`: top-3, the predicted mask, the
    detections after the declared post-processing, output summaries) and each variant's
    agreement with the original on that sample."""

    recipe: Recipe
    pixels: np.ndarray | None
    rows: list[dict]
    out_dir: str | None
    labels: list[str]
    index: int | None = None
    task_view: bool = False


SAMPLES_IN_REPORT = 4
"""How many held-out samples report.html draws."""


@dataclass(frozen=True)
class RenderSamples:
    """Draw the first ``count`` held-out samples per task (the truth and the original model's
    prediction: masks overlaid, boxes drawn, waveforms; text for rows and tokens) into
    ``out_dir/samples/`` (``*.png`` and ``samples.json``, which report.html reads); answers
    the manifest (a dict)."""

    recipe: Recipe
    out_dir: str
    count: int = SAMPLES_IN_REPORT


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
    """Held-out samples at model size, for thumbnails and predictions, with what their task
    needs to be drawn (each None when the data has none).

    ``images`` are the pictures (an image dataset's, or an image-like input of array data
    scaled for display; ``[N, 0, 0, 1]`` when the samples are no pictures). ``task`` is the
    task's ``describe()``. Truth: ``masks``, ``boxes``/``box_labels``, ``values``. The
    original model's predictions (when its reference outputs are already computed):
    ``predicted_masks`` ``[N, H, W]``, ``detections`` (per sample a dict of boxes, scores,
    labels). Non-image data: ``inputs`` (each model input's samples by name: token ids,
    features), ``columns`` + ``table`` (raw tabular rows), ``waveforms`` + ``sample_rate``,
    ``vocabulary`` (token names, when the data gives them).
    """

    source: str
    images: Any  # uint8 [N, H, W, C]
    labels: Any  # int64 [N] or None
    classes: list[str]
    indices: Any  # indices into the dataset
    notes: list[str]
    task: dict | None = None
    pictures: bool = True  # whether ``images`` shows the samples
    masks: Any = None
    boxes: list | None = None
    box_labels: list | None = None
    values: Any = None
    ignore_index: int = 255
    predicted_masks: Any = None
    detections: list | None = None
    inputs: dict | None = None
    columns: list[str] | None = None
    table: Any = None
    waveforms: Any = None
    sample_rate: int | None = None
    vocabulary: list[str] | None = None

    @property
    def task_name(self) -> str:
        return (self.task or {}).get("name") or "classification"

    def __len__(self) -> int:
        return len(self.indices)


@dataclass
class Prediction:
    """One variant's top-3 on a sample and whether it agrees with the original."""

    variant: str
    top3: list[tuple[str, float]] | None
    agrees: bool | None
    note: str = ""
    view: dict | None = None  # the task's view (Predict with index or task_view)
    agreement: float | None = None  # the task's agreement with the original on this sample
