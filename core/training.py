"""Small, deterministic training loops shared by the built-in demo, finetuning and distillation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from deploy_studio.core.progress import NULL_REPORTER, Reporter


def accuracy(model: Callable, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy (0..1) of an eager model on tensors."""
    if len(x) == 0:
        return float("nan")
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            correct += int((model(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum())
    return correct / len(x)


# Training runs with one torch thread: a float sum's order depends on the thread count, so a
# finetuned or distilled model (and every number measured on it) would otherwise differ from one
# machine to the next. The finetunes and distillations of a recipe are small.
TRAIN_THREADS = 1


def batchnorm_layers(model: torch.nn.Module) -> list[Any]:
    """The BatchNorm layers of ``model`` (1d, 2d, 3d and SyncBatchNorm) that track statistics."""
    from torch.nn.modules.batchnorm import _BatchNorm

    return [m for m in model.modules() if isinstance(m, _BatchNorm) and m.track_running_stats]


RECALIBRATION_CAP = 1024  # samples: enough for stable means/variances, bounded time


def recalibrate_batchnorm(
    model: torch.nn.Module,
    x: torch.Tensor,
    *,
    batch_size: int = 64,
    reporter: Reporter = NULL_REPORTER,
    stage: str = "recalibrate BatchNorm",
) -> int:
    """Recompute every BatchNorm layer's running mean/variance from ``x``; return how many.

    Pruning changes the channels feeding each BatchNorm, and finetuning moves the weights,
    but a BatchNorm's running statistics only follow slowly (torchvision uses momentum 0.01):
    evaluated with stale statistics, a model that trains well scores near chance. One pass
    over real training-side samples, with a cumulative average (``momentum=None``), puts the
    statistics back in step with the weights. Only the BatchNorm layers are put in training
    mode (dropout stays off); no weight changes. The model is left in eval mode.
    """
    layers = batchnorm_layers(model)
    if not layers or len(x) == 0:
        return 0
    x = x[:RECALIBRATION_CAP]
    momenta = [m.momentum for m in layers]
    model.eval()
    for m in layers:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    steps = max(1, (len(x) + batch_size - 1) // batch_size)
    from deploy_studio.core.runtimes.threads import thread_scope

    try:
        with torch.no_grad(), thread_scope(TRAIN_THREADS):
            for b in range(steps):
                chunk = x[b * batch_size : (b + 1) * batch_size]
                if len(chunk) < 2 and b:  # a batch of one gives no variance: fold into the last
                    break
                model(chunk)
                reporter.progress(stage, (b + 1) / steps)
    finally:
        for m, momentum in zip(layers, momenta, strict=True):
            m.momentum = momentum
        model.eval()
    return len(layers)


def fit(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    seed: int = 0,
    teacher: Callable | None = None,
    temperature: float = 4.0,
    alpha: float = 0.7,
    eval_data: tuple[torch.Tensor, torch.Tensor] | None = None,
    stage: str = "train",
    reporter: Reporter = NULL_REPORTER,
) -> list[dict]:
    """Train ``model`` in place with Adam; with ``teacher``, use the KD loss.

    KD loss = ``alpha * T^2 * KL(softmax(s/T) || softmax(t/T)) + (1 - alpha) * CE(s, y)``.
    Reports progress per batch and, per epoch, the mean loss and held-out accuracy
    (``eval_data``). Returns one dict per epoch. Checks cancellation between batches.

    BatchNorm layers train in training mode (batch statistics) and their running statistics
    are recalibrated on ``x`` at the end of every epoch (:func:`recalibrate_batchnorm`), so
    the held-out accuracy and the returned model use statistics that match the new weights.
    """
    from deploy_studio.core.runtimes.threads import thread_scope

    with thread_scope(TRAIN_THREADS):
        return _fit(
            model,
            x,
            y,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            teacher=teacher,
            temperature=temperature,
            alpha=alpha,
            eval_data=eval_data,
            stage=stage,
            reporter=reporter,
        )


def _fit(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    teacher: Callable | None,
    temperature: float,
    alpha: float,
    eval_data: tuple[torch.Tensor, torch.Tensor] | None,
    stage: str,
    reporter: Reporter,
) -> list[dict]:
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history: list[dict] = []
    n = len(x)
    steps = max(1, (n + batch_size - 1) // batch_size)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for b in range(steps):
            idx = order[b * batch_size : (b + 1) * batch_size]
            xb, yb = x[idx], y[idx]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            if teacher is not None:
                with torch.no_grad():
                    t_logits = teacher(xb)
                kd = F.kl_div(
                    F.log_softmax(out / temperature, dim=1),
                    F.softmax(t_logits / temperature, dim=1),
                    reduction="batchmean",
                ) * (temperature**2)
                loss = alpha * kd + (1 - alpha) * loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            reporter.progress(stage, (epoch + (b + 1) / steps) / max(epochs, 1))
        recalibrate_batchnorm(model, x, reporter=reporter, stage=f"{stage} (BatchNorm statistics)")
        model.eval()
        row = {"epoch": epoch + 1, "loss": total / steps}
        if eval_data is not None and len(eval_data[0]):
            row["eval_accuracy"] = accuracy(model, *eval_data)
        history.append(row)
        msg = f"epoch {epoch + 1}/{epochs}: loss {row['loss']:.4f}"
        if "eval_accuracy" in row:
            msg += f", held-out accuracy {row['eval_accuracy']:.2%}"
        reporter.log(msg, stage)
    model.eval()
    return history
