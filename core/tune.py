"""``deploy-studio tune``: search prune amounts, a distilled student, quantize modes, formats
and thread counts within an accuracy budget.

The search space (:func:`search_space`) holds the original model, then groups of candidates
that share a *prefix* (the model-changing steps before quantization): not pruned, pruned by
each amount (structured-l1, finetuned on labelled data), distilled into a narrower student of
the model's own family (``models/narrow.py``); each group is crossed with the quantize modes
and formats. The groups are ordered by expected value: cheap, likely-good first (unpruned,
then growing prune amounts, then the student). A group's prefix is computed once and reused
by every format and mode (``pipeline/prefix_cache.py``).

The search runs in stages (``tune_stages.py``), successive halving: stage 1 builds every
candidate and measures it briefly (``SHORT_WARMUP`` / ``SHORT_RUNS``, accuracy on the
whole held-out set); a group whose first float build already misses the budget by
:data:`~deploy_studio.core.tune_stages.PROBE_MARGIN` is not built further; an int8-static
candidate that misses the budget gets a follow-up that keeps the layers the numerical
debugger blames (run then, on its prefix's model: ``pipeline/diagnose.py``) in float; stage 2 measures only the survivors of :func:`halving.halve` with
the recipe's full benchmark, at every thread count of ``[benchmark] threads``. The Pareto
front and the recommendation are taken over the survivors (the report keeps every row, the
dropped ones with their short measurement). With a time budget, no build or measurement
starts that the time left cannot pay for.

Candidates use each format's default options: ExecuTorch programs are lowered to XNNPACK.
The Core ML and Vulkan delegates are never searched: tune ranks by measured latency, and
their programs cannot run on this host (a recipe's own Core ML / Vulkan variants are built
by ``run``, with size and partition coverage and latency "not measured here").
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.pareto import budget_for, pareto_front, recommend
from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.recipe import Recipe, StepSpec, VariantSpec, check_variant
from deploy_studio.core.registry import FORMATS, STEPS
from deploy_studio.core.tune_stages import ORIGINAL as ORIGINAL
from deploy_studio.core.tune_stages import SHORT_RUNS as SHORT_RUNS
from deploy_studio.core.tune_stages import SHORT_WARMUP as SHORT_WARMUP

DEFAULT_FORMATS = ("pte", "onnx")  # kept for callers; the default is now every tunable format
DEFAULT_MODES: tuple[str | None, ...] = (None, "int8-static", "int8-dynamic", "fp16")
DEFAULT_AMOUNTS = (0.0, 0.3, 0.5, 0.7)
MAX_AMOUNT = 0.8  # more than this and structured pruning leaves too little to finetune
DEFAULT_BUDGET = 0.01
TUNE_DEPTHS = (0.5, 0.25)  # shallower students keep this share of each stage's repeated blocks
SHALLOW_LR, SHALLOW_EPOCHS = 1e-3, 3  # it starts from the teacher's weights: a gentle rate
MAX_VARIANTS = 120


def tune_formats() -> list[str]:
    """The formats tune can search: converted from the model (not the eager baseline) and
    run on this host, so they can be measured (read from the formats' contract); a format
    whose optional packages are not installed is left out."""
    return [
        e.key
        for e in FORMATS.entries()
        if e.obj.converters and e.obj.runtime and not e.obj.missing()
    ]


def variant_name(fmt: str, mode: str | None, amount: float, student: bool | str = False) -> str:
    """A readable, unique name such as ``pte-int8-static-pruned30``, ``onnx-fp32-distilled``
    (the narrower student) or ``tflite-fp32-shallow50`` (``student="shallow50"``)."""
    name = f"{fmt}-{mode or 'fp32'}"
    name += f"-pruned{round(amount * 100)}" if amount else ""
    if isinstance(student, str):
        return name + f"-{student}"
    return name + ("-distilled" if student else "")


def check_amounts(amounts: Sequence[float]) -> list[float]:
    """Prune amounts as floats in [0, MAX_AMOUNT] (0: not pruned), else a RecipeError."""
    out = []
    for a in amounts:
        if not isinstance(a, (int, float)) or not 0.0 <= float(a) <= MAX_AMOUNT:
            raise RecipeError(
                f"tune prune amounts must be between 0 and {MAX_AMOUNT}, got {a!r}",
                "e.g. --prune-amounts 0,0.3,0.5,0.7 (0 means not pruned)",
            )
        out.append(float(a))
    return list(dict.fromkeys(out))


def search_space(
    recipe: Recipe,
    *,
    formats: Sequence[str] | None = None,
    modes: Sequence[str | None] = DEFAULT_MODES,
    amounts: Sequence[float] = DEFAULT_AMOUNTS,
    finetune_epochs: int | None = None,
    distill: bool = True,
) -> list[VariantSpec]:
    """The candidates, in the order they are tried: the original model in eager, then per
    prefix (not pruned, each prune amount, the distilled student) its modes x formats.

    Parameters
    ----------
    recipe : Recipe
        Gives the formats to search (those of its variants that :func:`tune_formats` allows;
        every tunable format when it has none) and whether data is labelled (pruned variants
        are finetuned for one epoch, and a student is distilled, on labelled data only).
    formats, modes, amounts : sequences, optional
        Override the space. ``None`` in ``modes`` means "not quantized"; ``0`` in
        ``amounts`` means "not pruned" (at most :data:`MAX_AMOUNT`). Unsupported
        combinations are skipped.
    finetune_epochs : int, optional
        Finetuning after pruning (default 1 on labelled data, 0 on ``random``).
    distill : bool
        Add the distilled-student group when the model's family has a narrower member
        (:func:`deploy_studio.core.models.narrow.tune_student`) and the data is labelled.

    Returns
    -------
    list of VariantSpec
        At most ``MAX_VARIANTS``; a RecipeError when the space is larger.
    """
    tunable = tune_formats()
    if formats is None:
        formats = list(dict.fromkeys(v.format for v in recipe.variants if v.format in tunable))
        formats = formats or tunable
    bad = [f for f in formats if f not in tunable]
    if bad:
        raise RecipeError(f"tune searches formats {', '.join(tunable)}, not {', '.join(bad)}")
    amounts = check_amounts(amounts)
    labelled = recipe.data.source != "random"
    if finetune_epochs is None:
        finetune_epochs = 1 if labelled else 0
    prefixes: list[tuple[float, list[StepSpec], bool | str]] = []
    for amount in amounts:
        steps = []
        if amount:
            steps.append(
                _step(
                    "prune",
                    method="structured-l1",
                    amount=amount,
                    finetune_epochs=finetune_epochs,
                )
            )
        prefixes.append((amount, steps, False))
    if distill and labelled:
        at = 1 if prefixes and not amounts[0] else 0  # after the unpruned group
        for i, depth in enumerate(_shallow_depths(recipe)):
            shallow = _step(
                "distill",
                student=recipe.model.source,
                depth=depth,
                lr=SHALLOW_LR,
                epochs=SHALLOW_EPOCHS,
            )
            prefixes.insert(at + i, (0.0, [shallow], f"shallow{round(depth * 100)}"))
    student = _student(recipe) if distill and labelled else None
    if student is not None:
        source, width = student
        prefixes.append((0.0, [_step("distill", student=source, width=width)], True))
    variants = [VariantSpec(ORIGINAL, "eager")]
    for amount, prefix, distilled in prefixes:
        for mode in modes:
            for fmt in formats:
                steps = list(prefix)
                if mode:
                    steps.append(_step("quantize", mode=mode))
                convert = FORMATS.get(fmt).obj.default_converter
                v = VariantSpec(variant_name(fmt, mode, amount, distilled), fmt, convert, steps)
                try:
                    check_variant(v)
                except RecipeError:
                    continue  # e.g. int8-static for ptl: not a combination we can build
                variants.append(v)
    if len(variants) > MAX_VARIANTS:
        raise RecipeError(
            f"the search space has {len(variants)} variants (at most {MAX_VARIANTS})",
            "search fewer formats (--formats), quantize modes or prune amounts (--prune-amounts)",
        )
    return variants


def _shallow_depths(recipe: Recipe) -> list[float]:
    """Those of :data:`TUNE_DEPTHS` that give distinct shallower students of the model (none
    when it has no repeated shape-keeping blocks, core/models/shallow.py): its architecture is
    built here, without weights, and run once on zeros of its input shape."""
    from deploy_studio.core.models import ModelSpec, load_model
    from deploy_studio.core.models.shallow import blocks_to_drop, removable_blocks

    m = recipe.model
    architecture = m.source.startswith(("torchvision:", "builtin:")) or ".py:" in m.source
    if not architecture or m.inputs or not m.input_shape:
        return []  # a saved model or several inputs: left alone
    try:
        import torch

        spec = ModelSpec(m.source, input_shape=list(m.input_shape), init_args=m.init_args)
        loaded = load_model(spec)
        if not loaded.is_module:
            return []
        module = loaded.module.eval()
        stages = removable_blocks(module, torch.zeros(*m.input_shape))
        depths, seen = [], set()
        for depth in TUNE_DEPTHS if stages else ():
            dropped = tuple(blocks_to_drop(module, stages, depth))
            if dropped and dropped not in seen:
                seen.add(dropped)
                depths.append(depth)
        return depths
    except Exception:  # noqa: BLE001 - a model that cannot be built here simply gets no student
        return []


def _student(recipe: Recipe) -> tuple[str, float] | None:
    from deploy_studio.core.models.narrow import tune_student

    return tune_student(recipe.model.source, recipe.model.init_args)


def _step(kind: str, **options) -> StepSpec:
    return StepSpec(kind, STEPS.get(kind).resolve_options(options, f"tune {kind}"))


def without_training(variants: list[VariantSpec]) -> list[VariantSpec]:
    """The candidates for unlabelled data: no distilled student, pruning not finetuned (both
    train on labels)."""
    out = []
    for v in variants:
        if any(s.kind == "distill" for s in v.steps):
            continue
        steps = [
            StepSpec(s.kind, {**s.options, "finetune_epochs": 0}) if s.kind == "prune" else s
            for s in v.steps
        ]
        out.append(VariantSpec(v.name, v.format, v.convert, steps))
    return out


def check_time_budget(seconds: float | None) -> None:
    if seconds is not None and not seconds >= 0:  # also rejects NaN
        raise RecipeError(
            f"--time-budget must be a number of seconds >= 0, got {seconds}",
            "e.g. --time-budget 600 for ten minutes",
        )


def tune(
    recipe: Recipe,
    out_dir: Path,
    *,
    max_accuracy_drop: float | None = None,
    reporter: Reporter | None = None,
    formats: Sequence[str] | None = None,
    modes: Sequence[str | None] = DEFAULT_MODES,
    amounts: Sequence[float] = DEFAULT_AMOUNTS,
    isolate: bool = True,
    min_agreement: float | None = None,
    cache: bool = True,
    time_budget: float | None = None,
    distill: bool = True,
    executor=None,
) -> dict:
    """Search the space in stages, then write the report with its Pareto front.

    Parameters
    ----------
    recipe : Recipe
        Model, data, benchmark settings and gates; its variants only give the formats.
    out_dir : Path
        Where artifacts, ``report.json`` and ``report.html`` go.
    max_accuracy_drop : float, optional
        Budget vs the original model's top-1 (fraction). Default: the recipe's
        ``[gates].max_accuracy_drop``, else 0.01.
    reporter : Reporter, optional
        Progress, results per variant and cancellation.
    formats, modes, amounts, distill : optional
        Override the search space (see :func:`search_space`).
    isolate : bool
        Build in a child process (as ``run`` does).
    min_agreement : float, optional
        On unlabelled real data, the fidelity budget: least top-1 agreement with the original
        (default ``1 - max_accuracy_drop``). On ``random`` data nothing is recommended.
    time_budget : float, optional
        Seconds: no build or full measurement starts that would overrun it (the original
        model is always measured); what was skipped is in ``tune.skipped``.
    executor : optional
        Scale-out (:func:`deploy_studio.core.scaleout.prebuild.make_executor`): stage 1's
        candidates are built on it in parallel first (all of them: a time budget does not
        limit this phase), then the stages run as without it, taking those builds.

    Returns
    -------
    dict
        The report, with ``"pareto"`` (variant names), ``"recommended"`` (a name or None)
        and ``"tune"`` (budget, space, stages, timing).
    """
    from deploy_studio.core import engine
    from deploy_studio.core.fsutil import check_output_dir, make_output_dir, remove_partials
    from deploy_studio.core.gates import failed_variants
    from deploy_studio.core.report import write_report
    from deploy_studio.core.tune_stages import Clock, measure_survivors, run_stage_one

    started = time.perf_counter()
    reporter = reporter or Reporter()
    drop = max_accuracy_drop
    if drop is None:
        drop = (
            recipe.gates.max_accuracy_drop
            if recipe.gates.max_accuracy_drop is not None
            else DEFAULT_BUDGET
        )
    if drop < 0:
        raise RecipeError(
            f"--max-accuracy-drop must be >= 0, got {drop}", "e.g. 0.01 for one point"
        )
    if min_agreement is not None and not 0 <= min_agreement <= 1:
        raise RecipeError(
            f"--min-agreement must be between 0 and 1, got {min_agreement}", "e.g. 0.99"
        )
    check_time_budget(time_budget)
    variants = search_space(recipe, formats=formats, modes=modes, amounts=amounts, distill=distill)
    search = recipe.copy()
    search.name = f"{recipe.name} (tune)"
    search.variants = variants
    search.export.variant = None
    search.export.templates = []
    out = Path(out_dir)
    check_output_dir(out)
    worker = engine.make_worker(isolate)
    failed = False
    try:
        info = engine.prepare(search, worker, reporter)
        make_output_dir(out)
        remove_partials(out)
        report = engine.new_report(search, info)
        if not report.dataset.labelled:  # nothing to finetune or distill on
            variants = search.variants = without_training(variants)
        baseline = report.baseline_metric
        budget = budget_for(
            recipe.data.source,
            report.dataset.labelled or baseline is not None,
            baseline,
            report.degenerate,
            drop,
            min_agreement,
            report.task["metric"]["label"],
        )
        clock = Clock(started, time_budget)
        from deploy_studio.core.scaleout.prebuild import prebuilt  # scale-out: builds ahead
        from deploy_studio.core.tune_stages import short_recipe

        with prebuilt(short_recipe(search), out, executor, reporter, cache=cache, clock=clock):
            one = run_stage_one(
                search, variants, out, reporter, worker, budget, baseline, clock, cache=cache
            )
        two = measure_survivors(search, one, out, reporter, worker, clock)
        report.variants = [two.rows.get(r.name, r) for r in one.rows]
        report.gates = engine.evaluate_gates(search, report)
        engine.render_samples(search, out, reporter, worker)
    except BaseException:
        failed = True
        raise
    finally:
        if failed:
            worker.kill()
        else:
            worker.close()
    rows = report.variants
    # the front and the recommendation are over the candidates measured in full: a dropped
    # candidate's short measurement is not compared with a survivor's full one
    final = [r for r in rows if r.name in one.survivors]
    report.pareto = pareto_front(final)
    report.recommended = recommend(final, baseline, budget, failed_variants(report.gates))
    best = next((r for r in rows if r.name == report.recommended), None)
    report.tune = {
        "max_accuracy_drop": budget.limit if budget.basis == "accuracy" else None,
        "min_top1_agreement": budget.limit if budget.basis == "fidelity" else None,
        "basis": budget.basis,
        "formats": sorted({v.format for v in variants if FORMATS.get(v.format).obj.converters}),
        "quantize_modes": [m or "none" for m in modes],
        "prune_amounts": check_amounts(amounts),
        "distill": next(
            (
                s.options["student"]
                for v in variants
                for s in v.steps
                if s.kind == "distill" and s.options.get("depth", 1.0) >= 1.0
            ),
            None,
        ),
        "students": _students(variants),
        "threads": recipe.benchmark.thread_counts,
        "recommended_threads": _best_threads(best),
        "space": len(variants) + len(one.followups),
        "variants": len(rows),
        "failed": [r.name for r in rows if not r.ok],
        "keep_fp32": one.followups,
        "prefix_cache": _prefix_summary(rows),
        "stages": [one.summary, two.summary],
        "skipped": {**one.skipped, **two.skipped},
        "time_budget": time_budget,
        "seconds": round(time.perf_counter() - started, 1),
        "note": budget.reason
        if report.recommended or budget.basis is None
        else budget.reason + ": no variant qualifies",
    }
    data = report.to_dict()
    write_report(data, out)
    reporter.emit(Event("progress", stage="overall", fraction=1.0, message="done", variant=None))
    return data


def _students(variants) -> list[dict]:
    """Every distinct student searched: its source, width and depth."""
    seen: list[dict] = []
    for v in variants:
        for s in v.steps:
            if s.kind == "distill":
                one = {
                    k: s.options.get(k, d)
                    for k, d in (("student", ""), ("width", 1.0), ("depth", 1.0))
                }
                if one not in seen:
                    seen.append(one)
    return seen


def _best_threads(row) -> int | None:
    """The thread count at which ``row`` ran fastest (its headline count without a list)."""
    if row is None or row.latency_ms is None:
        return None
    scaling = [s for s in row.threads_scaling or [] if s.get("p50") is not None]
    if not scaling:
        return None
    return int(min(scaling, key=lambda s: (s["p50"], s["threads"]))["threads"])


def _prefix_summary(rows) -> dict:
    """How many variants computed their prune/distill prefix and how many reused one."""
    looked: list[dict] = [
        p for r in rows if (p := (r.step_data or {}).get("prefix")) and isinstance(p, dict)
    ]
    return {
        "computed": sum(1 for p in looked if not p.get("reused")),
        "reused": sum(1 for p in looked if p.get("reused")),
    }
