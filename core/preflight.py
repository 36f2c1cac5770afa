"""Check every variant against the loaded model and data before the first build.

A recipe that parses can still fail late: a ``keep_fp32`` layer the model does not have, a
distillation student that does not load or outputs another number of classes, finetuning on
unlabelled data, a format the model's kind cannot produce. Each of these used to surface
after minutes of other builds; here they fail at once, all of them in one message.
"""

from __future__ import annotations

from deploy_studio.core.errors import RecipeError, StudioError
from deploy_studio.core.progress import NULL_REPORTER, Reporter


def preflight(recipe, session, reporter: Reporter = NULL_REPORTER) -> None:
    """Raise one RecipeError listing every problem of the recipe's enabled variants."""
    from deploy_studio.core.pipeline.build import check_model_kind
    from deploy_studio.core.recipe import check_variant

    problems: list[str] = []
    hints: list[str] = []
    students: dict[str, str | None] = {}
    for v in recipe.enabled_variants():
        try:
            check_variant(v)
            check_model_kind(v, session.model.kind)
        except StudioError as e:
            problems.append(e.message)
            hints.append(e.hint)
            continue
        for step in v.steps:
            try:
                _check_step(v, step, session, students, reporter)
            except StudioError as e:
                problems.append(e.message)
                hints.append(e.hint)
    if problems:
        if len(problems) == 1:
            raise RecipeError(problems[0], hints[0])
        raise RecipeError(
            f"{len(problems)} problems found before building anything:\n  - "
            + "\n  - ".join(problems),
            "; ".join(dict.fromkeys(h for h in hints if h)),
        )


def _check_step(variant, step, session, students: dict, reporter: Reporter) -> None:
    where = f"variant {variant.name!r}"
    opts = step.options
    labelled = session.dataset.labelled and len(session.train_idx) > 0
    sig = session.model.signature
    one_float = len(sig.inputs) == 1 and sig.inputs[0].dtype == "float32"
    if not one_float and (
        step.kind in ("prune", "distill") or (step.kind == "quantize" and opts.get("sensitivity"))
    ):
        what = "sensitivity" if step.kind == "quantize" else step.kind
        raise RecipeError(
            f"{where}: {what} works on models with one float32 input for now; this model takes "
            f"{sig.describe_inputs()}",
            f"drop the {what} from this variant (quantize, formats and parity work with every input)",
        )
    if step.kind == "quantize":
        keep = list(opts.get("keep_fp32") or [])
        if keep:
            names = (
                {n for n, _ in session.model.module.named_modules() if n}
                if hasattr(session.model.module, "named_modules")
                else set()
            )
            inner = {n[len("inner.") :] for n in names if n.startswith("inner.")}
            missing = [k for k in keep if k not in names and k not in inner]
            if missing:
                from deploy_studio.core.steps._common import weight_layer_names

                layers = weight_layer_names(session.model.module)
                shown = ", ".join(repr(n) for n in layers[:12]) + (
                    " ..." if len(layers) > 12 else ""
                )
                raise RecipeError(
                    f"{where}: keep_fp32 names layers the model does not have: {', '.join(map(repr, missing))}",
                    f"use qualified module names such as {shown}",
                )
    elif step.kind == "prune" and (opts.get("finetune_epochs") or 0) > 0 and not labelled:
        raise RecipeError(
            f"{where}: prune finetuning trains on labelled samples, but the data source "
            f"{session.dataset.name!r} has no labels",
            "use labelled data (builtin:digits, mnist:DIR, imagefolder:DIR with class folders), "
            "or set finetune_epochs = 0",
        )
    elif step.kind == "distill":
        if not labelled:
            raise RecipeError(
                f"{where}: distill trains on labelled samples, but the data source "
                f"{session.dataset.name!r} has no labels",
                "use labelled data (builtin:digits, mnist:DIR, imagefolder:DIR with class folders)",
            )
        from deploy_studio.core.models.narrow import student_spec

        try:
            source, init_args = student_spec(getattr(session.model, "spec", None), opts)
        except RecipeError as e:
            raise RecipeError(f"{where}: {e.message}", e.hint) from None
        key = f"{source} {sorted((init_args or {}).items())}"
        if key not in students:
            students[key] = _student_problem(source, init_args, session, reporter)
        if students[key]:
            raise RecipeError(
                f"{where}: {students[key]}",
                "give the student as builtin:NAME, torchvision:ARCH or file.py:Class; a "
                "relative path is read from the recipe's folder",
            )


def _student_problem(source: str, init_args, session, reporter: Reporter) -> str | None:
    """Load the student once (as the build will) and say what is wrong with it, if anything."""
    from deploy_studio.core.models import ModelSpec, load_model

    try:
        student = load_model(
            ModelSpec(source, input_shape=list(session.model.input_shape), init_args=init_args),
            reporter,
        )
    except StudioError as e:
        return f"the distill student {source} cannot be loaded: {e.message}"
    if not student.is_module:
        return f"the distill student {source} is a {student.kind} archive and cannot be trained"
    if list(student.output_shape) != list(session.model.output_shape):
        return (
            f"the distill student {source} outputs {student.output_shape}, the teacher "
            f"{session.model.output_shape}: pick a student with the same number of classes"
        )
    return None
