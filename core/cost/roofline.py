"""A variant's cost on this host's roofline.

The report row's ``cost`` is ``{flops, weight_bytes, gflops_per_s, intensity, bound, of_peak,
method}``: ``gflops_per_s`` = FLOPs / p50, ``intensity`` = FLOPs / weight bytes (the weights
are the traffic counted: activations are left out, so a model with large activations is more
memory-bound than it looks). ``bound`` compares the intensity with the host's balance (peak
GFLOP/s / GB/s): below it the weights cannot stream in fast enough to keep the arithmetic
busy ("memory"), above it the arithmetic is the limit ("compute"). ``of_peak`` is the achieved
rate over the attainable one, ``min(peak, intensity x bandwidth)``.
"""

from __future__ import annotations


def variant_cost(flops: int | None, weight_bytes: int | None, p50_ms: float | None, method: str):
    """The row's ``cost`` before the host's limits are known (``bound``/``of_peak`` None);
    None without FLOPs or a latency."""
    if not flops or not p50_ms:
        return None
    gflops = flops / (p50_ms * 1e-3) / 1e9
    return {
        "flops": int(flops),
        "weight_bytes": int(weight_bytes) if weight_bytes is not None else None,
        "gflops_per_s": float(f"{gflops:.5g}"),
        "intensity": round(flops / weight_bytes, 3) if weight_bytes else None,
        "bound": None,
        "of_peak": None,
        "method": method,
    }


def roofline(cost: dict | None, limits: dict | None) -> dict | None:
    """``cost`` with ``bound`` and ``of_peak`` set from the host's ``limits`` (a copy)."""
    if not cost or not limits:
        return cost
    peak, bandwidth = limits.get("peak_gflops"), limits.get("bandwidth_gbs")
    intensity = cost.get("intensity")
    out = dict(cost)
    if not peak or not bandwidth or intensity is None:
        return out
    balance = peak / bandwidth  # FLOPs per byte at which memory and compute limits meet
    attainable = min(peak, intensity * bandwidth)
    out["bound"] = "memory" if intensity < balance else "compute"
    out["of_peak"] = float(f"{cost['gflops_per_s'] / attainable:.4g}") if attainable else None
    return out
