"""Export formats: eager (weights), ExecuTorch .pte, TorchScript-lite .ptl, ONNX, Core ML.

Each module registers one :class:`~deploy_studio.core.formats.contract.Format`: its file
suffix, host runtime, converters, ``format_options``, the quantize modes it implements and
``write(ctx, path) -> Artifact``. ``contract.py`` is the contract, ``pte_delegates.py`` the
ExecuTorch delegates; docs/adding-a-format.md walks through adding one.
"""
