"""Host runtimes that run an artifact: eager, TorchScript-lite, ExecuTorch, ONNX Runtime.

``open_runner(runtime, artifact_path, threads, module=None, signature=None)`` returns a
:class:`Runner` whose ``run_all(inputs)`` maps one numpy array per model input (batch 1, each
in its dtype) to the list of the model's flattened outputs, and whose ``run(x)`` maps one
float32 batch-1 array to the task output. Each runtime applies ``threads`` to its own thread
pool.
"""

from __future__ import annotations

from deploy_studio.core.runtimes.base import Runner, not_runnable_reason, open_runner, run_scope

__all__ = ["Runner", "not_runnable_reason", "open_runner", "run_scope"]
