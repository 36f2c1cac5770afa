"""A benchmark sees a cancel however many runs it was asked for: progress (and the cancel
check) come at least every PROGRESS_SECONDS, not only every tenth of the runs (a million-run
benchmark once ran to its end after Ctrl+C)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from deploy_studio.core.errors import Cancelled
from deploy_studio.core.measure import measure_latency
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.runtimes import open_runner


@pytest.mark.timeout(300)  # before the fix: 10**8 calls before the first check
def test_a_billion_run_benchmark_stops_at_a_cancel():
    token = CancelToken()
    timed = []

    def on_event(event):
        if event.kind == "progress" and event.stage == "benchmark":
            timed.append(event.fraction)
            token.cancel()  # as the window's Cancel button would, once timing is under way

    runner = open_runner("eager", None, 1, module=torch.nn.Linear(4, 2).eval())
    try:
        with pytest.raises(Cancelled):
            measure_latency(
                runner,
                np.zeros((1, 4), dtype=np.float32),
                warmup=2,
                runs=10**9,
                threads=1,
                reporter=Reporter(on_event, token),
            )
    finally:
        runner.close()
    assert timed and timed[0] < 0.1 + 0.9 * 1e-3  # reported long before a tenth of the runs
