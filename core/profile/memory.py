"""Load time and peak resident memory of an artifact, measured in a fresh child process.

:func:`measure_memory` starts ``python -m deploy_studio.core.profile.probe`` (the worker's
interpreter and environment), which:

1. imports the runtime's library and opens nothing yet, then resets the kernel's peak-RSS
   mark (Linux: ``echo 5 > /proc/self/clear_refs`` sets ``VmHWM`` to the current RSS);
   ``baseline_rss_bytes`` is the child's resident set size then (``VmRSS``: the interpreter,
   numpy, torch and the runtime's library);
2. opens the artifact (``load_ms.cold``: the first load in this process; the file itself is
   usually in the OS page cache already, as it was just written), closes it and opens it
   again (``load_ms.warm``);
3. runs it ``runs`` times on the sample input; ``peak_rss_bytes`` is the child's peak resident
   set size since the reset (``VmHWM``).

``peak_rss_bytes - baseline_rss_bytes`` is the most that loading and running the artifact
added to the process's resident memory (the first runner is closed before the second load).
Where the mark cannot be reset (macOS), both are ``getrusage(RUSAGE_SELF).ru_maxrss``, the
peak since the process started, so a model smaller than the imports' own transient peak
shows no growth; ``method`` says which was used. ``planned_bytes`` is an ExecuTorch
program's memory-planned buffers (the ``non_const_buffer_sizes`` of its ``forward`` execution
plan, read from the ``.pte``: the arena the runtime allocates for the tensors its memory plan
places, activations between ops), else None. A delegate's own workspace is not in the plan
(XNNPACK allocates it when the program loads): a fully delegated program plans only the
tensors passed between the runtime and the delegate.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from deploy_studio.core.errors import RuntimeRunError


def planned_bytes(pte) -> int | None:
    """The memory-planned buffer bytes of a ``.pte``'s ``forward`` method."""
    from executorch.exir._serialize._program import deserialize_pte_binary

    pte_file = deserialize_pte_binary(Path(pte).read_bytes())
    program = getattr(pte_file, "program", pte_file)
    for plan in program.execution_plan:
        if plan.name == "forward":
            return int(sum(plan.non_const_buffer_sizes[1:]))  # [0] is reserved (always 0)
    return None


def measure_memory(runtime: str, path, inputs: list, threads: int, runs: int) -> dict:
    """``{"memory": {...}, "load_ms": {"cold", "warm"}}`` for the artifact at ``path``."""
    with tempfile.TemporaryDirectory(prefix="probe-") as tmp:
        npz = Path(tmp) / "inputs.npz"
        np.savez(npz, *[np.ascontiguousarray(a) for a in inputs])
        args = [sys.executable, "-m", "deploy_studio.core.profile.probe"]
        args += [runtime, str(path), str(npz), str(int(threads)), str(int(runs))]
        done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise RuntimeRunError(f"the memory probe of {Path(path).name} failed: {tail}")
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    memory = {
        "peak_rss_bytes": probe["peak_rss_bytes"],
        "baseline_rss_bytes": probe["baseline_rss_bytes"],
        "method": probe["method"],
        "planned_bytes": planned_bytes(path) if runtime == "executorch" else None,
    }
    return {"memory": memory, "load_ms": {"cold": probe["cold_ms"], "warm": probe["warm_ms"]}}
