"""Ship what a session already built: copy its artifacts, build what is missing, render apps.

The window's Export dialog calls :func:`ship_results` with the rows it has measured, so
shipping never rebuilds (or re-measures) a variant the user already compared. Builds and apps
run in the window's worker.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from deploy_studio.core.fsutil import atomic_dir, atomic_path, remove_partials
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import Recipe
from deploy_studio.core.report.model import VariantResult, as_row


def _copy_atomic(src: Path, dst: Path) -> None:
    if src.resolve() == dst.resolve():
        return
    if src.is_dir():
        with atomic_dir(dst) as tmp:
            shutil.copytree(src, tmp, dirs_exist_ok=True)
    else:
        with atomic_path(dst) as tmp:
            shutil.copy2(src, tmp)


def ship_results(
    recipe: Recipe,
    out_dir: str | Path,
    *,
    built_rows: dict[str, VariantResult | dict] | None = None,
    built_dir: str | Path | None = None,
    reporter: Reporter | None = None,
    isolate: bool = True,
    worker=None,
) -> dict:
    """Ship ``recipe``'s variants and render its ``[export] templates`` into ``out_dir``.

    Variants in ``built_rows`` (report rows whose artifacts live under ``built_dir``) are
    copied with their measurements unchanged; the others are built and measured here.
    Writes report.json/html into ``out_dir`` and returns the report.
    """
    from deploy_studio.core.engine import (
        attach_host_limits,
        evaluate_gates,
        make_worker,
        new_report,
        prepare,
        render_apps,
        run_variants,
    )
    from deploy_studio.core.report import write_report

    reporter = reporter or Reporter()
    built_rows = built_rows or {}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_partials(out)
    own = worker is None
    worker = worker or make_worker(isolate)
    try:
        report = new_report(recipe, prepare(recipe, worker, reporter))
        rows: list[VariantResult] = []
        missing = []
        for v in recipe.variants:
            given = built_rows.get(v.name)
            row = as_row(given) if given is not None else None
            if row and row.ok and built_dir and row.artifact:
                reporter.log(f"copying {v.name} ({row.format})")
                for rel in row.files or [row.artifact]:
                    _copy_atomic(Path(built_dir) / rel, out / rel)
                rows.append(row)
            else:
                missing.append(v)
        if missing:
            rows.extend(run_variants(recipe, missing, out, reporter, worker))
        order = {v.name: i for i, v in enumerate(recipe.variants)}
        rows.sort(key=lambda r: order.get(r.name, len(order)))
        report.variants = rows
        attach_host_limits(recipe, report, reporter, worker)
        report.gates = evaluate_gates(recipe, report)
        if recipe.export.templates:
            reporter.progress("overall", 0.8, "rendering app projects")
            render_apps(recipe, report, out, reporter, worker)
        data = report.to_dict()
        write_report(data, out)
        reporter.progress("overall", 1.0, "done")
        return data
    finally:
        if own:
            worker.close()
