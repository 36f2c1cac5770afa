"""The variant presets offered by "Add variant": name, format, converter and steps.

Options not given here take the step's registry defaults (``Entry.resolve_options``), so a
preset is exactly what a hand-written ``[[variant]]`` with the same keys would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Preset:
    """A named starting point for a variant."""

    label: str
    name: str
    format: str
    convert: str = "export"
    steps: tuple = field(default_factory=tuple)  # (kind, {options})
    tip: str = ""


def presets(student: str = "builtin:digits-cnn-small") -> list[Preset]:
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
            "distilled student (.pte)",
            "student-pte",
            "pte",
            steps=(("distill", {"student": student, "epochs": 3}),),
            tip="train a small student on the model's outputs",
        ),
        Preset("ONNX", "fp32-onnx", "onnx", tip="for ONNX Runtime (Android, Web, desktop)"),
        Preset("int8 ONNX", "int8-onnx", "onnx", steps=(int8,), tip="ONNX Runtime static QDQ"),
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


def make_variant(preset: Preset):
    """A :class:`deploy_studio.core.recipe.VariantSpec` for ``preset`` with every step's defaults filled."""
    from deploy_studio.core.recipe import StepSpec, VariantSpec
    from deploy_studio.core.registry import STEPS

    steps = [
        StepSpec(kind, STEPS.get(kind).resolve_options(dict(opts), f"preset {preset.name}"))
        for kind, opts in preset.steps
    ]
    return VariantSpec(preset.name, preset.format, preset.convert, steps)
