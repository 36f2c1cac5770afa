"""torch.profiler for runtimes that run in torch: eager modules and the lite interpreter.

Rows are the top-level aten ops of the timed runs (an aten op whose parents are not aten
ops: ``aten::conv2d`` counts, the ``aten::convolution`` it calls does not, so no time is
counted twice), with their CPU time including what they call. Each run is wrapped in a
``deploy_studio::run`` record_function; the total is those ranges' time. For an eager module,
forward hooks wrap the model and every leaf module in a ``layer::<path>`` record_function
(the model's path is ``""``), and an op's layer
is the nearest such range around it (``torch.profiler``'s ``with_modules`` only covers
TorchScript).
"""

from __future__ import annotations

import contextlib

from deploy_studio.core.profile.model import Profile, merge

RUN = "deploy_studio::run"
LAYER = "layer::"


@contextlib.contextmanager
def _layer_ranges(module):
    """record_function ranges around every leaf module's forward (removed afterwards)."""
    import torch

    handles, open_ranges = [], {}
    if module is not None:
        for name, sub in module.named_modules():
            if not name or not list(sub.children()):  # the model itself ("") and its leaves

                def pre(m, args, name=name):
                    r = torch.profiler.record_function(LAYER + name)
                    r.__enter__()
                    open_ranges.setdefault(id(m), []).append(r)

                def post(m, args, out):
                    stack = open_ranges.get(id(m))
                    if stack:
                        stack.pop().__exit__(None, None, None)

                handles.append(sub.register_forward_pre_hook(pre))
                handles.append(sub.register_forward_hook(post))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _layer_of(event) -> str | None:
    p = event.cpu_parent
    while p is not None:
        if p.name.startswith(LAYER):
            return p.name[len(LAYER) :]
        p = p.cpu_parent
    return None


def _top_level(event) -> bool:
    p = event.cpu_parent
    while p is not None:
        if p.name.startswith("aten::"):
            return False
        p = p.cpu_parent
    return True


def profile_torch(runner, inputs, runs: int, warmup: int, module=None) -> Profile:
    from torch.profiler import ProfilerActivity, profile, record_function

    with _layer_ranges(module):
        for _ in range(warmup):
            runner.run_all(inputs)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(runs):
                with record_function(RUN):
                    runner.run_all(inputs)
    rows: dict = {}
    total = 0.0
    for ev in prof.events():
        if ev.name == RUN:
            total += ev.time_range.elapsed_us() / 1000.0
        elif ev.name.startswith("aten::") and _top_level(ev):
            layer = _layer_of(ev) if module is not None else None
            merge(rows, ev.name, layer, "cpu", ev.time_range.elapsed_us() / 1000.0)
    return Profile(
        source="torch.profiler", runs=runs, total_ms=total or None, rows=list(rows.values())
    ).finish()
