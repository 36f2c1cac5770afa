"""How long measuring this host's roofline ceilings takes, and what they are.

``core/cost/host.py`` measures peak GFLOP/s (fp32 matmul) and memory bandwidth (large copy)
once per worker process when a run has a variant with a latency; this prints the seconds that
adds to a run (the goal: well under one second) and the figures, at 1 and 2 threads::

    python benchmarks/host_limits.py
"""

from __future__ import annotations

import time

import torch  # imported before timing: a run's worker has it loaded already

from deploy_studio.core.cost.host import limits_text, measure_host_limits


def main() -> None:
    torch.ones(1).sum()
    for threads in (1, 2):
        t0 = time.perf_counter()
        limits = measure_host_limits(threads)
        seconds = time.perf_counter() - t0
        print(f"{limits_text(limits)}; measured in {seconds:.3f} s")


if __name__ == "__main__":
    main()
