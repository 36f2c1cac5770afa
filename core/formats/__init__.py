"""Export formats: eager (weights), ExecuTorch .pte, TorchScript-lite .ptl, ONNX, Core ML.

Each module registers one format with the converters it accepts, its file suffix and the
host runtime that runs it. ``export(ctx, path)`` writes atomically and returns an Artifact.
"""
