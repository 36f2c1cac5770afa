"""A narrower student of the teacher's own family (``distill`` with ``width`` < 1, ``tune``).

A width multiplier scales a network's channels and keeps its depth and structure:
torchvision's MobileNet v2/v3 take it as ``width_mult``; ShuffleNet v2 comes in members
x0.5/x1.0/x1.5/x2.0 (the widest member not wider than the target is taken); the bottleneck
ResNets (resnet50/101/152) scale their blocks' inner width with ``width_per_group``; a
``file.py:Class`` whose constructor takes ``width``, ``width_mult`` or ``width_multiplier``
(timm-style) gets it scaled; the built-in digits CNN's student is ``digits-cnn-small``.
"""

from __future__ import annotations

from deploy_studio.core.errors import RecipeError

SMALLER_BUILTIN = {"builtin:digits-cnn": "builtin:digits-cnn-small"}
SHUFFLENET_MEMBERS = (0.5, 1.0, 1.5, 2.0)
BOTTLENECK_RESNETS = ("resnet50", "resnet101", "resnet152")
WIDTH_ARGS = ("width_mult", "width_multiplier", "width")
TUNE_WIDTH = 0.5  # the width tune's distillation candidate is built at


def narrower(source: str, width: float, init_args: dict | None = None) -> tuple[str, dict | None]:
    """``(source, init_args)`` of ``source``'s architecture at ``width`` times its channels.

    ``init_args`` are the teacher's (a student of its own family keeps e.g. ``num_classes``).
    A RecipeError names the families that have a width multiplier when ``source`` has none.
    """
    src = source.strip()
    args = dict(init_args or {})
    if width >= 1.0:
        return src, init_args
    if src in SMALLER_BUILTIN:
        return SMALLER_BUILTIN[src], None
    if src.startswith("torchvision:"):
        arch = src.split(":", 1)[1]
        if arch.startswith(("mobilenet_v2", "mobilenet_v3")):
            args["width_mult"] = round(float(args.get("width_mult", 1.0)) * width, 4)
            return src, args
        if arch.startswith("shufflenet_v2_x"):
            current = float(arch.removeprefix("shufflenet_v2_x").replace("_", "."))
            fit = [m for m in SHUFFLENET_MEMBERS if m <= current * width + 1e-9]
            member = max(fit or SHUFFLENET_MEMBERS[:1])
            return "torchvision:shufflenet_v2_x" + f"{member:.1f}".replace(".", "_"), args or None
        if arch in BOTTLENECK_RESNETS:
            args["width_per_group"] = max(1, round(int(args.get("width_per_group", 64)) * width))
            return src, args
    elif ".py:" in src:
        key = next((k for k in WIDTH_ARGS if k in args), None)
        if key is not None:
            value = args[key]
            args[key] = max(1, round(value * width)) if isinstance(value, int) else value * width
            return src, args
    raise RecipeError(
        f"no width multiplier is known for {src}",
        "width applies to torchvision mobilenet_v2/v3, shufflenet_v2, resnet50/101/152, "
        "builtin:digits-cnn, and file.py classes taking width / width_mult; otherwise name a "
        "smaller student and leave width = 1",
    )


def student_spec(teacher, options: dict) -> tuple[str, dict | None]:
    """The distill step's student ``(source, init_args)``: a student of the teacher's own
    source keeps the teacher's init_args (e.g. ``num_classes``); ``width`` < 1 narrows it.
    ``teacher`` is the teacher's ModelSpec (or None). The step and preflight both use this, so
    preflight checks the student the build will train."""
    source = str(options.get("student", "")).strip()
    same = teacher is not None and str(teacher.source).strip() == source
    init_args = dict(teacher.init_args) if same and teacher.init_args else None
    width = float(options.get("width", 1.0))
    if width < 1.0:
        return narrower(source, width, init_args)
    return source, init_args


def tune_student(source: str, init_args: dict | None) -> tuple[str, float] | None:
    """``(student, width)`` of the distillation candidate tune searches (None: no student
    of the model's family is known)."""
    src = source.strip()
    if src in SMALLER_BUILTIN:
        return SMALLER_BUILTIN[src], 1.0
    try:
        narrow = narrower(src, TUNE_WIDTH, init_args)
    except RecipeError:
        return None
    if narrow == (src, init_args or None):
        return None  # already the family's narrowest member (shufflenet_v2_x0_5)
    return src, TUNE_WIDTH
