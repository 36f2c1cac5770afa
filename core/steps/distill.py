"""The ``distill`` step: train a smaller ``student`` to mimic the loaded model (the teacher).

Knowledge distillation loss ``alpha * T^2 * KL(student/T || teacher/T) + (1 - alpha) * CE``
on the training side (labels required: the ``random`` data source is rejected, since
mimicking a teacher on noise teaches nothing), for ``epochs`` epochs, reporting progress per
batch and, per epoch, the loss and held-out accuracy. The student replaces the working
model; later steps (prune, quantize) and the format work on it.
"""

from __future__ import annotations

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.registry import STEPS, Option
from deploy_studio.core.steps._common import (
    count_params,
    eval_data,
    labelled_training_data,
    working_module,
)

OPTIONS = [
    Option(
        "student",
        "str",
        "",
        required=True,
        path=True,
        help='a MODEL spec for the student, e.g. "builtin:digits-cnn-small", '
        '"torchvision:mobilenet_v3_small" or "student.py:Small"',
    ),
    Option(
        "width",
        "float",
        1.0,
        minimum=0.05,
        maximum=1.0,
        help="build the student narrower by this width multiplier (torchvision MobileNet "
        "width_mult, ShuffleNet x0.5..x2.0, bottleneck ResNets' width_per_group, a file.py "
        "class's width / width_mult); a student of the teacher's own source keeps its init_args",
    ),
    Option(
        "depth",
        "float",
        1.0,
        minimum=0.05,
        maximum=1.0,
        help="keep this share of the student's repeated blocks (every stage's later blocks, "
        "evenly spaced); a student of the teacher's own source at width 1 then starts from the "
        "teacher's weights (a layer-dropping student)",
    ),
    Option("epochs", "int", 3, minimum=1, maximum=1000, help="training epochs"),
    Option(
        "temperature",
        "float",
        4.0,
        minimum=0.05,
        maximum=100.0,
        help="softmax temperature T of the KD loss (higher: softer teacher targets)",
    ),
    Option(
        "alpha",
        "float",
        0.7,
        minimum=0.0,
        maximum=1.0,
        help="weight of the KD term; 1 - alpha weighs cross-entropy with the labels",
    ),
    Option("lr", "float", 5e-3, minimum=0.0, help="Adam learning rate (small students learn fast)"),
    Option("batch_size", "int", 64, minimum=1, maximum=4096, help="training batch size"),
]


@STEPS.register(
    "distill",
    order=10,
    order_reason="distill replaces the model with a student trained on it: steps before it "
    "would be thrown away",
    label="Distill",
    help="Train a smaller student model on the loaded model's outputs (the teacher).",
    options=OPTIONS,
)
class Distill:
    """The distill step plugin."""

    @staticmethod
    def check(variant, index: int, options: dict) -> None:
        """Distill names a student and runs once (its place, first, is its declared order)."""
        where = f"variant {variant.name!r}"
        if not str(options.get("student", "")).strip():
            raise RecipeError(
                f"{where}: distill needs a student model",
                'e.g. student = "builtin:digits-cnn-small"',
            )
        if any(s.kind == "distill" for s in variant.steps[:index]):
            raise RecipeError(
                f"{where} distills twice (the loaded model is the one teacher)",
                "keep one distill step per variant",
            )

    @staticmethod
    def apply(ctx, options: dict) -> None:
        """Load the student, train it with the KD loss, and make it the working module."""
        from deploy_studio.core.models import ModelSpec, load_model
        from deploy_studio.core.training import accuracy, fit

        teacher = working_module(ctx, "distill").eval()
        x, y = labelled_training_data(ctx, "distill")
        source, init_args = _student_spec(ctx, options)
        student = load_model(
            ModelSpec(source, input_shape=list(ctx.model.input_shape), init_args=init_args),
            ctx.reporter,
        )
        dropped = None
        if student.is_module and options.get("depth", 1.0) < 1.0:
            dropped = _cut_depth(ctx, options, teacher, student, source, x[:1])
        if not student.is_module:
            raise RecipeError(
                f"variant {ctx.variant.name!r}: the student {source} is a {student.kind} archive "
                "and cannot be trained",
                "give the student as builtin:NAME, torchvision:ARCH or file.py:Class",
            )
        if list(student.output_shape) != list(ctx.model.output_shape):
            raise RecipeError(
                f"variant {ctx.variant.name!r}: the student {source} outputs "
                f"{student.output_shape}, the teacher {ctx.model.output_shape}",
                "pick a student with the same number of classes",
            )
        data = eval_data(ctx)
        teacher_acc = accuracy(teacher, *data) if data else None
        module = student.module
        history = fit(
            module,
            x,
            y,
            epochs=options["epochs"],
            lr=options["lr"],
            batch_size=options["batch_size"],
            teacher=teacher,
            temperature=options["temperature"],
            alpha=options["alpha"],
            eval_data=data,
            stage="distill",
            reporter=ctx.reporter,
        )
        ctx.module = module.eval()
        t_params, s_params = count_params(teacher), count_params(module)
        ctx.state["distill"] = {
            "history": history,
            "depth": options.get("depth", 1.0),
            "dropped_blocks": dropped,
            "student": source,
            "student_init_args": init_args,
            "teacher_params": t_params,
            "student_params": s_params,
            "teacher_accuracy": teacher_acc,
            "student_accuracy": history[-1].get("eval_accuracy") if history else None,
        }
        msg = (
            f"distilled {source} ({s_params:,} params, {s_params / t_params:.2%} of the "
            f"teacher's {t_params:,}) for {options['epochs']} epoch(s), T={options['temperature']:g}, "
            f"alpha={options['alpha']:g}"
        )
        if dropped:
            msg += f", {len(dropped)} repeated block(s) left out ({', '.join(dropped[:4])}"
            msg += ", ...)" if len(dropped) > 4 else ")"
        if history and "eval_accuracy" in history[-1]:
            msg += f": held-out accuracy {history[-1]['eval_accuracy']:.2%}"
            if teacher_acc is not None:
                msg += f" (teacher {teacher_acc:.2%})"
        ctx.notes.append(msg)


def _cut_depth(ctx, options: dict, teacher, student, source: str, example) -> list[str]:
    """Leave out ``1 - depth`` of the student's repeated blocks (core/models/shallow.py); a
    student of the teacher's own source at width 1 starts from the teacher's weights."""
    from deploy_studio.core.models.shallow import shallower

    spec = getattr(ctx.model, "spec", None)
    own = spec is not None and str(spec.source).strip() == source.strip()
    base = teacher if own and options.get("width", 1.0) >= 1.0 else student.module
    try:
        module, dropped = shallower(base, float(options["depth"]), example)
    except RecipeError as e:
        raise RecipeError(f"variant {ctx.variant.name!r}: {e.message}", e.hint) from None
    student.module = module.train()
    return dropped


def _student_spec(ctx, options: dict) -> tuple[str, dict | None]:
    """The student's source and init_args (:func:`~deploy_studio.core.models.narrow.student_spec`),
    errors naming the variant."""
    from deploy_studio.core.models.narrow import student_spec

    try:
        return student_spec(getattr(ctx.model, "spec", None), options)
    except RecipeError as e:
        raise RecipeError(f"variant {ctx.variant.name!r}: {e.message}", e.hint) from None
