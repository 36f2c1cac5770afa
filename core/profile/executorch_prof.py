"""ExecuTorch: ETDump (the runtime's event trace) read by the devtools Inspector.

The program is loaded with ``enable_etdump=True``; after ``warmup + runs`` executions the
ETDump is written next to a temporary debug buffer and parsed by
``executorch.devtools.Inspector``, with the ETRecord the lowering wrote beside the ``.pte``
(``<name>.etrecord``, not shipped in apps) when there is one: it gives each event its edge
ops (``op_types``) and the module path of the original model (``module_hierarchy``).

Rows (events of the ``Execute`` block; every event has one timing per execution, the first
``warmup`` of which are dropped):

- ``OPERATOR_CALL``: one operator on ExecuTorch's portable kernels (``delegate="portable"``),
  named by its edge op (``aten.cumsum.default``; without an ETRecord by the kernel's name);
- ``DELEGATE_CALL``: one delegate block. The delegate's own events before it (XNNPACK's
  ``Convolution (NHWC, F32) IGEMM #1``...) become rows of their own (``#n`` dropped, so the
  same kernel adds up), and what the block took beyond them is a ``<backend> block overhead``
  row; a block without inner events is one row.

``Method::execute`` is the total. ``native_call_*`` events (the kernel inside its
``OPERATOR_CALL``) are not rows: they would count the same time twice.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from pathlib import Path

from deploy_studio.core.profile.model import Profile, merge


def etrecord_path(pte: str | Path) -> Path:
    """Where the lowering writes a program's ETRecord: beside it, ``<stem>.etrecord``."""
    p = Path(pte)
    return p.with_suffix(".etrecord")


MAX_LISTED_LAYERS = 3


def _layer(hierarchies: dict | None) -> str | None:
    """The module path of an event's ops: the deepest path of each op (``""``: the model
    itself). A block of several layers lists them (``"conv, relu"``) up to
    :data:`MAX_LISTED_LAYERS`, beyond that is their common ancestor (``features.3`` for a
    block of ``features.3.0`` ... ``features.3.4``; ``""`` when none). None without module
    hierarchy (no ETRecord)."""
    paths = []
    for chain in (hierarchies or {}).values():
        if isinstance(chain, dict) and chain:
            paths.append(str(list(chain.values())[-1][0]))
    if not paths:
        return None
    named = [p for p in dict.fromkeys(paths) if p]
    if len(named) <= MAX_LISTED_LAYERS:
        return ", ".join(named)
    common = named[0].split(".")
    for path in named[1:]:
        parts = path.split(".")
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return ".".join(common)


def _block_name(op_types: list[str], backend: str) -> str:
    if not op_types:
        return f"{backend} block"
    names = list(dict.fromkeys(o.removeprefix("aten.").rsplit(".", 1)[0] for o in op_types))
    return f"{backend} block: " + ", ".join(names[:6]) + (" ..." if len(names) > 6 else "")


def _kernel_name(event_name: str) -> str:
    """``native_call_cumsum.out`` -> ``aten.cumsum``."""
    return "aten." + event_name.removeprefix("native_call_").split(".")[0]


def profile_executorch(path, inputs, threads: int, runs: int, warmup: int) -> Profile:
    from executorch.devtools import Inspector
    from executorch.runtime import Runtime

    from deploy_studio.core.runtimes import run_scope
    from deploy_studio.core.runtimes.base import quiet_native_output, tensors_of

    record = etrecord_path(path)
    with tempfile.TemporaryDirectory(prefix="etdump-") as tmp:
        dump, buf = Path(tmp) / "run.etdp", Path(tmp) / "run.bin"
        with run_scope("executorch", threads):
            with quiet_native_output():
                program = Runtime.get().load_program(str(path), enable_etdump=True)
            method = program.load_method("forward")
            xs = tensors_of(inputs)
            for _ in range(warmup + runs):
                method.execute(xs)
            program.write_etdump_result_to_file(str(dump), str(buf))
            method = program = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inspector = Inspector(
                etdump_path=str(dump), etrecord=str(record) if record.exists() else None
            )
    return _rows(inspector, runs, warmup, record.exists())


def _timed(event, warmup: int) -> list[float]:
    raw = list(event.perf_data.raw) if event.perf_data is not None else []
    return raw[warmup:] if len(raw) > warmup else raw


def _rows(inspector, runs: int, warmup: int, with_etrecord: bool) -> Profile:
    rows: dict = {}
    total = None
    for block in inspector.event_blocks:
        if block.name != "Execute":
            continue
        inner: list = []
        kernel = None
        for ev in block.events:
            times = _timed(ev, warmup)
            if not times:
                continue
            ms, calls = float(sum(times)), len(times)
            if ev.name == "Method::execute":
                total = (total or 0.0) + ms
            elif ev.is_delegated_op:
                inner.append(
                    (re.sub(r"\s*#\d+$", "", ev.name), ev.delegate_backend_name, ms, calls)
                )
            elif ev.name == "DELEGATE_CALL":
                backend = ev.delegate_backend_name or "delegate"
                layer = _layer(ev.module_hierarchy)
                spent = 0.0
                for name, be, t, n in inner:
                    merge(rows, name, layer, be or backend, t, n)
                    spent += t
                rest = ms - spent
                if not inner:
                    merge(rows, _block_name(ev.op_types or [], backend), layer, backend, ms, calls)
                elif rest > 0:
                    merge(rows, f"{backend} block overhead", layer, backend, rest, calls)
                inner = []
            elif ev.name.startswith("native_call_"):
                kernel = ev.name
            elif ev.name == "OPERATOR_CALL":
                op = (ev.op_types or [None])[0] or (_kernel_name(kernel) if kernel else "operator")
                merge(rows, op, _layer(ev.module_hierarchy), "portable", ms, calls)
                kernel = None
    source = "etdump" + ("" if with_etrecord else " (no ETRecord: ops not mapped to layers)")
    return Profile(source=source, runs=runs, total_ms=total, rows=list(rows.values())).finish()
