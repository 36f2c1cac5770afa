"""What a loaded model is: the spec it came from plus a validated runnable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.schema import rule


@dataclass
class ModelSpec:
    """Everything needed to load a model again (also in another process).

    ``source`` is a MODEL spec as in the CLI: ``builtin:NAME``, ``torchvision:ARCH``,
    ``path/file.py:Class``, or a ``.pt``/``.pth``/``.ptl``/``.pt2`` file. ``output`` picks
    the output of a model that returns a tuple (an index) or a dict (a key). ``init_args``
    are the constructor's keyword arguments (JSON values) of a file.py class or a
    torchvision architecture.
    """

    source: str = field(
        default="", metadata=rule("a MODEL spec", required=True, example='"builtin:digits-cnn"')
    )
    weights: str | None = field(
        default=None, metadata=rule("a state_dict file for the model's class")
    )
    input_shape: list[int] | None = field(
        default=None, metadata=rule("e.g. [1, 3, 224, 224]", minimum=1)
    )
    trust: bool = field(
        default=False, metadata=rule("allow a pickled whole module to run its code")
    )
    output: str | int | None = field(
        default=None,
        metadata=rule(
            "which output of a tuple (an index) or dict (a key) is the model's", example='"logits"'
        ),
    )
    init_args: dict[str, Any] | None = field(
        default=None,
        metadata=rule(
            "the constructor's keyword arguments (file.py:Class or torchvision:ARCH)",
            example="{ num_classes = 5 }",
        ),
    )
    inputs: list[dict] | None = field(
        default=None,
        metadata=rule(
            "the model's named inputs, each { name, shape, dtype, dynamic, range } "
            "(input_shape is the shorthand for one float32 input)",
            example='[{ name = "tokens", shape = [1, 50], dtype = "int64" }]',
        ),
    )

    task: str | None = field(
        default=None,
        metadata=rule(
            "the model's task: classification, segmentation, detection, regression, "
            "embedding or generic (guessed from the outputs when absent)",
            example='"segmentation"',
        ),
    )
    postprocess: dict[str, Any] | None = field(
        default=None,
        metadata=rule(
            "detection post-processing outside the graph: { boxes, scores, score_threshold, "
            "iou_threshold, max_detections, ... }",
            example='{ boxes = "boxes", scores = "scores", score_threshold = 0.3 }',
        ),
    )

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.task:
            d.pop("task")
        if not self.postprocess:
            d.pop("postprocess")
        if not self.init_args:  # absent, as in specs written before init_args existed
            d.pop("init_args")
        if not self.inputs:  # likewise for specs written before inputs existed
            d.pop("inputs")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ModelSpec:
        return cls(
            source=d["source"],
            weights=d.get("weights"),
            input_shape=d.get("input_shape"),
            output=d.get("output"),
            trust=bool(d.get("trust")),
            init_args=dict(d["init_args"]) if d.get("init_args") else None,
            inputs=[dict(i) for i in d["inputs"]] if d.get("inputs") else None,
            task=d.get("task"),
            postprocess=dict(d["postprocess"]) if d.get("postprocess") else None,
        )


@dataclass
class LoadedModel:
    """A model that ran one forward pass on an input of ``input_shape``.

    ``kind`` tells what the engine can do with it: ``"module"`` (an nn.Module: every
    converter), ``"torchscript"`` (a ScriptModule: trace/script formats), ``"exported"``
    (from a .pt2 ExportedProgram: export-based formats), ``"lite"`` (a .ptl: run only).
    """

    spec: ModelSpec
    module: Any
    kind: str
    input_shape: list[int]
    output_shape: list[int]
    params: int
    preprocess: Preprocess
    labels: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    exported_program: Any = None
    preprocess_origin: str = (
        "guessed"  # "guessed", or where the model says it (see core.data.preprocess)
    )
    output_key: str | int | None = None  # which entry of a tuple/dict output is the model's output
    output_note: str | None = None  # said in every run and report when output_key is set
    trained_on: str | None = None  # a built-in's training data (for data-mismatch notes)
    signature: Any = None  # core.models.signature.Signature: named inputs and outputs
    task_hint: dict | None = None  # what the loader knows: {"task", "postprocess"} (built-ins)

    def __post_init__(self) -> None:
        if self.signature is None:  # one float32 input of input_shape, outputs not known
            from deploy_studio.core.models.signature import shorthand

            self.signature = shorthand(self.input_shape)

    @property
    def runnable(self) -> Callable:
        return self.module

    @property
    def is_module(self) -> bool:
        return self.kind == "module"

    def example_inputs(self, seed: int = 0) -> tuple:
        """One tensor per input at its declared shape and dtype (seeded)."""
        return self.signature.example_inputs(seed)

    def example_input(self, seed: int = 0):
        """The first input's example (the one input of a single-input model)."""
        return self.example_inputs(seed)[0]
