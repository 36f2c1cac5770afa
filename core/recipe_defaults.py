"""Starting points: the variant presets, a new step's options, and a new recipe for a model.

The window's "Add variant" menu, its "Add step" menu and the recipe it makes for a model the
user opens all come from here, so a preset is exactly what a hand-written ``[[variant]]`` with
the same keys would be (options not given take the step's registry defaults), and any caller
(the window, a script, a future ``deploy-studio new``) gets the same recipe for the same model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploy_studio.core.models.loaded import ModelSpec
    from deploy_studio.core.recipe import Recipe, StepSpec, VariantSpec

DIGITS_STUDENT = "builtin:digits-cnn-small"
"""The distillation student for models that fit the built-in digits."""
IMAGENET_STUDENT = "torchvision:mobilenet_v3_small"
"""The distillation student for 3-channel, 1000-class (ImageNet) models."""


@dataclass(frozen=True)
class Preset:
    """A named starting point for a variant: ``label`` and ``tip`` are what a menu shows."""

    label: str
    name: str
    format: str
    convert: str = "export"
    steps: tuple = field(default_factory=tuple)  # (kind, {options})
    tip: str = ""
    format_options: tuple = ()  # (key, value) pairs: ``{ delegate = "coreml" }``


def presets(student: str = DIGITS_STUDENT) -> list[Preset]:
    """The presets, in menu order; ``student`` is the distillation student's MODEL spec."""
    int8 = ("quantize", {"mode": "int8-static"})
    return [
        Preset("fp32 PyTorch eager (baseline)", "fp32-eager", "eager", tip="the model as loaded"),
        Preset("fp32 ExecuTorch (.pte)", "fp32-pte", "pte", tip="torch.export, lowered to XNNPACK"),
        Preset(
            "int8 ExecuTorch (.pte)",
            "int8-pte",
            "pte",
            steps=(int8,),
            tip="PT2E static int8 calibrated on your data",
        ),
        Preset(
            "pruned + int8 ExecuTorch",
            "pruned-int8-pte",
            "pte",
            steps=(
                ("prune", {"method": "structured-l1", "amount": 0.5, "finetune_epochs": 1}),
                int8,
            ),
            tip="remove half the channels, finetune one epoch, then int8",
        ),
        Preset(
            "ExecuTorch on Core ML (.pte)",
            "fp32-pte-coreml",
            "pte",
            tip="lowered to the Core ML delegate for iOS; size and partition coverage here, "
            "not run (Apple devices only)",
            format_options=(("delegate", "coreml"),),
        ),
        Preset(
            "ExecuTorch on Vulkan (.pte)",
            "fp32-pte-vulkan",
            "pte",
            tip="lowered to the Vulkan delegate for Android GPUs; size and partition coverage "
            "here, not run (no Vulkan runtime on this host)",
            format_options=(("delegate", "vulkan"),),
        ),
        Preset(
            "distilled student (.pte)",
            "student-pte",
            "pte",
            steps=(("distill", {"student": student, "epochs": 3}),),
            tip="train a small student on the model's outputs",
        ),
        Preset("ONNX", "fp32-onnx", "onnx", tip="for ONNX Runtime (Android, Web, desktop)"),
        Preset("int8 ONNX", "int8-onnx", "onnx", steps=(int8,), tip="ONNX Runtime static QDQ"),
        Preset(
            "LiteRT (.tflite)",
            "fp32-tflite",
            "tflite",
            tip="LiteRT / TensorFlow Lite, via litert-torch" + _missing("tflite"),
        ),
        Preset(
            "int8 LiteRT (.tflite)",
            "int8-tflite",
            "tflite",
            steps=(int8,),
            tip="PT2E static int8 through litert-torch (int8 in and out)" + _missing("tflite"),
        ),
        Preset(
            "TorchScript-lite (.ptl)",
            "fp32-ptl",
            "ptl",
            convert="trace",
            tip="for apps still on pytorch_android_lite",
        ),
        Preset(
            "Core ML (.mlpackage)",
            "fp32-coreml",
            "coreml",
            tip="for iOS; validated structurally on Linux (cannot run here)",
        ),
    ]


def _missing(fmt: str) -> str:
    """'' when ``fmt``'s packages are installed, else the install command for the tip."""
    from deploy_studio.core.registry import FORMATS

    missing = FORMATS.get(fmt).obj.missing()
    return f" (not installed: {missing.split(': ', 1)[-1]})" if missing else ""


def make_variant(preset: Preset) -> VariantSpec:
    """A :class:`~deploy_studio.core.recipe.VariantSpec` for ``preset``, every step's defaults filled."""
    from deploy_studio.core.recipe import StepSpec, VariantSpec
    from deploy_studio.core.registry import STEPS

    steps = [
        StepSpec(kind, STEPS.get(kind).resolve_options(dict(opts), f"preset {preset.name}"))
        for kind, opts in preset.steps
    ]
    return VariantSpec(
        preset.name,
        preset.format,
        preset.convert,
        steps,
        format_options=dict(preset.format_options),
    )


def new_step(kind: str, summary: dict | None = None) -> StepSpec:
    """A step of ``kind`` with its registry defaults (a distill step gets a student that fits
    the model of ``summary``, else the digits student)."""
    from deploy_studio.core.recipe import StepSpec
    from deploy_studio.core.registry import STEPS

    options: dict[str, Any] = {o.key: o.default for o in STEPS.get(kind).options}
    if kind == "distill" and not options.get("student"):
        options["student"] = student_for(summary) or DIGITS_STUDENT
    return StepSpec(kind, options)


def recipe_name_for(source: str) -> str:
    """A new recipe's name from its model source (``torchvision:resnet18`` -> ``resnet18``)."""
    if source.startswith(("builtin:", "torchvision:")):
        return source.split(":", 1)[1] or "untitled"
    head, sep, _cls = source.rpartition(":")
    path = head if sep and head.endswith(".py") else source
    return Path(path).stem or "untitled"


def fits_digits(summary: dict) -> bool:
    """True when the model takes one image (N, C, H, W) and has 10 outputs: the built-in
    digits fit (a model with several inputs, or ids, gets random inputs of its own)."""
    inp = summary.get("input_shape") or []
    out = summary.get("output_shape") or []
    inputs = summary.get("inputs") or [{"dtype": "float32"}]
    if len(inputs) != 1 or inputs[0].get("dtype") != "float32":
        return False
    return len(inp) == 4 and bool(out) and isinstance(out[-1], int) and out[-1] == 10


def own_data(summary: dict) -> str | None:
    """The built-in data a built-in model was trained on (its held-out side is real, labelled
    data of its task: tables, token rows, masks, boxes), else None."""
    trained_on = summary.get("trained_on")
    return trained_on if isinstance(trained_on, str) and trained_on.startswith("builtin:") else None


def starting_variants(kind: str | None) -> list[str]:
    """Preset names a new recipe starts with for a model of ``kind`` (all buildable from it,
    see :func:`deploy_studio.core.pipeline.build.check_model_kind`)."""
    if kind == "lite":
        return ["fp32-eager"]  # a .ptl is run and measured as is
    if kind == "torchscript":
        return ["fp32-eager", "fp32-ptl"]  # torch.export cannot read TorchScript; tracing can
    return ["fp32-eager", "fp32-pte"] + (["int8-pte"] if kind == "module" else [])


def student_for(summary: dict | None) -> str:
    """The distillation student for this model ('' when none fits: the user must choose)."""
    if not summary:
        return ""
    inp = summary.get("input_shape") or []
    out = (summary.get("output_shape") or [0])[-1]
    if fits_digits(summary) and len(inp) == 4 and inp[1] == 1:
        return DIGITS_STUDENT
    if len(inp) == 4 and inp[1] == 3 and out == 1000 and summary.get("spec") != IMAGENET_STUDENT:
        return IMAGENET_STUDENT
    return ""


def new_recipe_for(spec: ModelSpec, summary: dict) -> Recipe:
    """A new recipe around a just-loaded model (``summary``: its
    :func:`~deploy_studio.core.models.summary.summarize`): data and variants that fit it,
    nothing else (no data source, variants, student, gates or export settings of another
    recipe)."""
    from deploy_studio.core.recipe import Recipe

    recipe = Recipe(name=recipe_name_for(spec.source), model=spec)
    recipe.data.source = own_data(summary) or (
        "builtin:digits" if fits_digits(summary) else "random"
    )
    by_name = {p.name: p for p in presets()}
    recipe.variants = [make_variant(by_name[n]) for n in starting_variants(summary.get("kind"))]
    return recipe
