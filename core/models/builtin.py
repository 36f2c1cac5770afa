"""Built-in demo models: ``builtin:digits-cnn`` (trained, cached), ``builtin:digits-cnn-small``
and one trained demo on real data per task (:data:`DEMOS`).

``digits-cnn`` is trained deterministically on the training side of scikit-learn's digits
(upsampled to 28x28) the first time it is asked for, then cached in the user cache dir. A
missing or corrupt cache file is retrained; a checksum beside the weights detects corruption.
The task demos (``breast-cancer-mlp``, ``digit-rows-lstm``, ``digit-strokes-seg``,
``digit-scenes-ssd``) are trained and cached the same way on their ``builtin:`` data
(:mod:`deploy_studio.core.data.builtin_sets`, training in
:mod:`deploy_studio.core.models.demo_training`). :func:`builtin_spec_defaults` says what a
recipe would otherwise have to: named inputs (dtype, range), task, post-processing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.errors import ModelLoadError
from deploy_studio.core.fsutil import atomic_path, cache_dir, write_text_atomic
from deploy_studio.core.models.architectures import DigitsCNN, DigitsCNNSmall
from deploy_studio.core.progress import NULL_REPORTER, Reporter

DIGITS_SHAPE = [1, 1, 28, 28]
DIGITS_LABELS = [str(i) for i in range(10)]
TRAIN_VERSION = 1  # bump to invalidate every cached copy
TRAIN_EPOCHS = 6


@dataclass(frozen=True)
class Demo:
    """A trained demo on real data: its description, architecture, training, data and the
    spec defaults a recipe would otherwise declare (see :func:`builtin_spec_defaults`)."""

    description: str
    factory: Callable[[], torch.nn.Module]
    train: str  # the function of demo_training that trains it
    data: str  # the builtin: data source it is trained on
    inputs: list[dict]
    labels: list[str]
    task: str
    postprocess: dict = field(default_factory=dict)
    output: str | None = None


def _demos() -> dict[str, Demo]:
    from deploy_studio.core.models import demo_architectures as arch

    digits = [str(i) for i in range(10)]
    return {
        "breast-cancer-mlp": Demo(
            "an MLP on scikit-learn's breast cancer data (30 standardised features, 2 classes)",
            arch.TabularMLP,
            "train_breast_cancer_mlp",
            "breast-cancer",
            [{"name": "features", "shape": [1, 30], "dtype": "float32"}],
            ["malignant", "benign"],
            "classification",
        ),
        "digit-rows-lstm": Demo(
            "an Embedding + LSTM over the digits' rows as 8 tokens (ids 0..255, 10 classes)",
            arch.DigitRowsLSTM,
            "train_digit_rows_lstm",
            "digit-rows",
            [{"name": "tokens", "shape": [1, 8], "dtype": "int64", "range": [0, 255]}],
            digits,
            "classification",
        ),
        "digit-strokes-seg": Demo(
            "a tiny encoder-decoder segmenting digit strokes at 32x32 (11 classes per pixel)",
            arch.StrokeSegNet,
            "train_stroke_seg",
            "digit-strokes",
            [{"name": "image", "shape": [1, 1, 32, 32], "dtype": "float32"}],
            ["background", *digits],
            "segmentation",
        ),
        "digit-scenes-ssd": Demo(
            "a single-shot detector of digits in 64x64 scenes (boxes + softmax scores, "
            "NMS outside the graph)",
            arch.DigitSSD,
            "train_digit_ssd",
            "digit-scenes",
            [{"name": "image", "shape": [1, 1, 64, 64], "dtype": "float32"}],
            ["background", *digits],
            "detection",
            {
                "boxes": "boxes",
                "scores": "scores",
                "score_threshold": 0.3,
                "iou_threshold": 0.45,
                "max_detections": 10,
                "background": 0,
                "activation": "none",  # the softmax runs in the graph
            },
            "boxes",
        ),
    }


DEMOS = _demos()


def builtin_names() -> dict[str, str]:
    """Name -> one-line description of every built-in model."""
    return {
        "digits-cnn": "the seed article's SimpleCNN (fixed), trained on scikit-learn digits",
        "digits-cnn-small": "a ~5k-parameter CNN, untrained: a distillation student",
        **{name: d.description for name, d in DEMOS.items()},
    }


def builtin_spec_defaults(name: str) -> dict:
    """What ``builtin:NAME`` declares that a recipe would otherwise have to: ``inputs``
    (``[model] inputs`` entries: names, shapes, dtypes, id ranges), ``task``,
    ``postprocess`` (a detector's ``[model] postprocess``), ``output`` (the task output's
    name, when not the first) and ``preprocess`` (``[preprocess]`` keys, e.g. a table's
    standardisation). Empty for a model with nothing to declare (the digits CNNs). A recipe's
    own keys win over these."""
    demo = DEMOS.get(name)
    if demo is None:
        return {}
    out: dict = {"inputs": [dict(i) for i in demo.inputs], "task": demo.task}
    if demo.postprocess:
        out["postprocess"] = dict(demo.postprocess)
    if demo.output:
        out["output"] = demo.output
    if name == "breast-cancer-mlp":
        from deploy_studio.core.data.builtin_sets import breast_cancer_tabular

        out["preprocess"] = {"tabular": breast_cancer_tabular()}
    return out


def builtin_preprocess(name: str, guess: Preprocess) -> tuple[Preprocess, str] | None:
    """The preprocessing a built-in model was trained with, and where that is said."""
    if (
        name in ("digits-cnn", "digits-cnn-small")
        and list(guess.size) == DIGITS_SHAPE[2:]
        and guess.channels == 1
    ):
        return Preprocess.for_input_shape(
            DIGITS_SHAPE
        ), f"builtin:{name} (trained with these MNIST statistics)"
    demo = DEMOS.get(name)
    if demo is not None and demo.inputs[0]["dtype"] == "float32" and guess.channels == 1:
        shape = demo.inputs[0]["shape"]
        if Preprocess.image_dims(shape) and list(guess.size) == shape[2:]:
            return Preprocess.for_input_shape(shape), (
                f"builtin:{name} (trained on builtin:{demo.data} with these MNIST statistics)"
            )
    return None


def builtin_trained_on(name: str) -> str | None:
    """The data source a built-in model was trained on (None when untrained)."""
    if name in DEMOS:
        return f"builtin:{DEMOS[name].data}"
    return "builtin:digits" if name == "digits-cnn" else None


def load_builtin(
    name: str, reporter: Reporter = NULL_REPORTER
) -> tuple[torch.nn.Module, list[int], list[str], list[str]]:
    """Return (module, input_shape, labels, notes) for ``builtin:NAME``."""
    if name == "digits-cnn":
        model, note = _trained_digits_cnn(reporter)
        return model, list(DIGITS_SHAPE), list(DIGITS_LABELS), [note]
    if name == "digits-cnn-small":
        torch.manual_seed(0)
        return (
            DigitsCNNSmall().eval(),
            list(DIGITS_SHAPE),
            list(DIGITS_LABELS),
            ["untrained: use it as a distill student (random init, seed 0)"],
        )
    if name in DEMOS:
        demo = DEMOS[name]
        model, note = _cached(name, demo.factory, _trainer(demo.train), reporter)
        return model, list(demo.inputs[0]["shape"]), list(demo.labels), [note]
    raise ModelLoadError(
        f"unknown built-in model {name!r}",
        "built-in models: " + ", ".join(f"builtin:{n}" for n in builtin_names()),
    )


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trainer(fn: str) -> Callable:
    from deploy_studio.core.models import demo_training

    return getattr(demo_training, fn)


def _trained_digits_cnn(reporter: Reporter) -> tuple[torch.nn.Module, str]:
    return _cached("digits-cnn", DigitsCNN, train_digits_cnn, reporter)


def _cached(
    name: str, factory: Callable[[], torch.nn.Module], train: Callable, reporter: Reporter
) -> tuple[torch.nn.Module, str]:
    """``builtin:NAME`` with its cached weights (checksummed), trained and cached when the
    cache is missing, corrupt or of an older :data:`TRAIN_VERSION`."""
    data = DEMOS[name].data if name in DEMOS else "digits"
    folder = cache_dir() / "models"
    weights = folder / f"{name}-v{TRAIN_VERSION}.pt"
    meta = folder / f"{name}-v{TRAIN_VERSION}.json"
    torch.manual_seed(0)
    model = factory()
    if weights.exists() and meta.exists():
        try:
            info = json.loads(meta.read_text())
            if info.get("sha256") == _digest(weights):
                model.load_state_dict(torch.load(weights, weights_only=True, map_location="cpu"))
                return model.eval(), f"trained on builtin:{data}, cached at {weights}" + _figures(
                    info
                )
            reporter.log(f"cached weights {weights} are corrupt: retraining")
        except Exception as e:  # noqa: BLE001 - any unreadable cache means retrain
            reporter.log(f"cached weights {weights} unreadable ({e}): retraining")
    info = train(model, reporter)
    info["version"] = TRAIN_VERSION
    with atomic_path(weights) as tmp:
        torch.save(model.state_dict(), tmp)
    info["sha256"] = _digest(weights)
    write_text_atomic(meta, json.dumps(info, indent=2))
    return model.eval(), f"trained on builtin:{data} just now, cached at {weights}" + _figures(info)


def _figures(info: dict) -> str:
    held = info.get("held_out") or {}
    if not held:
        return ""
    shown = ", ".join(f"{k} {v:.1%}" for k, v in held.items() if isinstance(v, float))
    return f" (held-out {shown})"


def train_digits_cnn(model: torch.nn.Module, reporter: Reporter = NULL_REPORTER) -> dict:
    """Train ``model`` deterministically on the training half of builtin:digits."""
    from deploy_studio.core.data.datasets import load_dataset
    from deploy_studio.core.training import fit

    ds = load_dataset("builtin:digits", Preprocess.for_input_shape(DIGITS_SHAPE))
    n = len(ds)
    train_idx, eval_idx = ds.split(0, n // 2)  # never train on anything an eval split can hold
    x, y = ds.tensors(train_idx)
    xe, ye = ds.tensors(eval_idx)
    torch.manual_seed(0)
    fresh = DigitsCNN()
    model.load_state_dict(fresh.state_dict())
    with _deterministic():
        history = fit(
            model,
            x,
            y,
            epochs=TRAIN_EPOCHS,
            lr=1e-3,
            batch_size=32,
            seed=0,
            eval_data=(xe, ye),
            stage="train builtin:digits-cnn",
            reporter=reporter,
        )
    return {"version": TRAIN_VERSION, "train_samples": len(train_idx), "history": history}


def _deterministic():
    from deploy_studio.core.models.demo_training import deterministic

    return deterministic()
