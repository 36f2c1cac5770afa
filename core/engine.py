"""Run a recipe end to end: build and measure every variant, apply gates, render apps, report.

This is what ``deploy-studio run`` / ``demo`` and the window's Build & measure call. Heavy
work runs in a child process (``isolate=True``); events arrive through ``reporter``:
``progress``/``log``/``latency`` per variant (``event.variant`` set) or overall
(``stage == "overall"``), and ``result`` with each variant's finished report row.
"""

from __future__ import annotations

import datetime as _dt
import platform
from pathlib import Path

from deploy_studio.core.build.job import empty_row
from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.fsutil import check_output_dir, make_output_dir, remove_partials
from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.recipe import Recipe, VariantSpec
from deploy_studio.core.session import Session, open_session
from deploy_studio.core.worker import ChildProcess, call_inline

JOB = "deploy_studio.core.build.job:build_and_measure"


def new_report(recipe: Recipe, session: Session) -> dict:
    """The report skeleton (schema 1) with model, dataset and baseline filled in."""
    import torch

    ds = session.dataset
    return {
        "schema": 1,
        "name": recipe.name,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "host": {"platform": platform.platform(), "python": platform.python_version(), "torch": torch.__version__},
        "model": {
            "spec": recipe.model.source,
            "weights": recipe.model.weights,
            "params": session.model.params,
            "input_shape": session.model.input_shape,
            "output_shape": session.model.output_shape,
            "kind": session.model.kind,
            "output": session.model.output_key,
        },
        "dataset": {
            "name": ds.name,
            "eval_samples": int(len(session.eval_idx)),
            "calibration_samples": int(min(recipe.data.calibration_samples, len(session.train_idx))),
            "labelled": ds.labelled,
            "notes": ds.notes,
        },
        "baseline": {"accuracy": session.baseline_accuracy, "degenerate": session.degenerate},
        "benchmark": vars(recipe.benchmark).copy(),
        "preprocess": {**session.model.preprocess.to_dict(), "origin": session.preprocess_origin},
        "notes": list(session.warnings),
        "variants": [],
        "gates": [],
        "templates": [],
    }


def run_variants(recipe: Recipe, variants: list[VariantSpec], out_dir: Path, reporter: Reporter,
                 isolate: bool = True, child: ChildProcess | None = None, overall: tuple[int, int] | None = None,
                 cache: bool = True) -> list[dict]:
    """Build and measure ``variants``; a failing variant keeps its row with ``error`` set.

    With ``cache`` (and the build cache enabled), a variant whose inputs did not change since
    it was last built is not rebuilt: its artifact and row come from :mod:`core.build_cache`.
    """
    from deploy_studio.core import build_cache

    cache = cache and build_cache.enabled()
    rec_dict = recipe.to_dict()
    rec_dict["variant"] = [v.to_dict() for v in variants]
    own_child = None
    if isolate and child is None:
        child = own_child = ChildProcess()
    rows = []
    done, total = overall or (0, len(variants))
    failed = False
    try:
        for i, v in enumerate(variants):
            reporter.emit(Event("progress", stage="overall", fraction=(done + i) / max(total, 1), message=f"building {v.name}", variant=None))
            reporter.emit(Event("log", stage="overall", message=f"[{done + i + 1}/{total}] {v.name}: {v.format}", variant=v.name))
            kwargs = {"recipe": rec_dict, "variant_name": v.name, "out_dir": str(out_dir)}
            key = build_cache.variant_key(recipe, v, recipe.preprocess) if cache else None
            row = build_cache.lookup(key, Path(out_dir)) if key else None
            if row is not None:
                reporter.emit(Event("log", stage="overall", variant=v.name,
                                    message=f"[{v.name}] unchanged since {row['cached'].get('built')}: reused, not rebuilt"))
                rows.append(row)
                reporter.emit(Event("result", stage="variant", variant=v.name, data=row))
                continue
            try:
                if child is not None:
                    row = child.call(JOB, kwargs, reporter.emit, reporter.cancel)
                else:
                    row = call_inline(JOB, kwargs, reporter.emit, reporter.cancel)
            except Cancelled:
                remove_partials(out_dir / "artifacts")
                raise
            except StudioError as e:
                row = empty_row(v)
                row["error"] = e.message + (f" (try: {e.hint})" if e.hint else "")
                tb = getattr(e, "traceback_text", "")
                if tb:
                    row["traceback"] = tb
            if key:
                build_cache.store(key, row, Path(out_dir))
            rows.append(row)
            reporter.emit(Event("result", stage="variant", variant=v.name, data=row))
        reporter.emit(Event("progress", stage="overall", fraction=(done + len(variants)) / max(total, 1), variant=None))
    except BaseException:
        failed = True
        raise
    finally:
        if own_child is not None and failed:
            own_child.kill()  # mid-job: it cannot be asked to stop
        elif own_child is not None:
            own_child.close()
    return rows


def evaluate_gates(recipe: Recipe, report: dict) -> list[dict]:
    """One verdict per (gate, variant), see :mod:`core.gates`."""
    from deploy_studio.core.gates import evaluate_gates as judge_all

    return judge_all(recipe.gates, report["variants"], (report.get("baseline") or {}).get("accuracy"))


def run_recipe(recipe: Recipe, out_dir: str | Path, *, reporter: Reporter | None = None,
               isolate: bool = True, templates: bool = True, cache: bool = True) -> dict:
    """Build, measure, gate, render templates and write ``report.json``/``report.html``.

    Returns the report dict. Raises :class:`Cancelled` when cancelled (no partial files left)
    and :class:`StudioError` for bad input found before any variant runs.
    """
    from deploy_studio.core.report import write_report

    reporter = reporter or Reporter()
    out = Path(out_dir)
    if not recipe.enabled_variants():
        from deploy_studio.core.errors import RecipeError

        raise RecipeError(
            f"the recipe {recipe.name!r} has no enabled variant to build",
            'add a [[variant]] table, e.g. name = "fp32-pte" and format = "pte"',
        )
    check_output_dir(out)
    session = open_session(recipe.model, recipe.data, reporter, recipe.preprocess)  # bad input fails before any output
    from deploy_studio.core.preflight import preflight

    preflight(recipe, session, reporter)
    for note in session.warnings:
        reporter.emit(Event("log", stage="overall", message=f"note: {note}", variant=None))
    make_output_dir(out)
    remove_partials(out)
    report = new_report(recipe, session)
    variants = recipe.enabled_variants()
    extra_apps = 1 if (templates and recipe.export.templates) else 0
    report["variants"] = run_variants(recipe, variants, out, reporter, isolate, overall=(0, len(variants) + extra_apps),
                                      cache=cache)
    report["gates"] = evaluate_gates(recipe, report)
    if templates and recipe.export.templates:
        from deploy_studio.core.apps import export_apps

        reporter.emit(Event("progress", stage="overall", fraction=len(variants) / (len(variants) + 1), message="rendering app projects", variant=None))
        report["templates"] = export_apps(recipe, session, report, out, reporter, isolate=isolate)
    write_report(report, out)
    reporter.emit(Event("progress", stage="overall", fraction=1.0, message="done", variant=None))
    return report


def report_exit_code(report: dict) -> int:
    """0 when every variant built and every gate passed, else 1."""
    if any(v.get("error") for v in report["variants"]):
        return 1
    from deploy_studio.core.gates import any_failed

    if any_failed(report["gates"]):
        return 1
    if any(t.get("error") for t in report.get("templates", [])):
        return 1
    return 0
