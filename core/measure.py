"""Measurements: latency distribution (warm-up, fixed threads, percentiles), accuracy on held-out
data and parity of an artifact, run in its own runtime, against the original model."""

from __future__ import annotations

import time

import numpy as np

from core.progress import Event, Reporter
from core.runtimes.base import Runner


def percentiles(samples_ms: list[float]) -> dict:
    a = np.asarray(samples_ms, dtype=np.float64)
    if a.size == 0:
        return {"p10": None, "p50": None, "p90": None, "mean": None}
    return {
        "p10": float(np.percentile(a, 10)),
        "p50": float(np.percentile(a, 50)),
        "p90": float(np.percentile(a, 90)),
        "mean": float(a.mean()),
    }


def measure_latency(runner: Runner, x: np.ndarray, *, warmup: int, runs: int, threads: int, reporter: Reporter) -> dict:
    """Time ``runs`` single-input calls after ``warmup`` untimed ones.

    Streams the samples so far as ``latency`` events (about ten per benchmark) so charts can
    update live. Returns ``{p10, p50, p90, mean, runs, threads, warmup, samples_ms}``.
    """
    for i in range(warmup):
        runner.run(x)
        if i % 5 == 0:
            reporter.progress("benchmark (warm-up)", i / max(warmup, 1) * 0.1)
    samples: list[float] = []
    every = max(1, runs // 10)
    for i in range(runs):
        t0 = time.perf_counter()
        runner.run(x)
        samples.append((time.perf_counter() - t0) * 1000.0)
        if (i + 1) % every == 0 or i + 1 == runs:
            reporter.progress("benchmark", 0.1 + 0.9 * (i + 1) / runs)
            reporter.emit(Event("latency", stage="benchmark", data={"samples_ms": list(samples), **percentiles(samples)}))
    return {**percentiles(samples), "runs": runs, "threads": threads, "warmup": warmup, "samples_ms": samples}


def run_outputs(runner: Runner, xs: np.ndarray, reporter: Reporter, stage: str = "evaluate") -> np.ndarray:
    """Outputs for every sample, one batch-1 call each (artifacts are specialised to batch 1)."""
    outs = []
    n = len(xs)
    every = max(1, n // 20)
    for i in range(n):
        outs.append(runner.run(xs[i : i + 1])[0])
        if (i + 1) % every == 0:
            reporter.progress(stage, (i + 1) / n)
    return np.stack(outs) if outs else np.zeros((0, 0), dtype=np.float32)


def accuracy_of(outputs: np.ndarray, labels: np.ndarray | None) -> dict:
    """``{"top1": fraction or None, "samples": n}`` (None when the data has no labels)."""
    n = int(len(outputs))
    if labels is None or n == 0:
        return {"top1": None, "samples": n}
    return {"top1": float((outputs.argmax(1) == labels).mean()), "samples": n}


def parity_of(outputs: np.ndarray, reference: np.ndarray) -> dict:
    """Max abs logit difference and top-1 agreement against the original model's outputs."""
    n = int(len(outputs))
    if n == 0:
        return {"max_abs_diff": None, "top1_agreement": None, "samples": 0}
    return {
        "max_abs_diff": float(np.abs(outputs - reference).max()),
        "top1_agreement": float((outputs.argmax(1) == reference.argmax(1)).mean()),
        "samples": n,
    }


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def topk(logits: np.ndarray, labels: list[str], k: int = 3) -> list[tuple[str, float]]:
    """Top-k (label, probability) of one logits vector."""
    p = softmax(np.asarray(logits, dtype=np.float64))
    idx = np.argsort(-p)[:k]
    return [(labels[i] if i < len(labels) else str(i), float(p[i])) for i in idx]
