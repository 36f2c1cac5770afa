"""``deploy-studio tune``: search quantize modes x prune amounts x formats within an accuracy budget.

The search builds every supported combination as an ordinary variant through the engine
(same builds, same measurements as ``run``), then adds to the report the Pareto front of
latency, accuracy and size (``"pareto"``) and the fastest variant whose accuracy drop vs the
original model is within the budget (``"recommended"``). The space is kept small on
purpose: a handful of modes and amounts, the recipe's own formats.

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
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import Recipe, StepSpec, VariantSpec, check_variant
from deploy_studio.core.registry import FORMATS, STEPS
from deploy_studio.core.report.model import Report

DEFAULT_FORMATS = ("pte", "onnx")  # searched when the recipe has no tunable format
DEFAULT_MODES: tuple[str | None, ...] = (None, "int8-static", "int8-dynamic", "fp16")
DEFAULT_AMOUNTS = (0.0, 0.3, 0.5)
DEFAULT_BUDGET = 0.01
MAX_VARIANTS = 40


def tune_formats() -> list[str]:
    """The formats tune can search: converted from the model (not the eager baseline) and
    run on this host, so they can be measured (read from the formats' contract); a format
    whose optional packages are not installed is left out."""
    return [
        e.key
        for e in FORMATS.entries()
        if e.obj.converters and e.obj.runtime and not e.obj.missing()
    ]


def variant_name(fmt: str, mode: str | None, amount: float) -> str:
    """A readable, unique name such as ``pte-int8-static-pruned30``."""
    name = f"{fmt}-{mode or 'fp32'}"
    return name + (f"-pruned{round(amount * 100)}" if amount else "")


def search_space(
    recipe: Recipe,
    *,
    formats: Sequence[str] | None = None,
    modes: Sequence[str | None] = DEFAULT_MODES,
    amounts: Sequence[float] = DEFAULT_AMOUNTS,
    finetune_epochs: int | None = None,
) -> list[VariantSpec]:
    """The variants to try: the original model in eager, then formats x prune amounts x modes.

    Parameters
    ----------
    recipe : Recipe
        Gives the formats to search (those of its variants that :func:`tune_formats` allows;
        pte and onnx when it has none) and whether data is labelled (pruned variants are
        finetuned for one epoch on labelled data).
    formats, modes, amounts : sequences, optional
        Override the space. ``None`` in ``modes`` means "not quantized"; ``0`` in
        ``amounts`` means "not pruned". Unsupported combinations are skipped.
    finetune_epochs : int, optional
        Finetuning after pruning (default 1 on labelled data, 0 on ``random``).

    Returns
    -------
    list of VariantSpec
        At most ``MAX_VARIANTS``; a RecipeError when the space is larger.
    """
    tunable = tune_formats()
    if formats is None:
        formats = list(dict.fromkeys(v.format for v in recipe.variants if v.format in tunable))
        formats = formats or [f for f in DEFAULT_FORMATS if f in tunable]
    bad = [f for f in formats if f not in tunable]
    if bad:
        raise RecipeError(f"tune searches formats {', '.join(tunable)}, not {', '.join(bad)}")
    if finetune_epochs is None:
        finetune_epochs = 0 if recipe.data.source == "random" else 1
    variants = [VariantSpec("original-eager", "eager")]
    for fmt in formats:
        convert = FORMATS.get(fmt).obj.default_converter
        for amount in amounts:
            for mode in modes:
                steps = []
                if amount:
                    steps.append(
                        _step(
                            "prune",
                            method="structured-l1",
                            amount=float(amount),
                            finetune_epochs=finetune_epochs,
                        )
                    )
                if mode:
                    steps.append(_step("quantize", mode=mode))
                v = VariantSpec(variant_name(fmt, mode, amount), fmt, convert, steps)
                try:
                    check_variant(v)
                except RecipeError:
                    continue  # e.g. int8-static for ptl: not a combination we can build
                variants.append(v)
    if len(variants) > MAX_VARIANTS:
        raise RecipeError(
            f"the search space has {len(variants)} variants (at most {MAX_VARIANTS})",
            "search fewer formats, quantize modes or prune amounts",
        )
    return variants


def _step(kind: str, **options) -> StepSpec:
    return StepSpec(kind, STEPS.get(kind).resolve_options(options, f"tune {kind}"))


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
) -> dict:
    """Build and measure the search space, then write the report with its Pareto front.

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
    formats, modes, amounts : optional
        Override the search space (see :func:`search_space`).
    isolate : bool
        Build in a child process (as ``run`` does).
    min_agreement : float, optional
        On unlabelled real data, the fidelity budget: least top-1 agreement with the original
        (default ``1 - max_accuracy_drop``). On ``random`` data nothing is recommended.

    Returns
    -------
    dict
        The report, with ``"pareto"`` (variant names), ``"recommended"`` (a name or None)
        and ``"tune"`` (budget, space, timing).
    """
    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.report import write_report

    started = time.perf_counter()
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
    variants = search_space(recipe, formats=formats, modes=modes, amounts=amounts)
    search = recipe.copy()
    search.name = f"{recipe.name} (tune)"
    search.variants = variants
    search.export.variant = None
    search.export.templates = []
    report = Report.from_dict(
        run_recipe(
            search, Path(out_dir), reporter=reporter, isolate=isolate, templates=False, cache=cache
        )
    )
    rows, baseline = report.variants, report.baseline_metric
    budget = budget_for(
        recipe.data.source,
        report.dataset.labelled or baseline is not None,
        baseline,
        report.degenerate,
        drop,
        min_agreement,
        report.task["metric"]["label"],
    )
    from deploy_studio.core.gates import failed_variants

    report.pareto = pareto_front(rows)
    report.recommended = recommend(rows, baseline, budget, failed_variants(report.gates))
    report.tune = {
        "max_accuracy_drop": budget.limit if budget.basis == "accuracy" else None,
        "min_top1_agreement": budget.limit if budget.basis == "fidelity" else None,
        "basis": budget.basis,
        "formats": sorted({v.format for v in variants if FORMATS.get(v.format).obj.converters}),
        "quantize_modes": [m or "none" for m in modes],
        "prune_amounts": list(amounts),
        "variants": len(variants),
        "failed": [r.name for r in rows if not r.ok],
        "seconds": round(time.perf_counter() - started, 1),
        "note": budget.reason
        if report.recommended or budget.basis is None
        else budget.reason + ": no variant qualifies",
    }
    data = report.to_dict()
    write_report(data, Path(out_dir))
    return data
