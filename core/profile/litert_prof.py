"""LiteRT: no per-operator profile from Python.

ai-edge-litert's Python ``Interpreter`` and ``CompiledModel`` (2.x) have no profiler API (the wheel carries
the ``profiling_info_pb2`` message but nothing fills it from Python): op timings come from
TFLite's C++ profiler (``benchmark_model --enable_op_profiling``), which the wheel does not
ship; ``experimental_force_delegate_node_profiling`` only changes how delegate nodes are
reported to such a profiler. So the LiteRT profile says so, with the reason.
"""

from __future__ import annotations

from deploy_studio.core.profile.model import Profile

REASON = (
    "ai-edge-litert's Python Interpreter and CompiledModel expose no op profiler (op timings come from "
    "TFLite's C++ benchmark_model --enable_op_profiling, not shipped in the wheel)"
)


def profile_litert(path, inputs, threads: int, runs: int, warmup: int) -> Profile:
    return Profile.unavailable(REASON)
