"""Per-operator profiles, memory and load time of a built artifact (issue 13, engine side).

``profile(runtime, artifact, inputs, threads, runs)`` returns a :class:`Profile` from the
runtime's own profiler, each in its file:

- ``executorch``: ETDump + the devtools Inspector (``executorch_prof.py``);
- ``onnxruntime``: session profiling (``onnxruntime_prof.py``);
- ``eager`` and ``torchscript-lite``: torch.profiler (``torch_prof.py``);
- ``litert``: not available, with the reason (``litert_prof.py``).

``measure_memory`` (``memory.py``) measures load times and peak memory in a child process;
``portable_hints`` (``hints.py``) turns an ExecuTorch program's undelegated ops into hints.
"""

from __future__ import annotations

from deploy_studio.core.profile.hints import portable_hints
from deploy_studio.core.profile.memory import measure_memory, planned_bytes
from deploy_studio.core.profile.model import Profile, ProfileRow

__all__ = ["Profile", "ProfileRow", "measure_memory", "planned_bytes", "portable_hints", "profile"]


def profile(
    runtime: str,
    artifact,
    inputs: list,
    threads: int = 1,
    runs: int = 10,
    warmup: int = 3,
    module=None,
) -> Profile:
    """The per-operator profile of ``runs`` runs (after ``warmup``) of ``artifact``.

    ``inputs`` is one batch-1 numpy array per model input; ``module`` is the in-memory
    module for ``eager`` (``artifact`` is then ignored). A runtime without a profiler gives
    ``Profile.unavailable(why)``.
    """
    if runtime == "executorch":
        from deploy_studio.core.profile.executorch_prof import profile_executorch

        return profile_executorch(artifact, inputs, threads, runs, warmup)
    if runtime == "onnxruntime":
        from deploy_studio.core.profile.onnxruntime_prof import profile_onnxruntime

        return profile_onnxruntime(artifact, inputs, threads, runs, warmup)
    if runtime == "litert":
        from deploy_studio.core.profile.litert_prof import profile_litert

        return profile_litert(artifact, inputs, threads, runs, warmup)
    if runtime in ("eager", "torchscript-lite"):
        from deploy_studio.core.profile.torch_prof import profile_torch
        from deploy_studio.core.runtimes import open_runner, run_scope

        with run_scope(runtime, threads):
            runner = open_runner(runtime, artifact, threads, module=module)
            try:
                return profile_torch(
                    runner, inputs, runs, warmup, module=module if runtime == "eager" else None
                )
            finally:
                runner.close()
    return Profile.unavailable(f"no profiler for the {runtime} runtime")
