"""The child process of :func:`deploy_studio.core.profile.memory.measure_memory`.

``python -m deploy_studio.core.profile.probe RUNTIME PATH INPUTS.npz THREADS RUNS`` prints one
JSON line: ``{baseline_rss_bytes, peak_rss_bytes, method, cold_ms, warm_ms}`` (see
``memory.py``).
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time

import numpy as np

# the library each runtime imports when it opens an artifact: imported before the baseline
LIBRARIES = {
    "executorch": "executorch.runtime",
    "onnxruntime": "onnxruntime",
    "litert": "ai_edge_litert.interpreter",
    "torchscript-lite": "torch.jit.mobile",
}


HWM_METHOD = (
    "Linux VmHWM: the peak RSS mark is reset (clear_refs 5) after the imports, baseline = VmRSS "
    "then, peak = VmHWM after 2 loads and the runs"
)
MAXRSS_METHOD = (
    "getrusage ru_maxrss: baseline = the peak after the imports, peak = the peak after 2 loads "
    "and the runs (a load smaller than the imports' own peak adds nothing)"
)


def max_rss_bytes() -> int:
    """This process's peak resident set size (``ru_maxrss`` is in KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss) if sys.platform == "darwin" else int(rss) * 1024


def _status_bytes(key: str) -> int | None:
    """``VmRSS`` / ``VmHWM`` of ``/proc/self/status`` in bytes (None off Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (``VmHWM``) to the current RSS (Linux >= 4.0:
    ``echo 5 > /proc/self/clear_refs``). False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status_bytes("VmHWM") is not None


def main(argv: list[str]) -> dict:
    from deploy_studio.core.runtimes import open_runner, run_scope

    runtime, path, npz, threads, runs = argv[0], argv[1], argv[2], int(argv[3]), int(argv[4])
    with np.load(npz) as data:
        inputs = [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[1]))]
    if runtime in LIBRARIES:
        importlib.import_module(LIBRARIES[runtime])
    from deploy_studio.core.registry import RUNTIMES

    RUNTIMES.get(runtime)  # registers the runtimes (imports their modules)
    hwm = reset_peak()
    baseline = _status_bytes("VmRSS") if hwm else max_rss_bytes()
    times = []
    with run_scope(runtime, threads):
        for k in range(2):
            t0 = time.perf_counter()
            runner = open_runner(runtime, path, threads)
            times.append((time.perf_counter() - t0) * 1000.0)
            if k == 0:
                runner.close()
                del runner
        try:
            for _ in range(runs):
                runner.run_all(inputs)
        finally:
            runner.close()
    return {
        "baseline_rss_bytes": baseline,
        "peak_rss_bytes": _status_bytes("VmHWM") if hwm else max_rss_bytes(),
        "method": HWM_METHOD if hwm else MAXRSS_METHOD,
        "cold_ms": times[0],
        "warm_ms": times[1],
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
