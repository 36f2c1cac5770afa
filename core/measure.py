"""Measurements: latency distribution (warm-up, fixed threads, percentiles), accuracy on held-out
data and parity of an artifact, run in its own runtime, against the original model."""

from __future__ import annotations

import time

import numpy as np

from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.runtimes.base import Runner

CI_TARGET = 0.02  # stop timing once the p50's 95% confidence interval is within +-2%
MAX_RUN_FACTOR = 8  # ... or after 8x the requested runs
MAX_EXTRA_SECONDS = 10.0  # ... or after this much extra timing
PROGRESS_SECONDS = 0.25  # a long benchmark reports progress (and sees a cancel) this often
SNR_CAP_DB = 150.0  # identical outputs: reported as this many dB (JSON has no infinity)


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


def median_ci(samples_ms: list[float], z: float = 1.96) -> tuple[float, float] | None:
    """A distribution-free 95% confidence interval of the median (binomial order statistics).

    Timings are skewed and have outliers (other processes, frequency changes), so no normal
    approximation: the interval is the pair of order statistics ``n/2 -+ z*sqrt(n)/2``.
    """
    a = np.sort(np.asarray(samples_ms, dtype=np.float64))
    n = a.size
    if n < 3:
        return None
    half = z * np.sqrt(n) / 2.0
    lo = max(0, int(np.floor(n / 2.0 - half)) - 1)
    hi = min(n - 1, int(np.ceil(n / 2.0 + half)))
    return float(a[lo]), float(a[hi])


def ci_relative(ci: tuple[float, float] | None, p50: float | None) -> float | None:
    """Half-width of the interval relative to the p50 (0.02 = +-2%)."""
    if ci is None or not p50:
        return None
    return (ci[1] - ci[0]) / 2.0 / p50


def measure_latency(
    runner: Runner,
    x,
    *,
    warmup: int,
    runs: int,
    threads: int,
    reporter: Reporter,
    ci_target: float | None = CI_TARGET,
) -> dict:
    """Time single-input calls after ``warmup`` untimed ones, until the p50 is known.

    ``runs`` timed calls first; then, while the 95% confidence interval of the p50 is wider
    than ``ci_target`` (relative half-width), more batches of ``runs`` calls, up to
    ``MAX_RUN_FACTOR * runs`` calls or ``MAX_EXTRA_SECONDS`` of extra timing. The interval is
    reported either way (``p50_ci``, ``ci_rel``, ``stable``), so a gate close to the p50 can
    be called uncertain instead of passed or failed on noise.

    ``x`` is one input array or a list of one array per input (each batch 1).

    Streams the samples so far as ``latency`` events so charts can update live. Returns
    ``{p10, p50, p90, mean, runs, requested_runs, threads, warmup, p50_ci, ci_rel, stable,
    samples_ms}``.
    """
    inputs = list(x) if isinstance(x, (list, tuple)) else [x]
    for i in range(warmup):
        runner.run_all(inputs)
        if i % 5 == 0:
            reporter.progress("benchmark (warm-up)", i / max(warmup, 1) * 0.1)
    samples: list[float] = []
    every = max(1, runs // 10)
    limit = runs * MAX_RUN_FACTOR if ci_target else runs
    extra_started = None
    last = time.perf_counter()
    while True:
        for i in range(runs):
            t0 = time.perf_counter()
            runner.run_all(inputs)
            t1 = time.perf_counter()
            samples.append((t1 - t0) * 1000.0)
            tenth = (i + 1) % every == 0 or i + 1 == runs
            if tenth or t1 - last > PROGRESS_SECONDS:  # cancel and the bar: not only per 10 %
                last = t1
                reporter.progress("benchmark", 0.1 + 0.9 * min(1.0, len(samples) / runs))
            if tenth:
                reporter.emit(
                    Event(
                        "latency",
                        stage="benchmark",
                        data={"samples_ms": list(samples), **percentiles(samples)},
                    )
                )
        stats = percentiles(samples)
        rel = ci_relative(median_ci(samples), stats["p50"])
        if not ci_target or (rel is not None and rel <= ci_target) or len(samples) >= limit:
            break
        extra_started = extra_started or time.perf_counter()
        if time.perf_counter() - extra_started > MAX_EXTRA_SECONDS:
            break
    stats = percentiles(samples)
    ci = median_ci(samples)
    rel = ci_relative(ci, stats["p50"])
    return {
        **stats,
        "runs": len(samples),
        "requested_runs": runs,
        "threads": threads,
        "warmup": warmup,
        "p50_ci": list(ci) if ci else None,
        "ci_rel": rel,
        "stable": bool(rel is not None and ci_target is not None and rel <= ci_target),
        "samples_ms": samples,
    }


def run_outputs(runner: Runner, xs, reporter: Reporter, stage: str = "evaluate"):
    """Outputs for every sample, one batch-1 call each (artifacts are specialised to batch 1).

    ``xs`` is one array of samples (a single-input model: returns the stacked task output,
    ``[N, ...]``) or a list with one array of samples per input (returns one stacked array
    per flattened output).
    """
    many = isinstance(xs, (list, tuple))
    inputs = list(xs) if many else [xs]
    outs: list[list[np.ndarray]] = []
    n = len(inputs[0])
    every = max(1, n // 20)
    for i in range(n):
        flat = runner.run_all([a[i : i + 1] for a in inputs])
        outs.append([o[0] if o.ndim and o.shape[0] == 1 else o for o in flat])
        if (i + 1) % every == 0:
            reporter.progress(stage, (i + 1) / n)
    if not outs:
        count = len(runner.signature.outputs) if runner.signature is not None else 1
        stacked = [np.zeros((0, 0), dtype=np.float32)] * max(1, count)
    else:
        stacked = [np.stack([o[k] for o in outs]) for k in range(len(outs[0]))]
    return stacked if many else stacked[min(runner.task_index, len(stacked) - 1)]


def accuracy_of(outputs: np.ndarray, labels: np.ndarray | None) -> dict:
    """``{"top1": fraction or None, "samples": n}`` (None when the data has no labels)."""
    n = len(outputs)
    if labels is None or n == 0:
        return {"top1": None, "samples": n}
    return {"top1": float((outputs.argmax(1) == labels).mean()), "samples": n}


def degenerate_outputs(reference: np.ndarray) -> str | None:
    """Why the original model's outputs cannot be compared with, or None when they can.

    A model with random or untrained weights (or a broken one) often gives every class the
    same score (e.g. every logit 1e-15): top-1 is then a tie broken by index, and "agreement"
    with it means nothing.
    """
    ref = np.asarray(reference, dtype=np.float64)
    if ref.size == 0:
        return None
    rows = ref.reshape(len(ref), -1)
    if not np.isfinite(rows).all():
        return "the original model's outputs contain NaN or infinity"
    spread = rows.max(1) - rows.min(1)
    tied = spread <= 1e-6 * (1.0 + np.abs(rows).max(1))
    if tied.mean() > 0.5:
        return (
            f"the original model gives every output the same value on {tied.mean():.0%} of the "
            "samples (random or untrained weights?): agreement with it is meaningless"
        )
    return None


def snr_db(outputs: np.ndarray, reference: np.ndarray) -> float:
    """Signal-to-noise ratio of ``outputs`` against ``reference`` in dB (capped at SNR_CAP_DB)."""
    ref = np.asarray(reference, dtype=np.float64)
    err = np.asarray(outputs, dtype=np.float64) - ref
    noise = float((err**2).sum())
    signal = float((ref**2).sum())
    if noise <= 0.0:
        return SNR_CAP_DB
    if signal <= 0.0:
        return -SNR_CAP_DB
    return float(max(-SNR_CAP_DB, min(SNR_CAP_DB, 10.0 * np.log10(signal / noise))))


def parity_of(outputs: np.ndarray, reference: np.ndarray) -> dict:
    """How closely an artifact reproduces the original model on the same samples.

    ``max_abs_diff`` (largest output difference), ``top1_agreement`` (fraction of samples with
    the same top-1), ``snr_db`` (output signal-to-noise ratio). When the original's outputs
    are degenerate (see :func:`degenerate_outputs`), agreement and SNR are None and
    ``meaningful`` is False with the reason in ``note``.
    """
    n = len(outputs)
    if n == 0:
        return {
            "max_abs_diff": None,
            "top1_agreement": None,
            "snr_db": None,
            "samples": 0,
            "meaningful": False,
            "note": "no held-out samples",
        }
    diff = np.abs(np.asarray(outputs, dtype=np.float64) - np.asarray(reference, dtype=np.float64))
    max_diff = float(diff.max()) if np.isfinite(diff).all() else None
    why = degenerate_outputs(reference)
    if why is None and not np.isfinite(outputs).all():
        why = "the artifact's outputs contain NaN or infinity"
        return {
            "max_abs_diff": None,
            "top1_agreement": 0.0,
            "snr_db": -SNR_CAP_DB,
            "samples": n,
            "meaningful": True,
            "note": why,
        }
    if why is not None:
        return {
            "max_abs_diff": max_diff,
            "top1_agreement": None,
            "snr_db": None,
            "samples": n,
            "meaningful": False,
            "note": why,
        }
    out2, ref2 = outputs.reshape(n, -1), reference.reshape(n, -1)
    return {
        "max_abs_diff": max_diff,
        "top1_agreement": float((out2.argmax(1) == ref2.argmax(1)).mean()),
        "snr_db": round(snr_db(outputs, reference), 2),
        "samples": n,
        "meaningful": True,
    }


def cosine_similarity(outputs: np.ndarray, reference: np.ndarray) -> float:
    """Mean cosine similarity of each sample's output with the reference's (1.0 when both
    are zero, 0.0 when only one is)."""
    n = len(reference)
    a = np.asarray(outputs, dtype=np.float64).reshape(n, -1)
    b = np.asarray(reference, dtype=np.float64).reshape(n, -1)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    both = (na == 0) & (nb == 0)
    cos = np.where(both, 1.0, (a * b).sum(1) / np.maximum(na * nb, 1e-300))
    return float(np.clip(cos, -1.0, 1.0).mean())


def output_parity(outputs: np.ndarray, reference: np.ndarray) -> dict:
    """One named output's figures: ``max_abs_diff``, ``snr_db``, ``cosine``, ``samples``
    (None where the outputs are not finite)."""
    n = len(outputs)
    if n == 0:
        return {"max_abs_diff": None, "snr_db": None, "cosine": None, "samples": 0}
    out = np.asarray(outputs, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    if not (np.isfinite(out).all() and np.isfinite(ref).all()):
        return {"max_abs_diff": None, "snr_db": None, "cosine": None, "samples": n}
    return {
        "max_abs_diff": float(np.abs(out - ref).max()) if out.size else 0.0,
        "snr_db": round(snr_db(out, ref), 2),
        "cosine": round(cosine_similarity(out, ref), 6),
        "samples": n,
    }


def outputs_parity(
    outputs: list[np.ndarray], references: list[np.ndarray], names: list[str]
) -> dict[str, dict]:
    """:func:`output_parity` of every named output."""
    return {
        name: output_parity(o, r) for name, o, r in zip(names, outputs, references, strict=True)
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
