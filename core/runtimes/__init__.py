"""Host runtimes that run an artifact: eager, TorchScript-lite, ExecuTorch, ONNX Runtime.

``open_runner(runtime, artifact_path, threads, module=None)`` returns a :class:`Runner` whose
``run(x)`` maps a float32 numpy batch-1 input to a float32 numpy output. Each runtime applies
``threads`` to its own thread pool.
"""

from __future__ import annotations

from deploy_studio.core.runtimes.base import Runner, not_runnable_reason, open_runner, run_scope

__all__ = ["Runner", "not_runnable_reason", "open_runner", "run_scope"]
