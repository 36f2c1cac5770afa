"""The state a variant's build passes from step to step (and the Artifact it ends with)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from deploy_studio.core.data.datasets import Dataset
from deploy_studio.core.formats.contract import Artifact
from deploy_studio.core.models.loaded import LoadedModel
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import VariantSpec

__all__ = ["Artifact", "BuildContext"]


@dataclass
class BuildContext:
    """What steps, converters and exporters read and change while building one variant.

    Attributes
    ----------
    model: the original loaded model (never modified).
    module: the working nn.Module; steps replace or change it (prune, distill, quantize).
    example: a batch-1 example of the model's first input (its one input, usually).
    inputs: a batch-1 example of every input, in the signature's order (``(example,)`` for
        a single-input model): converters export and trace with these.
    dataset, train_idx, eval_idx: the data and its deterministic split.
    variant: the variant spec being built.
    workdir: where the artifact is written (``DIR/artifacts``).
    reporter: progress + cancellation.
    converted: set by the converter (an ExportedProgram or a ScriptModule).
    quantization: set by the quantize step (``mode``, ``format``, ``method``) for formats
        whose writer depends on it (Core ML's fp16 compute precision); ``None`` when not
        quantized.
    post_export: callbacks ``(artifact, ctx) -> artifact`` run after the format wrote the
        artifact (the quantize step puts its format's ``QuantizerPlan.finish`` here).
    notes: user-visible remarks for the report (e.g. "calibrated on random data").
    state: free-form data steps leave for later stages or the report (e.g. sensitivity).
    params: parameter count of the working model, updated after every step (quantization
        keeps the count; pruning and distillation change it).
    float_module: the working module as it was before the quantize step (None without one):
        FLOPs are counted on it (quantizing keeps the arithmetic, but a quantized op such as
        torch.ao's dynamic Linear has no FLOP formula), see ``core/cost``.
    debug_record: write the format's debug record beside the artifact when it has one (an
        ExecuTorch ETRecord, ``<name>.etrecord``, for the per-operator profile; not shipped).
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
    inputs: tuple = ()
    debug_record: bool = False
    float_module: Any = None

    def __post_init__(self) -> None:
        if not self.inputs:
            self.inputs = (self.example,)

    @property
    def signature(self):
        """The model's named inputs and flattened outputs
        (:class:`~deploy_studio.core.models.signature.Signature`)."""
        return self.model.signature

    def calibration_inputs(self, n: int | None = None) -> tuple:
        """Up to ``n`` (default ``calibration_samples``) training-side samples of every input,
        one tensor per input with the samples on the first axis (int8 calibration feeds
        sample ``i`` of each, the same data for every input)."""
        n = self.calibration_samples if n is None else n
        return self.dataset.input_tensors(self.train_idx[: max(1, n)])

    def calibration_tensors(self, n: int | None = None) -> torch.Tensor:
        """Up to ``n`` (default ``calibration_samples``) preprocessed samples from the training
        side, of the first input (the one input of an image model; see
        :meth:`calibration_inputs` for every input)."""
        n = self.calibration_samples if n is None else n
        idx = self.train_idx[: max(1, n)]
        x, _ = self.dataset.tensors(idx)
        return x

    def training_tensors(self):
        """All training-side samples (x, y); y is None for unlabelled data."""
        return self.dataset.tensors(self.train_idx)

    def eval_tensors(self):
        return self.dataset.tensors(self.eval_idx)
