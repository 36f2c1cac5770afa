"""The state a variant's build passes from step to step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from deploy_studio.core.data.datasets import Dataset
from deploy_studio.core.models.loaded import LoadedModel
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import VariantSpec


@dataclass
class Artifact:
    """A built artifact on disk: ``files`` are everything an app must ship (path first)."""

    format: str
    path: Path
    files: list[Path]
    runtime: str | None  # the host runtime that runs it, None when it cannot run here
    notes: list[str] = field(default_factory=list)

    @property
    def size_bytes(self) -> int:
        total = 0
        for f in self.files:
            if f.is_dir():
                total += sum(p.stat().st_size for p in f.rglob("*") if p.is_file())
            elif f.exists():
                total += f.stat().st_size
        return total


@dataclass
class BuildContext:
    """What steps, converters and exporters read and change while building one variant.

    Attributes
    ----------
    model: the original loaded model (never modified).
    module: the working nn.Module; steps replace or change it (prune, distill, quantize).
    example: a batch-1 example input of the model's input shape.
    dataset, train_idx, eval_idx: the data and its deterministic split.
    variant: the variant spec being built.
    workdir: where the artifact is written (``DIR/artifacts``).
    reporter: progress + cancellation.
    converted: set by the converter (an ExportedProgram or a ScriptModule).
    quantization: set by the quantize step for exporters that quantize themselves
        (e.g. ONNX Runtime QDQ after ONNX export); ``None`` when not quantized.
    post_export: callbacks ``(artifact, ctx) -> artifact`` run after the format exporter.
    notes: user-visible remarks for the report (e.g. "calibrated on random data").
    state: free-form data steps leave for later stages or the report (e.g. sensitivity).
    params: parameter count of the working model, updated after every step (quantization
        keeps the count; pruning and distillation change it).
    """

    model: LoadedModel
    module: Any
    example: torch.Tensor
    dataset: Dataset
    train_idx: Any
    eval_idx: Any
    variant: VariantSpec
    workdir: Path
    reporter: Reporter
    calibration_samples: int = 128
    params: int = 0
    converted: Any = None
    quantization: dict | None = None
    post_export: list[Callable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def calibration_tensors(self, n: int | None = None) -> torch.Tensor:
        """Up to ``n`` (default ``calibration_samples``) preprocessed samples from the training side."""
        n = self.calibration_samples if n is None else n
        idx = self.train_idx[: max(1, n)]
        x, _ = self.dataset.tensors(idx)
        return x

    def training_tensors(self):
        """All training-side samples (x, y); y is None for unlabelled data."""
        return self.dataset.tensors(self.train_idx)

    def eval_tensors(self):
        return self.dataset.tensors(self.eval_idx)
