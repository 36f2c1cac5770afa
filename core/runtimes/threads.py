"""Thread counts applied inside a scope that restores them.

A benchmark fixes the thread count of every runtime it measures (torch's intra-op pool, which
eager and the lite interpreter use, and ExecuTorch's XNNPACK thread pool; ONNX Runtime takes it
per session). Setting them globally would change every later computation of the process (the
next variant's training, another request of the worker): :func:`thread_scope` sets them for a
block and puts back what was there before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_et_threads: int | None = None  # what this process last asked ExecuTorch's pool for


def _reset_executorch(n: int) -> None:
    """Size ExecuTorch's XNNPACK pool (only when it changes: resetting it under a loaded
    program corrupts the heap, so runners are opened inside the scope, after this)."""
    global _et_threads
    if _et_threads == int(n):
        return
    from executorch.extension.pybindings import portable_lib

    portable_lib._unsafe_reset_threadpool(int(n))
    _et_threads = int(n)


@contextlib.contextmanager
def thread_scope(threads: int, executorch: bool = False) -> Iterator[None]:
    """Run a block with ``threads`` torch threads (and, with ``executorch``, XNNPACK threads).

    torch's intra-op count is put back when the block ends. ExecuTorch's pool serves only
    ExecuTorch programs, every one of which is opened inside such a scope; it is resized on
    entry when needed and otherwise left alone (it cannot be resized safely while a program
    that uses it is alive).
    """
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(threads))
    try:
        if executorch:
            _reset_executorch(threads)
        yield
    finally:
        torch.set_num_threads(before)
