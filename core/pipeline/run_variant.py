"""One variant, end to end: build its artifact, then run it in its own runtime and measure.

Runs in the worker (:mod:`deploy_studio.core.worker`), against the worker's session: the model
is loaded once for every variant of a run. Returns the variant's :class:`VariantResult`.
"""

from __future__ import annotations

import time
from pathlib import Path

from deploy_studio.core.errors import StudioError
from deploy_studio.core.formats.contract import converts
from deploy_studio.core.measure import accuracy_of, measure_latency, parity_of, run_outputs
from deploy_studio.core.progress import Reporter
from deploy_studio.core.report.model import Accuracy, Latency, Parity, VariantResult
from deploy_studio.core.runtimes import open_runner, run_scope


def empty_result(variant) -> VariantResult:
    """The row of a variant before (or without) a build: its recipe, no measurements."""
    return VariantResult(
        name=variant.name,
        format=variant.format,
        convert=variant.convert if converts(variant.format) else None,
        steps=[s.to_dict() for s in variant.steps],
        format_options=dict(getattr(variant, "format_options", {}) or {}),
    )


def build_and_measure(session, recipe, variant, out_dir: Path, reporter: Reporter) -> VariantResult:
    """Build ``variant`` of ``recipe`` into ``out_dir/artifacts`` and measure it on ``session``."""
    from deploy_studio.core.pipeline.build import build_variant

    out = Path(out_dir)
    workdir = out / "artifacts"
    workdir.mkdir(parents=True, exist_ok=True)
    row = empty_result(variant)
    session.ensure_reference(reporter)
    t0 = time.perf_counter()
    artifact, ctx = build_variant(
        session, variant, workdir, recipe.data.calibration_samples, reporter
    )
    row.build_seconds = round(time.perf_counter() - t0, 2)
    row.artifact = artifact.path.relative_to(out).as_posix()
    row.files = [f.relative_to(out).as_posix() for f in artifact.files]
    row.size_bytes = artifact.size_bytes
    row.params = ctx.params
    row.runtime = artifact.runtime
    row.delegates = list(artifact.delegates)
    row.notes = list(dict.fromkeys(artifact.notes))
    row.step_data = dict(ctx.state)
    if artifact.runtime is None:
        return row
    bench = recipe.benchmark
    x1 = session.eval_x[:1] if len(session.eval_x) else ctx.example.numpy()
    with run_scope(artifact.runtime, bench.threads):
        runner = open_runner(artifact.runtime, artifact.path, bench.threads, module=ctx.module)
        try:
            lat = measure_latency(
                runner,
                x1,
                warmup=bench.warmup,
                runs=bench.runs,
                threads=bench.threads,
                reporter=reporter,
            )
            outputs = run_outputs(runner, session.eval_x, reporter)
        finally:
            runner.close()
    row.latency_ms = Latency(**lat)
    if outputs.shape[1:] != session.reference.shape[1:]:
        raise StudioError(
            f"the {artifact.format} artifact outputs shape {list(outputs.shape[1:])}, "
            f"the model {list(session.reference.shape[1:])}"
        )
    row.accuracy = Accuracy(**accuracy_of(outputs, session.eval_y))
    row.parity = Parity(**parity_of(outputs, session.reference))
    return row
