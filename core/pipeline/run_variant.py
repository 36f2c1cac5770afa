"""One variant, end to end: build its artifact, then run it in its own runtime and measure.

Runs in the worker (:mod:`deploy_studio.core.worker`), against the worker's session: the model
is loaded once for every variant of a run. Returns the variant's :class:`VariantResult`.
"""

from __future__ import annotations

import time
from pathlib import Path

from deploy_studio.core.errors import StudioError
from deploy_studio.core.formats.contract import converts
from deploy_studio.core.measure import (
    accuracy_of,
    measure_latency,
    outputs_parity,
    parity_of,
    run_outputs,
)
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
    sig = session.model.signature
    xs = session.eval_inputs
    x1 = [a[:1] for a in xs] if len(xs[0]) else [x.numpy() for x in ctx.inputs]
    with run_scope(artifact.runtime, bench.threads):
        runner = open_runner(
            artifact.runtime, artifact.path, bench.threads, module=ctx.module, signature=sig
        )
        try:
            lat = measure_latency(
                runner,
                x1,
                warmup=bench.warmup,
                runs=bench.runs,
                threads=bench.threads,
                reporter=reporter,
            )
            outputs = run_outputs(runner, xs, reporter)
        finally:
            runner.close()
    row.latency_ms = Latency(**lat)
    references = session.references or [session.reference]
    check_outputs(artifact.format, outputs, references, sig.output_names)
    task = outputs[sig.task] if len(outputs) > sig.task else outputs[0]
    row.accuracy = Accuracy(**accuracy_of(task, session.eval_y))
    row.parity = Parity(**parity_of(task, session.reference))
    if len(outputs) > 1:
        row.parity.outputs = outputs_parity(outputs, references, sig.output_names)
    return row


def check_outputs(fmt: str, outputs: list, references: list, names: list[str]) -> None:
    """Raise when an artifact returns other outputs than the model (count or shapes)."""
    if len(outputs) != len(references):
        raise StudioError(
            f"the {fmt} artifact returns {len(outputs)} output(s), the model {len(references)} "
            f"({', '.join(names)})"
        )
    for k, (out, ref) in enumerate(zip(outputs, references, strict=True)):
        if out.shape[1:] != ref.shape[1:]:
            name = names[k] if k < len(names) else str(k)
            raise StudioError(
                f"the {fmt} artifact outputs shape {list(out.shape[1:])} for {name!r}, "
                f"the model {list(ref.shape[1:])}"
            )
