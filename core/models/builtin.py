"""Built-in demo models: ``builtin:digits-cnn`` (trained, cached) and ``builtin:digits-cnn-small``.

``digits-cnn`` is trained deterministically on the training side of scikit-learn's digits
(upsampled to 28x28) the first time it is asked for, then cached in the user cache dir. A
missing or corrupt cache file is retrained; a checksum beside the weights detects corruption.
"""

from __future__ import annotations

import hashlib
import json

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


def builtin_names() -> dict[str, str]:
    """Name -> one-line description of every built-in model."""
    return {
        "digits-cnn": "the seed article's SimpleCNN (fixed), trained on scikit-learn digits",
        "digits-cnn-small": "a ~5k-parameter CNN, untrained: a distillation student",
    }


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
    return None


def builtin_trained_on(name: str) -> str | None:
    """The data source a built-in model was trained on (None when untrained)."""
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
    raise ModelLoadError(
        f"unknown built-in model {name!r}",
        "built-in models: " + ", ".join(f"builtin:{n}" for n in builtin_names()),
    )


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trained_digits_cnn(reporter: Reporter) -> tuple[torch.nn.Module, str]:
    folder = cache_dir() / "models"
    weights = folder / f"digits-cnn-v{TRAIN_VERSION}.pt"
    meta = folder / f"digits-cnn-v{TRAIN_VERSION}.json"
    model = DigitsCNN()
    if weights.exists() and meta.exists():
        try:
            info = json.loads(meta.read_text())
            if info.get("sha256") == _digest(weights):
                model.load_state_dict(torch.load(weights, weights_only=True, map_location="cpu"))
                return model.eval(), f"trained on scikit-learn digits, cached at {weights}"
            reporter.log(f"cached weights {weights} are corrupt: retraining")
        except Exception as e:  # noqa: BLE001 - any unreadable cache means retrain
            reporter.log(f"cached weights {weights} unreadable ({e}): retraining")
    info = train_digits_cnn(model, reporter)
    with atomic_path(weights) as tmp:
        torch.save(model.state_dict(), tmp)
    info["sha256"] = _digest(weights)
    write_text_atomic(meta, json.dumps(info, indent=2))
    return model.eval(), f"trained on scikit-learn digits just now, cached at {weights}"


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


class _deterministic:
    def __enter__(self):
        self._threads = torch.get_num_threads()
        self._det = torch.are_deterministic_algorithms_enabled()
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)

    def __exit__(self, *exc):
        torch.set_num_threads(self._threads)
        torch.use_deterministic_algorithms(self._det)
