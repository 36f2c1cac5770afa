"""Small, deterministic training loops shared by the built-in demo, finetuning and distillation."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from core.progress import NULL_REPORTER, Reporter


def accuracy(model: Callable, x: torch.Tensor, y: torch.Tensor, batch_size: int = 256) -> float:
    """Top-1 accuracy (0..1) of an eager model on tensors."""
    if len(x) == 0:
        return float("nan")
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            correct += int((model(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum())
    return correct / len(x)


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
    """
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
