"""A prepared model + dataset + reference outputs, shared by every variant of one recipe.

The same session is rebuilt (from the recipe's specs, cached per process) in the child
process that builds variants, so both sides compare against identical reference numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from core.data.datasets import Dataset, load_dataset
from core.models.loaded import LoadedModel, ModelSpec
from core.models.sources import load_model
from core.progress import NULL_REPORTER, Reporter
from core.recipe import DataSpec

RANDOM_SAMPLES = 64


@dataclass
class Session:
    """Original model, data split and the original model's outputs on the eval side."""

    model: LoadedModel
    dataset: Dataset
    train_idx: np.ndarray
    eval_idx: np.ndarray
    eval_x: np.ndarray  # float32 NCHW, preprocessed
    eval_y: np.ndarray | None
    reference: np.ndarray  # original model's logits on eval_x (batch-1 calls)
    baseline_accuracy: float | None

    @property
    def labels(self) -> list[str]:
        if self.dataset.classes and len(self.dataset.classes) == self.reference.shape[1]:
            return list(self.dataset.classes)
        return list(self.model.labels or [str(i) for i in range(self.reference.shape[1])])


def open_session(model_spec: ModelSpec, data: DataSpec, reporter: Reporter = NULL_REPORTER) -> Session:
    """Load (or reuse, per process) the session for a model spec and data spec."""
    key_m = json.dumps(model_spec.to_dict(), sort_keys=True)
    key_d = json.dumps(vars(data), sort_keys=True)
    return _cached(key_m, key_d, reporter)


_session_cache: dict[tuple[str, str], Session] = {}


def _cached(key_m: str, key_d: str, reporter: Reporter) -> Session:
    if (key_m, key_d) in _session_cache:
        return _session_cache[(key_m, key_d)]
    session = _build(ModelSpec.from_dict(json.loads(key_m)), DataSpec(**json.loads(key_d)), reporter)
    _session_cache.clear()  # keep one: models can be large
    _session_cache[(key_m, key_d)] = session
    return session


def _build(model_spec: ModelSpec, data: DataSpec, reporter: Reporter) -> Session:
    import torch

    from core.measure import run_outputs
    from core.runtimes import open_runner

    model = load_model(model_spec, reporter)
    shape = model.input_shape
    if len(shape) != 4 or shape[1] not in (1, 3):
        from core.errors import DataError

        raise DataError(
            f"the model takes an input of shape {shape}, not an image [N, 1 or 3, H, W]: "
            f"the data source {data.source!r} (and every runtime's preprocessing) feeds images",
            "build, measure and export need an image classifier; `deploy-studio inspect` still "
            "summarises this model",
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
        from core.errors import DataError

        raise DataError(
            f"the model's output has shape {list(reference.shape)} per sample; accuracy needs class logits",
            "use a classifier that returns [N, classes] logits",
        )
    baseline = float((reference.argmax(1) == eval_y).mean()) if eval_y is not None and len(eval_y) else None
    n_classes = len(dataset.classes) if dataset.classes else (int(eval_y.max()) + 1 if eval_y is not None and len(eval_y) else 0)
    if eval_y is not None and reference.shape[1] < n_classes:
        from core.errors import DataError

        raise DataError(
            f"the data has {n_classes} classes but the model outputs {reference.shape[1]}",
            "use data whose classes match the model's outputs, or the random source for latency only",
        )
    if eval_y is not None and 0 < n_classes < reference.shape[1]:
        dataset.notes.append(
            f"the data has {n_classes} classes and the model {reference.shape[1]} outputs: accuracy "
            f"counts the data's class i (sorted folder names) as the model's output i"
        )
    return Session(model, dataset, train_idx, eval_idx, eval_x, eval_y, reference, baseline)


def clear_cache() -> None:
    _session_cache.clear()


