"""This host's limits, measured once per process and thread count: peak GFLOP/s and memory
bandwidth (the roofline's two ceilings, :mod:`.roofline`).

Peak: the best of several timed fp32 ``torch.mm`` of two 1024x1024 matrices (2 * 1024^3
FLOPs) after a warm-up, at the headline thread count. Bandwidth: the best of several reads
of a 64 MiB float32 tensor (``torch.sum``: the weights of an inference are read, not
written), same threads. Together a few tenths of a second; both are best-case figures (other
processes on a shared host only lower the measured rate). A model whose weights fit in this
host's caches can read them faster than the 64 MiB stream: its ``of_peak`` can exceed 1.
"""

from __future__ import annotations

import time

MATMUL_N = 1024
READ_BYTES = 64 * 1024 * 1024
REPEATS = 6

_CACHE: dict[int, dict] = {}


def _best_seconds(fn, repeats: int = REPEATS, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_host_limits(threads: int) -> dict:
    """``{peak_gflops, bandwidth_gbs, threads, method}`` measured now at ``threads``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, int(threads)))
    try:
        gen = torch.Generator().manual_seed(0)
        a = torch.randn(MATMUL_N, MATMUL_N, generator=gen)
        b = torch.randn(MATMUL_N, MATMUL_N, generator=gen)
        out = torch.empty(MATMUL_N, MATMUL_N)
        mm = _best_seconds(lambda: torch.mm(a, b, out=out))
        src = torch.ones(READ_BYTES // 4)
        read = _best_seconds(lambda: torch.sum(src))
    finally:
        torch.set_num_threads(before)
    return {
        "peak_gflops": round(2 * MATMUL_N**3 / mm / 1e9, 2),
        "bandwidth_gbs": round(READ_BYTES / read / 1e9, 2),
        "threads": int(threads),
        "method": (
            f"best of {REPEATS}: fp32 torch.mm {MATMUL_N}x{MATMUL_N} (peak); torch.sum reading "
            f"{READ_BYTES // 2**20} MiB (bandwidth)"
        ),
    }


def host_limits(threads: int) -> dict:
    """This host's limits at ``threads``, measured on the first call of the process."""
    threads = max(1, int(threads))
    if threads not in _CACHE:
        _CACHE[threads] = measure_host_limits(threads)
    return dict(_CACHE[threads])


def limits_text(limits: dict) -> str:
    """One line for the CLI and report.html: this host's roofline ceilings."""
    peak, bw, threads = limits["peak_gflops"], limits["bandwidth_gbs"], limits["threads"]
    balance = f", balance {peak / bw:.1f} FLOP/byte" if bw else ""
    return (
        f"host limits ({threads} thread{'s' if threads != 1 else ''}): peak {peak:.1f} GFLOP/s "
        f"(fp32 matmul), memory {bw:.1f} GB/s (64 MiB read){balance}"
    )
