"""The suite's data and its trained models, trained once and cached.

Data: MNIST's 10,000 test images (``../shared/data/mnist``, IDX files) through the engine's
own ``mnist:DIR`` source, resized to SIZE x SIZE and replicated to 3 channels, normalised with
MNIST's statistics, split by the engine's seeded split (``eval_samples`` held out, the rest
trains); scikit-learn's digits (``builtin:digits``) where that folder is absent. Because the
split and the preprocessing are the engine's, ``tune`` evaluates on exactly the held-out
images the models never saw.

Models are trained on CPU with core.training.fit (Adam, one torch thread, BatchNorm
recalibrated) and cached under the user cache dir (``DEPLOY_STUDIO_CACHE`` overrides it) as a
state_dict, keyed by architecture, data hash, epochs, training size and seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
MNIST_DIR = HERE.parent.parent / "shared" / "data" / "mnist"
SEED = 0

ARCHS: dict[str, dict] = {  # key -> model source, constructor arguments, epochs, learning rate
    "mobilenet_v3_small": {
        "source": "torchvision:mobilenet_v3_small",
        "init_args": {"num_classes": 10},
        "epochs": 6,
        "lr": 1e-3,
    },
    "shufflenet_v2": {
        "source": "torchvision:shufflenet_v2_x0_5",
        "init_args": {"num_classes": 10},
        "epochs": 6,
        "lr": 2e-3,
    },
    "resnet18": {
        "source": "torchvision:resnet18",
        "init_args": {"num_classes": 10},
        "epochs": 4,
        "lr": 1e-3,
    },
    "vit_small": {
        "source": f"{HERE / 'suite_models.py'}:SmallViT",
        "init_args": {"width": 1.0},  # named, so tune's narrower student can scale it
        "epochs": 10,
        "lr": 1e-3,
    },
}


@dataclass
class SuiteData:
    """The engine's data spec and preprocessing for the suite, and the split it yields."""

    source: str
    description: str
    data: dict  # the recipe's [data] table
    preprocess: dict  # the recipe's [preprocess] table
    size: int
    session: object  # core.session.Session (dataset, train_idx, eval_idx, preprocessing)
    train_limit: int | None  # train on the first N of the training side (None: all)

    def train_tensors(self):
        idx = self.session.train_idx
        idx = idx[: self.train_limit] if self.train_limit else idx
        return self.session.dataset.tensors(idx)

    def eval_tensors(self):
        return self.session.dataset.tensors(self.session.eval_idx)

    def calibration(self):
        """The first ``calibration_samples`` of the training side (as the engine takes them)."""
        n = self.data["calibration_samples"]
        x, _ = self.session.dataset.tensors(self.session.train_idx[:n])
        return x

    def digest(self) -> str:
        ds, s = self.session.dataset, self.session
        h = hashlib.sha256()
        for idx in (s.train_idx, s.eval_idx):
            h.update(np.ascontiguousarray(ds.images[idx]).tobytes())
            h.update(np.ascontiguousarray(ds.labels[idx]).tobytes())
        h.update(json.dumps(self.preprocess, sort_keys=True).encode())
        return h.hexdigest()[:16]


def model_spec(key: str, size: int, weights: Path | None = None):
    from deploy_studio.core.models import ModelSpec

    a = ARCHS[key]
    init = dict(a["init_args"] or {})
    if key == "vit_small":
        init["image_size"] = size
    return ModelSpec(
        a["source"],
        weights=str(weights) if weights else None,
        input_shape=[1, 3, size, size],
        init_args=init or None,
    )


def load_data(data_arg: str | None, size: int, quick: bool) -> SuiteData:
    """MNIST from ``data_arg`` (default ../shared/data/mnist), or digits when it is absent
    (or ``data_arg == "digits"``)."""
    from deploy_studio.core.models import load_model
    from deploy_studio.core.recipe import DataSpec
    from deploy_studio.core.session import build_session

    folder = Path(data_arg).expanduser() if data_arg and data_arg != "digits" else MNIST_DIR
    use_mnist = data_arg != "digits" and folder.is_dir()
    if use_mnist:
        source = f"mnist:{folder}"
        data = {"source": source, "calibration_samples": 64 if quick else 256}
        data["eval_samples"] = 500 if quick else 2000
        train_limit = 2000 if quick else None
    else:
        source = "builtin:digits"
        data = {"source": source, "calibration_samples": 64 if quick else 256, "eval_samples": 500}
        train_limit = None
    pre = {"mean": [0.1307] * 3, "std": [0.3081] * 3, "resize": "stretch"}
    pre["interpolation"] = "bilinear"
    # the data stage needs a model for its input shape only: the lightest suite architecture
    model = load_model(model_spec("mobilenet_v3_small", size))
    session = build_session(model, DataSpec(**data), pre)
    n = len(session.dataset)
    n_train = min(train_limit or n, len(session.train_idx))
    what = (
        f"MNIST t10k from {folder} ({n} images)"
        if use_mnist
        else f"scikit-learn digits ({n} images; {MNIST_DIR} is absent"
        + (")" if data_arg != "digits" else ", or --data digits)")
    )
    description = (
        f"{what}: {n_train} train / {len(session.eval_idx)} held-out (engine split, seeded), "
        f"upsampled to 3x{size}x{size}"
    )
    return SuiteData(source, description, data, pre, size, session, train_limit)


def _printer(prefix: str):
    from deploy_studio.core.progress import Reporter

    def on_event(e):
        if e.kind == "log" and e.message:
            print(f"    {prefix}: {e.message}", flush=True)

    return Reporter(on_event)


def trained(key: str, sd: SuiteData, epochs: int) -> tuple[Path, dict]:
    """The state_dict file of ``key`` trained on ``sd`` (from the cache when there), and
    its training record: epochs, seconds, held-out accuracy, cached or not."""
    import torch

    from deploy_studio.core.fsutil import cache_dir
    from deploy_studio.core.models import load_model
    from deploy_studio.core.training import fit

    n_train = len(sd.train_tensors()[1])
    tag = f"{key}-{sd.size}-{sd.digest()}-e{epochs}-n{n_train}-s{SEED}"
    folder = cache_dir() / "suite-models"
    folder.mkdir(parents=True, exist_ok=True)
    path, meta_path = folder / f"{tag}.pt", folder / f"{tag}.json"
    if path.is_file() and meta_path.is_file():
        torch.load(path, weights_only=True)  # a damaged cache entry fails here, not later
        return path, {**json.loads(meta_path.read_text()), "cached": True}
    module = load_model(model_spec(key, sd.size)).module
    x, y = sd.train_tensors()
    started = time.perf_counter()
    history = fit(
        module,
        x,
        y,
        epochs=epochs,
        lr=ARCHS[key]["lr"],
        seed=SEED,
        eval_data=sd.eval_tensors(),
        stage=f"train {key}",
        reporter=_printer(key),
    )
    seconds = time.perf_counter() - started
    tmp = path.with_suffix(".pt.tmp")
    torch.save(module.state_dict(), tmp)
    os.replace(tmp, path)
    meta = {
        "epochs": epochs,
        "train_samples": n_train,
        "seconds": round(seconds, 1),
        "eval_accuracy": history[-1].get("eval_accuracy") if history else None,
        "history": history,
    }
    tmp = meta_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(meta, indent=2))
    os.replace(tmp, meta_path)
    return path, {**meta, "cached": False}
