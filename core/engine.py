"""Run a recipe end to end: build and measure every variant, apply gates, render apps, report.

This is what ``deploy-studio run`` / ``demo`` / ``tune`` and the window's Build & measure call.
The parent orchestrates with plain data; one worker (:mod:`deploy_studio.core.worker`) owns the
session (the model is loaded once, in the worker) and serves the builds, measurements and apps.
Events arrive through ``reporter``: ``progress``/``log``/``latency`` per variant
(``event.variant`` set) or overall (``stage == "overall"``), and ``result`` with each
variant's finished report row (a plain dict).
"""

from __future__ import annotations

import datetime as _dt
import platform
from pathlib import Path

from deploy_studio.core.errors import Cancelled, RecipeError, StudioError
from deploy_studio.core.fsutil import check_output_dir, make_output_dir, remove_partials
from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.recipe import Recipe, VariantSpec
from deploy_studio.core.report.model import (
    AppResult,
    DatasetInfo,
    GateVerdict,
    ModelInfo,
    Report,
    VariantResult,
    as_row,
    as_verdict,
)
from deploy_studio.core.worker.requests import (
    BuildVariant,
    HostLimits,
    Prepare,
    RenderApps,
    RenderSamples,
    SessionInfo,
)


def make_worker(isolate: bool = True):
    """A worker process (``isolate``) or the same service in this process."""
    from deploy_studio.core.worker import InlineWorker, Worker

    return Worker() if isolate else InlineWorker()


def new_report(recipe: Recipe, info: SessionInfo) -> Report:
    """The report (schema 1) with model, dataset, baseline and notes filled in."""
    from importlib import metadata

    try:
        torch_version = metadata.version("torch")
    except metadata.PackageNotFoundError:
        torch_version = None
    return Report(
        name=recipe.name,
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        host={
            "platform": platform.platform(),
            "python": platform.python_version(),
            "torch": torch_version,
        },
        model=ModelInfo(**info.model),
        dataset=DatasetInfo(**info.dataset),
        baseline_accuracy=info.baseline_accuracy,
        baseline_metrics=info.baseline_metrics,
        degenerate=info.degenerate,
        benchmark=recipe.benchmark.report_dict(),
        preprocess=dict(info.preprocess),
        notes=list(info.warnings),
    )


def prepare(recipe: Recipe, worker, reporter: Reporter) -> SessionInfo:
    """Open the recipe's session in the worker (model, data, reference, pre-build checks)."""
    return worker.call(Prepare(recipe), reporter.emit, reporter.cancel)


def run_variants(
    recipe: Recipe,
    variants: list[VariantSpec],
    out_dir: Path,
    reporter: Reporter,
    worker,
    overall: tuple[int, int] | None = None,
    cache: bool = True,
) -> list[VariantResult]:
    """Build and measure ``variants`` in ``worker``; a failing variant keeps its row with ``error``.

    With ``cache`` (and the build cache enabled), a variant whose inputs did not change since
    it was last built is not rebuilt: its artifact and row come from :mod:`.build_cache`.
    A crash of the worker becomes that variant's error row; the next variant restarts it.
    """
    from deploy_studio.core import build_cache
    from deploy_studio.core.pipeline.run_variant import empty_result

    cache = cache and build_cache.enabled()
    rows: list[VariantResult] = []
    done, total = overall or (0, len(variants))
    for i, v in enumerate(variants):
        reporter.emit(
            Event(
                "progress",
                stage="overall",
                fraction=(done + i) / max(total, 1),
                message=f"building {v.name}",
                variant=None,
            )
        )
        reporter.emit(
            Event(
                "log",
                stage="overall",
                message=f"[{done + i + 1}/{total}] {v.name}: {v.format}",
                variant=v.name,
            )
        )
        key = build_cache.variant_key(recipe, v, recipe.preprocess) if cache else None
        cached = build_cache.lookup(key, Path(out_dir)) if key else None
        if cached is not None:
            row = VariantResult.from_dict(cached)
            reporter.emit(
                Event(
                    "log",
                    stage="overall",
                    variant=v.name,
                    message=f"[{v.name}] unchanged since {(row.cached or {}).get('built')}: reused, not rebuilt",
                )
            )
        else:
            try:
                data = worker.call(
                    BuildVariant(recipe, v.name, str(out_dir)), reporter.emit, reporter.cancel
                )
                row = VariantResult.from_dict(data)
            except Cancelled:
                remove_partials(Path(out_dir) / "artifacts")
                raise
            except StudioError as e:
                row = empty_result(v)
                row.error = e.message + (f" (try: {e.hint})" if e.hint else "")
                row.traceback = getattr(e, "traceback_text", "") or None
            if key:
                build_cache.store(key, row.to_dict(), Path(out_dir))
        rows.append(row)
        reporter.emit(
            Event("result", stage="variant", variant=v.name, data=row.to_dict(samples=True))
        )
    reporter.emit(
        Event(
            "progress",
            stage="overall",
            fraction=(done + len(variants)) / max(total, 1),
            variant=None,
        )
    )
    return rows


def attach_host_limits(recipe: Recipe, report: Report, reporter: Reporter, worker) -> None:
    """``report.host_limits`` (this host's peak GFLOP/s and bandwidth, measured once by the
    worker) and every costed row's roofline against them; nothing is measured when no row has
    a cost. A failure is a log line: the limits never fail a run."""
    from deploy_studio.core.cost import roofline

    rows = [v for v in report.variants if v.cost]
    if not rows:
        return
    try:
        limits = worker.call(
            HostLimits(recipe.benchmark.headline_threads), reporter.emit, reporter.cancel
        )
    except Cancelled:
        raise
    except StudioError as e:
        reporter.emit(
            Event(
                "log",
                stage="overall",
                message=f"note: this host's limits were not measured: {e.message}",
                variant=None,
            )
        )
        return
    report.host_limits = limits
    for v in rows:
        v.cost = roofline(v.cost, limits)


def evaluate_gates(recipe: Recipe, report: Report) -> list[GateVerdict]:
    """One verdict per (gate, variant) on the report's rows, see :mod:`.gates`."""
    from deploy_studio.core.gates import evaluate_gates as judge_all

    return judge_all(recipe.gates, report.variants, report.baseline_accuracy)


def render_apps(recipe: Recipe, report: Report, out: Path, reporter: Reporter, worker) -> None:
    """Render ``[export] templates`` in the worker; rows it built for the apps join the report."""
    apps, extra = worker.call(
        RenderApps(recipe, report.to_dict(), str(out)), reporter.emit, reporter.cancel
    )
    report.variants.extend(VariantResult.from_dict(r) for r in extra)
    report.templates = [AppResult.from_dict(a) for a in apps]


def render_samples(recipe: Recipe, out: Path, reporter: Reporter, worker) -> None:
    """Draw a few held-out samples per task into ``out/samples/`` (the truth and the original
    model's prediction), which report.html shows; a failure is a log line, never a failed run."""
    try:
        worker.call(RenderSamples(recipe, str(out)), reporter.emit, reporter.cancel)
    except Cancelled:
        raise
    except Exception as e:  # noqa: BLE001 - pictures of samples never fail a run
        message = getattr(e, "message", None) or str(e) or type(e).__name__
        reporter.emit(
            Event(
                "log",
                stage="overall",
                message=f"note: held-out samples not drawn for the report: {message}",
                variant=None,
            )
        )


def run_recipe(
    recipe: Recipe,
    out_dir: str | Path,
    *,
    reporter: Reporter | None = None,
    isolate: bool = True,
    templates: bool = True,
    cache: bool = True,
    worker=None,
) -> dict:
    """Build, measure, gate, render templates and write ``report.json``/``report.html``.

    ``worker`` is the window's own worker (kept between runs); without one, a worker is started
    for this run (a process with ``isolate``, else this process) and ended after it. Returns the
    report dict. Raises :class:`Cancelled` when cancelled (no partial files left) and
    :class:`StudioError` for bad input found before any variant runs.
    """
    from deploy_studio.core.report import write_report

    reporter = reporter or Reporter()
    out = Path(out_dir)
    if not recipe.enabled_variants():
        raise RecipeError(
            f"the recipe {recipe.name!r} has no enabled variant to build",
            'add a [[variant]] table, e.g. name = "fp32-pte" and format = "pte"',
        )
    check_output_dir(out)
    own = worker is None
    worker = worker or make_worker(isolate)
    failed = False
    try:
        info = prepare(recipe, worker, reporter)  # bad input fails before any output
        make_output_dir(out)
        remove_partials(out)
        for note in info.warnings:
            reporter.emit(Event("log", stage="overall", message=f"note: {note}", variant=None))
        report = new_report(recipe, info)
        variants = recipe.enabled_variants()
        extra_apps = 1 if (templates and recipe.export.templates) else 0
        report.variants = run_variants(
            recipe,
            variants,
            out,
            reporter,
            worker,
            overall=(0, len(variants) + extra_apps),
            cache=cache,
        )
        attach_host_limits(recipe, report, reporter, worker)
        report.gates = evaluate_gates(recipe, report)
        if templates and recipe.export.templates:
            reporter.emit(
                Event(
                    "progress",
                    stage="overall",
                    fraction=len(variants) / (len(variants) + 1),
                    message="rendering app projects",
                    variant=None,
                )
            )
            render_apps(recipe, report, out, reporter, worker)
        render_samples(recipe, out, reporter, worker)
        data = report.to_dict()
        write_report(data, out)
        reporter.emit(
            Event("progress", stage="overall", fraction=1.0, message="done", variant=None)
        )
        return data
    except BaseException:
        failed = True
        raise
    finally:
        if own and failed:
            worker.kill()  # mid-request: it cannot be asked to stop
        elif own:
            worker.close()


def report_exit_code(report: Report | dict) -> int:
    """0 when every variant built and every gate passed (uncertain is not failed), else 1.

    The one rule for the CLI's exit code and the window's verdict line.
    """
    from deploy_studio.core.gates import any_failed

    if isinstance(report, Report):
        rows, gates, apps = report.variants, report.gates, report.templates
    else:
        rows = [as_row(v) for v in report["variants"]]
        gates = [as_verdict(g) for g in report.get("gates") or []]
        apps = [AppResult.from_dict(t) for t in report.get("templates") or []]
    if any(not v.ok for v in rows) or any_failed(gates) or any(t.error for t in apps):
        return 1
    return 0
