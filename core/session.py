"""A prepared model + dataset + reference outputs, shared by every variant of one recipe.

The same session is rebuilt (from the recipe's specs, cached per process) in the child
process that builds variants, so both sides compare against identical reference numbers.

A session also says what a user must know before trusting any number: which output of the
model is used, where the preprocessing came from (and whether another normalisation scores
better), and data that does not fit the model (``warnings``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
from deploy_studio.core.data.datasets import Dataset, load_dataset
from deploy_studio.core.data.preprocess import GUESSED, Preprocess
from deploy_studio.core.errors import DataError
from deploy_studio.core.models.loaded import LoadedModel, ModelSpec
from deploy_studio.core.models.sources import load_model
from deploy_studio.core.progress import NULL_REPORTER, Reporter
from deploy_studio.core.recipe import DataSpec

RANDOM_SAMPLES = 64
NORMALISATION_CHECK_SAMPLES = 128
NORMALISATION_MARGIN = 0.02  # a candidate this much better than the spec in use is reported


@dataclass
class Session:
    """Original model, data split and the original model's outputs on the eval side."""

    model: LoadedModel
    dataset: Dataset
    train_idx: np.ndarray
    eval_idx: np.ndarray
    eval_x: np.ndarray  # float32, preprocessed, in the preprocessing's layout
    eval_y: np.ndarray | None
    reference: np.ndarray  # original model's logits on eval_x (batch-1 calls)
    baseline_accuracy: float | None
    preprocess_origin: str = GUESSED
    warnings: list[str] = field(default_factory=list)
    degenerate: str | None = None  # why the original's outputs cannot be compared with

    @property
    def labels(self) -> list[str]:
        if self.dataset.classes and len(self.dataset.classes) == self.reference.shape[1]:
            return list(self.dataset.classes)
        return list(self.model.labels or [str(i) for i in range(self.reference.shape[1])])

    @property
    def preprocess(self) -> Preprocess:
        return self.model.preprocess


def open_session(model_spec: ModelSpec, data: DataSpec, reporter: Reporter = NULL_REPORTER,
                 preprocess: dict | None = None) -> Session:
    """Load (or reuse, per process) the session for a model spec, data spec and the recipe's
    ``[preprocess]`` overrides."""
    key_m = json.dumps(model_spec.to_dict(), sort_keys=True)
    key_d = json.dumps(vars(data), sort_keys=True)
    key_p = json.dumps(preprocess or {}, sort_keys=True)
    return _cached(key_m, key_d, key_p, reporter)


_session_cache: dict[tuple[str, str, str], Session] = {}


def _cached(key_m: str, key_d: str, key_p: str, reporter: Reporter) -> Session:
    if (key_m, key_d, key_p) in _session_cache:
        return _session_cache[(key_m, key_d, key_p)]
    session = _build(ModelSpec.from_dict(json.loads(key_m)), DataSpec(**json.loads(key_d)),
                     json.loads(key_p), reporter)
    _session_cache.clear()  # keep one: models can be large
    _session_cache[(key_m, key_d, key_p)] = session
    return session


def effective_preprocess(model: LoadedModel, overrides: dict | None) -> tuple[Preprocess, str]:
    """The spec every runtime and app uses, and where it came from."""
    if not overrides:
        return model.preprocess, model.preprocess_origin
    origin = "recipe [preprocess]"
    if model.preprocess_origin != GUESSED:
        origin += f" over {model.preprocess_origin}"
    return model.preprocess.with_overrides(overrides), origin


def _build(model_spec: ModelSpec, data: DataSpec, overrides: dict, reporter: Reporter) -> Session:
    import torch
    from deploy_studio.core.measure import degenerate_outputs, run_outputs
    from deploy_studio.core.runtimes import open_runner

    model = load_model(model_spec, reporter)
    shape = model.input_shape
    if Preprocess.image_dims(shape) is None:
        raise DataError(
            f"the model takes an input of shape {shape}, not an image [N, 1 or 3, H, W]: "
            f"the data source {data.source!r} (and every runtime's preprocessing) feeds images",
            "build, measure and export need an image model; `deploy-studio inspect` still "
            "summarises this model",
        )
    model.preprocess, origin = effective_preprocess(model, overrides)
    if model.preprocess.input_shape()[1:] != list(shape[1:]):
        raise DataError(
            f"[preprocess] layout {model.preprocess.layout} gives inputs of shape "
            f"{model.preprocess.input_shape()}, but the model takes {shape}",
            "set [preprocess] layout to match the model's input (NCHW: [N, C, H, W]; NHWC: [N, H, W, C])",
        )
    reporter.progress("load data", 0.0, data.source)
    limit = max(RANDOM_SAMPLES, data.calibration_samples + data.eval_samples) if data.source == "random" else None
    dataset = load_dataset(data.source, model.preprocess, limit=limit)
    train_idx, eval_idx = dataset.split(data.calibration_samples, data.eval_samples)
    eval_x = model.preprocess.apply(dataset.images[eval_idx]) if len(eval_idx) else np.zeros((0, *model.input_shape[1:]), np.float32)
    eval_y = dataset.labels[eval_idx] if dataset.labelled else None
    runner = open_runner("eager", None, threads=max(1, torch.get_num_threads()), module=model.module)
    reference = run_outputs(runner, eval_x, reporter, stage="reference outputs")
    if reference.ndim != 2:
        raise DataError(
            f"the model's output has shape {list(reference.shape)} per sample; accuracy needs class logits",
            "use a classifier that returns [N, classes] logits",
        )
    baseline = float((reference.argmax(1) == eval_y).mean()) if eval_y is not None and len(eval_y) else None
    n_classes = len(dataset.classes) if dataset.classes else (int(eval_y.max()) + 1 if eval_y is not None and len(eval_y) else 0)
    if eval_y is not None and reference.shape[1] < n_classes:
        raise DataError(
            f"the data has {n_classes} classes but the model outputs {reference.shape[1]}",
            "use data whose classes match the model's outputs, or the random source for latency only",
        )
    warnings: list[str] = []
    if model.output_note:
        warnings.append(model.output_note)
    warnings.extend(dataset.warnings)
    if eval_y is not None and 0 < n_classes < reference.shape[1]:
        warnings.append(
            f"the data has {n_classes} classes and the model {reference.shape[1]} outputs: accuracy "
            f"counts the data's class i (sorted folder names) as the model's output i"
        )
    degenerate = degenerate_outputs(reference)
    if degenerate:
        warnings.append(degenerate + "; accuracy, agreement and SNR gates are not judged")
    if data.source == "random":
        warnings.append("random data: accuracy cannot be measured and agreement is measured on noise; "
                        "use real samples (even unlabelled ones, imagefolder:DIR) to judge fidelity")
    if origin == GUESSED:
        warnings.append(
            f"preprocessing was GUESSED from the input shape ({model.preprocess.describe()}): "
            "if the model was trained with another normalisation, every accuracy here is wrong "
            "and the apps feed it wrong inputs; set [preprocess] in the recipe"
        )
        if baseline is not None and not degenerate:
            better = compare_normalisations(model, dataset, eval_idx, baseline)
            if better:
                warnings.append(better)
    if baseline is not None and n_classes and not degenerate:
        warnings.extend(_low_accuracy_notes(model, data, baseline, max(n_classes, 2)))
    return Session(model, dataset, train_idx, eval_idx, eval_x, eval_y, reference, baseline,
                   origin, warnings, degenerate)


def normalisation_table(model: LoadedModel, dataset: Dataset, eval_idx: np.ndarray,
                        samples: int = NORMALISATION_CHECK_SAMPLES) -> list[dict]:
    """Held-out accuracy of the original model under the current spec and common candidates.

    Rows ``{"name", "mean", "std", "scale", "accuracy", "current"}``, best first; the
    one-click check of the window and the note of a run with a guessed spec.
    """
    import torch
    from deploy_studio.core.data.preprocess import candidates

    if dataset.labels is None:
        return []
    idx = eval_idx[:samples]
    pixels, y = dataset.images[idx], dataset.labels[idx]
    rows = []
    specs = [("current", model.preprocess), *candidates(model.preprocess)]
    for name, spec in specs:
        x = torch.from_numpy(spec.apply(pixels))
        with torch.no_grad():
            out = torch.cat([_logits(model.module(x[i:i + 32])) for i in range(0, len(x), 32)])
        acc = float((out.argmax(1).numpy() == y).mean())
        rows.append({"name": name, "mean": spec.mean, "std": spec.std, "scale": spec.scale,
                     "accuracy": acc, "current": name == "current"})
    rows.sort(key=lambda r: -r["accuracy"])
    return rows


def _logits(out):
    from deploy_studio.core.models.validate import select_output

    return select_output(out)[0].float()


def compare_normalisations(model: LoadedModel, dataset: Dataset, eval_idx: np.ndarray, baseline: float) -> str | None:
    """A warning when a common normalisation scores clearly better than the guessed one."""
    try:
        rows = normalisation_table(model, dataset, eval_idx)
    except Exception:  # noqa: BLE001 - a model that fails on a batch: the check is advisory
        return None
    current = next((r for r in rows if r["current"]), None)
    best = next((r for r in rows if not r["current"]), None)
    if not current or not best or best["accuracy"] < current["accuracy"] + NORMALISATION_MARGIN:
        return None
    mean = ", ".join(f"{v:.4g}" for v in best["mean"])
    std = ", ".join(f"{v:.4g}" for v in best["std"])
    return (f"the model scores {best['accuracy']:.1%} with {best['name']} but {current['accuracy']:.1%} "
            f"with the guessed preprocessing (first {len(eval_idx[:NORMALISATION_CHECK_SAMPLES])} held-out "
            f"samples): if it was trained that way, set [preprocess] mean = [{mean}], std = [{std}], "
            f"scale = {best['scale']:.10g}")


def _low_accuracy_notes(model: LoadedModel, data: DataSpec, baseline: float, n_classes: int) -> list[str]:
    chance = 1.0 / n_classes
    notes = []
    if model.trained_on and model.trained_on != data.source:
        notes.append(
            f"{model.spec.source} was trained on {model.trained_on}; evaluated on {data.source} it "
            f"scores {baseline:.1%}: these numbers describe a data mismatch, not the model "
            f"(evaluate it on {model.trained_on}, or fine-tune it on this data first)"
        )
    elif baseline < max(0.5, 2.5 * chance):
        notes.append(
            f"the original model scores only {baseline:.1%} on this data ({n_classes} classes, chance "
            f"{chance:.0%}): the data, its class order or the preprocessing probably does not match the model"
        )
    return notes


def clear_cache() -> None:
    _session_cache.clear()
