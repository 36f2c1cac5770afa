"""A prepared model + dataset (+ the original model's outputs), shared by every variant of a recipe.

The session lives in the worker (:mod:`deploy_studio.core.worker`): the model is loaded once
there and every variant is compared against the same reference numbers. It is built in two
stages: the data stage (model, preprocessing, dataset, split: enough for thumbnails and
predictions) and the reference stage (the original model's outputs on the held-out samples,
the baseline, and the warnings), computed on first need.

A session also says what a user must know before trusting any number: which output of the
model is used, where the preprocessing came from (and whether another normalisation scores
better), and data that does not fit the model (``warnings``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from deploy_studio.core.data.datasets import Dataset, load_dataset, random_sample_count
from deploy_studio.core.data.preprocess import GUESSED, Preprocess
from deploy_studio.core.data.sources import is_array_source
from deploy_studio.core.errors import DataError
from deploy_studio.core.models.loaded import LoadedModel
from deploy_studio.core.progress import NULL_REPORTER, Reporter
from deploy_studio.core.recipe import DataSpec
from deploy_studio.core.tasks.base import Targets, Task

NORMALISATION_CHECK_SAMPLES = 128
NORMALISATION_MARGIN = 0.02  # a candidate this much better than the spec in use is reported


@dataclass
class Session:
    """Original model, data split, the preprocessing in use and (once computed) the reference."""

    model: LoadedModel
    data: DataSpec
    preprocess: Preprocess
    preprocess_origin: str
    dataset: Dataset
    train_idx: np.ndarray
    eval_idx: np.ndarray
    eval_x: np.ndarray  # the first input's held-out samples (an image model's preprocessed images)
    eval_y: np.ndarray | None
    reference: np.ndarray | None = None  # original model's task output on the held-out samples
    baseline_accuracy: float | None = None
    warnings: list[str] = field(default_factory=list)
    degenerate: str | None = None  # why the original's outputs cannot be compared with
    eval_inputs: list[np.ndarray] = field(default_factory=list)  # every input's held-out samples
    references: list[np.ndarray] | None = None  # original model's every flattened output
    resolved: Any = None  # core.tasks.resolve.ResolvedTask: the task the engine scores with
    eval_targets: Targets | None = None  # the held-out samples' labels, masks, boxes, values
    baseline_metrics: dict[str, float | None] | None = None  # the original's task figures

    def __post_init__(self) -> None:
        if not self.eval_inputs:
            self.eval_inputs = [self.eval_x]
        if self.eval_targets is None:
            self.eval_targets = self.dataset.targets(self.eval_idx)
        if self.resolved is None:
            from deploy_studio.core.tasks.resolve import resolve_task

            self.resolved = resolve_task(self.model, self.eval_targets)

    @property
    def task(self) -> Task:
        """The task object scoring this session's outputs."""
        return self.resolved.task

    @property
    def task_info(self) -> dict:
        return self.resolved.info(self.model.signature.output_names)

    @property
    def signature(self):
        """The model's named inputs and flattened outputs."""
        return self.model.signature

    @property
    def labels(self) -> list[str]:
        n = self.model.output_shape[-1] if self.model.output_shape else 0
        if self.dataset.classes and len(self.dataset.classes) == n:
            return list(self.dataset.classes)
        return list(self.model.labels or [str(i) for i in range(n)])

    @property
    def has_reference(self) -> bool:
        return self.reference is not None

    def ensure_reference(self, reporter: Reporter = NULL_REPORTER) -> None:
        """Compute the reference stage once: outputs, baseline, degenerate check, warnings."""
        if self.reference is None:
            _reference_stage(self, reporter)

    def info(self, recipe, model_loads: int = 0):
        """The plain data the parent writes a report from (:class:`SessionInfo`)."""
        from deploy_studio.core.worker.requests import SessionInfo

        m, ds = self.model, self.dataset
        model = {
            "spec": m.spec.source,
            "weights": m.spec.weights,
            "params": m.params,
            "input_shape": m.input_shape,
            "output_shape": m.output_shape,
            "kind": m.kind,
            "output": m.output_key,
            "task": self.task_info,
        }
        if not m.signature.is_simple:
            model["inputs"] = m.signature.report_inputs()
            model["outputs"] = m.signature.report_outputs()
        return SessionInfo(
            model=model,
            dataset={
                "name": ds.name,
                "eval_samples": len(self.eval_idx),
                "calibration_samples": int(
                    min(recipe.data.calibration_samples, len(self.train_idx))
                ),
                "labelled": ds.labelled,
                "notes": list(ds.notes),
            },
            preprocess={**self.preprocess.to_dict(), "origin": self.preprocess_origin},
            labels=self.labels,
            baseline_accuracy=self.baseline_accuracy,
            baseline_metrics=self.baseline_metrics,
            degenerate=self.degenerate,
            warnings=list(self.warnings),
            model_loads=model_loads,
        )


def effective_preprocess(model: LoadedModel, overrides: dict | None) -> tuple[Preprocess, str]:
    """The spec every runtime and app uses, and where it came from."""
    if not overrides:
        return model.preprocess, model.preprocess_origin
    origin = "recipe [preprocess]"
    if model.preprocess_origin != GUESSED:
        origin += f" over {model.preprocess_origin}"
    return model.preprocess.with_overrides(overrides), origin


def build_session(
    model: LoadedModel, data: DataSpec, overrides: dict | None, reporter: Reporter = NULL_REPORTER
) -> Session:
    """The data stage: preprocessing, dataset and split for an already loaded model."""
    sig = model.signature
    arrays = is_array_source(data.source) or (data.source == "random" and not sig.is_image)
    builtin = data.source.startswith("builtin:") and data.source != "builtin:digits"
    pre, origin = effective_preprocess(model, overrides)
    if not arrays and not builtin:
        _check_image_model(model, data, pre)
    reporter.progress("load data", 0.0, data.source)
    limit = (
        random_sample_count(data.calibration_samples, data.eval_samples)
        if data.source == "random"
        else None
    )
    dataset = load_dataset(data.source, pre, limit=limit, signature=sig)
    if builtin and dataset.has_images:
        _check_image_model(model, data, pre)
    if not dataset.has_images and (dataset.preprocess.audio or dataset.preprocess.tabular):
        pre = dataset.preprocess  # the data completed the spec (audio features, standardisation)
        origin = f"{data.source.partition(':')[0]} data ({pre.describe()})"
    elif not dataset.has_images:
        origin = "none: the data holds the model's inputs as they are"
    train_idx, eval_idx = dataset.split(data.calibration_samples, data.eval_samples)
    eval_inputs = (
        dataset.inputs(eval_idx)
        if len(eval_idx)
        else [np.zeros((0, *i.shape[1:]), i.numpy_dtype) for i in sig.inputs]
    )
    eval_y = dataset.labels[eval_idx] if dataset.labels is not None and dataset.labelled else None
    reporter.progress("load data", 1.0)
    return Session(
        model,
        data,
        pre,
        origin,
        dataset,
        train_idx,
        eval_idx,
        eval_inputs[0],
        eval_y,
        eval_inputs=eval_inputs,
    )


def _check_image_model(model: LoadedModel, data: DataSpec, pre: Preprocess) -> None:
    """Refuse an image data source for a model that does not take one image."""
    shape, sig = model.input_shape, model.signature
    if Preprocess.image_dims(shape) is None:
        raise DataError(
            f"the model takes an input of shape {shape}, not an image [N, 1 or 3, H, W]: "
            f"the data source {data.source!r} (and every runtime's preprocessing) feeds images",
            "feed it its own inputs with npz:FILE (one array per input), tabular:FILE.csv, "
            "audiofolder:DIR, or random for latency; `deploy-studio inspect` summarises it",
        )
    if not sig.is_image:
        raise DataError(
            f"the model takes inputs {sig.describe_inputs()}; the data source "
            f"{data.source!r} feeds one image input",
            "use npz:FILE (one array per input, samples first) or random",
        )
    if pre.input_shape()[1:] != list(shape[1:]):
        raise DataError(
            f"[preprocess] layout {pre.layout} gives inputs of shape {pre.input_shape()}, but the "
            f"model takes {shape}",
            "set [preprocess] layout to match the model's input (NCHW: [N, C, H, W]; NHWC: [N, H, W, C])",
        )


def open_session(
    model_spec, data: DataSpec, reporter: Reporter = NULL_REPORTER, preprocess: dict | None = None
) -> Session:
    """Load the model and build its full session in this process (tests and notebooks; the
    engine's runs go through the worker, which keeps the model loaded between requests)."""
    from deploy_studio.core.models.sources import load_model

    session = build_session(load_model(model_spec, reporter), data, preprocess, reporter)
    session.ensure_reference(reporter)
    return session


def _reference_stage(s: Session, reporter: Reporter) -> None:
    import torch

    from deploy_studio.core.measure import degenerate_outputs, run_outputs
    from deploy_studio.core.runtimes import open_runner

    model, dataset, data = s.model, s.dataset, s.data
    runner = open_runner(
        "eager",
        None,
        threads=max(1, torch.get_num_threads()),
        module=model.module,
        signature=model.signature,
    )
    references = run_outputs(runner, s.eval_inputs, reporter, stage="reference outputs")
    reference = references[min(model.signature.task, len(references) - 1)]
    eval_y = s.eval_y
    task, targets = s.task, s.eval_targets
    task.check(references, model.signature.output_names, targets)
    scores = (
        task.score(references, targets)
        if targets is not None and task.has_targets(targets)
        else None
    )
    metrics = scores.metrics if scores else {}
    baseline = metrics.get("top1") if task.name == "classification" else None
    if task.metric_is_fidelity:
        metrics = {task.metric.key: 1.0}
    n_classes = (
        len(dataset.classes)
        if dataset.classes
        else (int(eval_y.max()) + 1 if eval_y is not None and len(eval_y) else 0)
    )
    classifier = task.name == "classification" and reference.ndim == 2
    warnings: list[str] = []
    if model.output_note:
        warnings.append(model.output_note)
    warnings.extend(dataset.warnings)
    if classifier and eval_y is not None and 0 < n_classes < reference.shape[1]:
        warnings.append(
            f"the data has {n_classes} classes and the model {reference.shape[1]} outputs: accuracy "
            f"counts the data's class i (sorted folder names) as the model's output i"
        )
    degenerate = degenerate_outputs(reference)
    if degenerate:
        warnings.append(degenerate + "; accuracy, agreement and SNR gates are not judged")
    if data.source == "random":
        warnings.append(
            "random data: accuracy cannot be measured and agreement is measured on noise; "
            "use real samples (even unlabelled ones, imagefolder:DIR) to judge fidelity"
            if dataset.has_images
            else "random data: accuracy cannot be measured and agreement is measured on random "
            "inputs; use real samples (npz:FILE) to judge fidelity"
        )
    if s.preprocess_origin == GUESSED and dataset.has_images:
        warnings.append(
            f"preprocessing was GUESSED from the input shape ({s.preprocess.describe()}): "
            "if the model was trained with another normalisation, every accuracy here is wrong "
            "and the apps feed it wrong inputs; set [preprocess] in the recipe"
        )
        if baseline is not None and not degenerate:
            better = compare_normalisations(s, baseline)
            if better:
                warnings.append(better)
    if baseline is not None and n_classes and not degenerate:
        warnings.extend(_low_accuracy_notes(model, data, baseline, max(n_classes, 2)))
    if s.resolved.guessed and task.name != "classification":
        warnings.append(
            f"task guessed: {task.name} ({s.resolved.why}); set [model] task if it is not"
        )
    s.reference, s.baseline_accuracy, s.warnings, s.degenerate = (
        reference,
        baseline,
        warnings,
        degenerate,
    )
    s.references = references
    s.baseline_metrics = metrics or None


def normalisation_table(s: Session, samples: int = NORMALISATION_CHECK_SAMPLES) -> list[dict]:
    """Held-out accuracy of the original model under the session's spec and common candidates.

    Rows ``{"name", "mean", "std", "scale", "accuracy", "current"}``, best first; the
    one-click check of the window and the note of a run with a guessed spec.
    """
    import torch

    from deploy_studio.core.data.preprocess import candidates

    if s.dataset.labels is None or not s.dataset.has_images:
        return []
    idx = s.eval_idx[:samples]
    pixels, y = s.dataset.images[idx], s.dataset.labels[idx]
    rows = []
    for name, spec in [("current", s.preprocess), *candidates(s.preprocess)]:
        x = torch.from_numpy(spec.apply(pixels))
        with torch.no_grad():
            out = torch.cat(
                [_logits(s, s.model.module(x[i : i + 32])) for i in range(0, len(x), 32)]
            )
        acc = float((out.argmax(1).numpy() == y).mean())
        rows.append(
            {
                "name": name,
                "mean": spec.mean,
                "std": spec.std,
                "scale": spec.scale,
                "accuracy": acc,
                "current": name == "current",
            }
        )
    rows.sort(key=lambda r: -float(r["accuracy"]))  # type: ignore[arg-type]
    return rows


def _logits(s: Session, out):
    """The task output of one forward pass (of the model's flattened outputs)."""
    return s.signature.flatten(out)[s.signature.task].float()


def compare_normalisations(s: Session, baseline: float) -> str | None:
    """A warning when a common normalisation scores clearly better than the guessed one."""
    try:
        rows = normalisation_table(s)
    except Exception:  # noqa: BLE001 - a model that fails on a batch: the check is advisory
        return None
    current = next((r for r in rows if r["current"]), None)
    best = next((r for r in rows if not r["current"]), None)
    if not current or not best or best["accuracy"] < current["accuracy"] + NORMALISATION_MARGIN:
        return None
    mean = ", ".join(f"{v:.4g}" for v in best["mean"])
    std = ", ".join(f"{v:.4g}" for v in best["std"])
    return (
        f"the model scores {best['accuracy']:.1%} with {best['name']} but {current['accuracy']:.1%} "
        f"with the guessed preprocessing (first {len(s.eval_idx[:NORMALISATION_CHECK_SAMPLES])} held-out "
        f"samples): if it was trained that way, set [preprocess] mean = [{mean}], std = [{std}], "
        f"scale = {best['scale']:.10g}"
    )


def _low_accuracy_notes(
    model: LoadedModel, data: DataSpec, baseline: float, n_classes: int
) -> list[str]:
    chance = 1.0 / n_classes
    notes = []
    if model.trained_on and model.trained_on != data.source:
        notes.append(
            f"{model.spec.source} was trained on {model.trained_on}; evaluated on {data.source} it "
            f"scores {baseline:.1%}: these numbers describe a data mismatch, not the model "
            f"(evaluate it on {model.trained_on}, or fine-tune it on this data first)"
        )
    elif baseline < min(max(0.5, 2.5 * chance), chance + 0.5 * (1 - chance)):
        notes.append(
            f"the original model scores only {baseline:.1%} on this data ({n_classes} classes, chance "
            f"{chance:.0%}): the data, its class order or the preprocessing probably does not match the model"
        )
    return notes
