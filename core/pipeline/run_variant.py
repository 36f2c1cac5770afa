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
    measure_latency,
    output_parity,
    outputs_parity,
    parity_of,
    run_outputs,
)
from deploy_studio.core.progress import Event, Reporter
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
    bench = recipe.benchmark
    prebuilt = _prebuilt(session, recipe, variant, out, reporter)
    work = None  # FLOPs and weight bytes, counted on the built module
    if prebuilt is not None:  # built by a scaled-out tune's parallel phase
        artifact, ctx, row.build_seconds, work = prebuilt
    else:
        artifact, ctx = build_variant(
            session,
            variant,
            workdir,
            recipe.data.calibration_samples,
            reporter,
            debug_record=bench.profile,
        )
        row.build_seconds = round(time.perf_counter() - t0, 2)
    row.artifact = artifact.path.relative_to(out).as_posix()
    row.files = [f.relative_to(out).as_posix() for f in artifact.files]
    row.size_bytes = artifact.size_bytes
    row.params = ctx.params
    row.runtime = artifact.runtime
    row.delegates = list(artifact.delegates)
    row.not_runnable = artifact.not_runnable or None
    row.coverage = artifact.coverage
    row.notes = list(dict.fromkeys(artifact.notes))
    row.step_data = dict(ctx.state)
    if artifact.runtime is None:
        return row
    sig = session.model.signature
    xs = session.eval_inputs
    x1 = [a[:1] for a in xs] if len(xs[0]) else [x.numpy() for x in ctx.inputs]
    scaling = []
    outputs = None
    for threads in bench.thread_counts:
        headline = outputs is None
        lat, applied, outs = _measure_at(
            artifact.runtime,
            artifact.path,
            ctx.module,
            sig,
            bench,
            threads,
            x1,
            xs if headline else None,
            reporter if headline else _scaling_reporter(reporter, threads),
        )
        if headline:  # the headline count: its latency and the evaluated outputs
            row.latency_ms = Latency(**lat)
            outputs = outs
        scaling.append(_scaling_row(threads, lat, applied))
    if bench.scaling:
        row.threads_scaling = scaling
    row.cost = _cost(ctx, artifact, row.p50, bench.headline_threads, work)
    if bench.profile:
        from deploy_studio.core.profile.variant import profile_variant

        reporter.progress("profile", 0.0)
        profile_variant(row, artifact, x1, bench.headline_threads, module=ctx.module)
    assert outputs is not None  # the headline count always runs the evaluated samples
    references = session.references or [session.reference]
    check_outputs(artifact.format, outputs, references, sig.output_names)
    row.accuracy, row.parity = task_figures(session, outputs, references)
    return row


def build_work(ctx, artifact) -> tuple[int | None, int | None, str]:
    """What the cost model counts on the built module: ``(FLOPs, weight bytes, method)``."""
    from deploy_studio.core.cost.count import variant_flops, weight_bytes

    wbytes, method = weight_bytes(ctx, artifact)
    return variant_flops(ctx), wbytes, method


def _cost(ctx, artifact, p50_ms: float | None, threads: int, work=None) -> dict | None:
    """The row's ``cost`` (FLOPs, weight bytes, GFLOP/s, roofline; :mod:`..cost`), measuring
    this host's limits the first time a variant of the process has one. ``work``: the
    :func:`build_work` of a variant built elsewhere (counted there, on its module)."""
    from deploy_studio.core.cost import roofline, variant_cost
    from deploy_studio.core.cost.host import host_limits

    if not p50_ms:
        return None
    flops, wbytes, method = work or build_work(ctx, artifact)
    cost = variant_cost(flops, wbytes, p50_ms, method)
    return roofline(cost, host_limits(threads)) if cost else None


def remeasure(session, recipe, data: dict, out_dir: Path, reporter: Reporter) -> dict:
    """Time a built variant (``data``: its row) again with ``recipe.benchmark``: the headline
    latency and, for a list of thread counts, the scaling rows. Accuracy and parity stay.

    An eager variant with steps has no artifact to reopen (its module lived in the build):
    its row comes back unchanged."""
    row = VariantResult.from_dict(data)
    runtime = row.runtime
    if not row.ok or runtime is None or (runtime == "eager" and row.steps):
        return data
    path = Path(out_dir) / row.artifact if row.artifact else None
    module = session.model.module if runtime == "eager" else None
    sig = session.model.signature
    xs = session.eval_inputs
    if len(xs[0]):
        x1 = [a[:1] for a in xs]
    else:
        from deploy_studio.core.pipeline.build import example_inputs

        x1 = [x.numpy() for x in example_inputs(session)]
    bench = recipe.benchmark
    scaling = []
    for i, threads in enumerate(bench.thread_counts):
        rep = reporter if i == 0 else _scaling_reporter(reporter, threads)
        lat, applied, _ = _measure_at(runtime, path, module, sig, bench, threads, x1, None, rep)
        if i == 0:
            row.latency_ms = Latency(**lat)
        scaling.append(_scaling_row(threads, lat, applied))
    row.threads_scaling = scaling if bench.scaling else None
    if row.cost and row.latency_ms is not None:  # GFLOP/s follow the new p50
        from deploy_studio.core.cost import roofline, variant_cost
        from deploy_studio.core.cost.host import host_limits

        c = row.cost
        fresh = variant_cost(
            c.get("flops"), c.get("weight_bytes"), row.latency_ms.p50, c.get("method", "")
        )
        row.cost = roofline(fresh, host_limits(bench.headline_threads)) or row.cost
    return row.to_dict(samples=True)


def _prebuilt(session, recipe, variant, out: Path, reporter: Reporter):
    """``(artifact, context, build seconds, build work)`` of a variant the parallel phase of a scaled-out
    tune already built into ``out`` (:mod:`deploy_studio.core.scaleout.handoff`), else None.
    Only converted formats are built ahead, so the context carries no working module."""
    from deploy_studio.core.pipeline.build import example_inputs
    from deploy_studio.core.pipeline.context import BuildContext
    from deploy_studio.core.scaleout.handoff import take

    taken = take(recipe, variant, out)
    if taken is None:
        return None
    artifact, record = taken
    inputs = example_inputs(session)
    ctx = BuildContext(
        model=session.model,
        module=None,
        example=inputs[0],
        inputs=inputs,
        dataset=session.dataset,
        train_idx=session.train_idx,
        eval_idx=session.eval_idx,
        variant=variant,
        workdir=out / "artifacts",
        reporter=reporter,
        calibration_samples=recipe.data.calibration_samples,
        params=record["params"],
        state=record["state"],
    )
    reporter.emit(
        Event("log", stage="build", message=f"[{variant.name}] built by a parallel worker")
    )
    return artifact, ctx, record["build_seconds"], tuple(record["work"])


def _scaling_reporter(reporter: Reporter, threads: int) -> Reporter:
    """``reporter`` for the extra thread counts: progress says the count, and no live
    ``latency`` events (the live chart shows the headline count's samples only)."""

    def forward(event: Event) -> None:
        if event.kind == "latency":
            return
        if event.kind == "progress":
            event.stage = f"{event.stage} ({threads} threads)"
        reporter.emit(event)

    return Reporter(forward, reporter.cancel, reporter.variant)


def _scaling_row(threads: int, lat: dict, applied) -> dict:
    """One ``threads_scaling`` entry: the latency at ``threads`` and the count applied."""
    return {
        "threads": threads,
        "p50": lat["p50"],
        "p90": lat["p90"],
        "runs": lat["runs"],
        "applied": applied,
    }


def _measure_at(runtime, path, module, sig, bench, threads: int, x1, xs, reporter):
    """Latency at ``threads`` (a fresh runner inside its own thread scope: ExecuTorch's pool
    is only resized with no program alive), the thread count the runtime reports it applied,
    and, when ``xs`` is given, the outputs of every evaluated sample."""
    with run_scope(runtime, threads):
        runner = open_runner(runtime, path, threads, module=module, signature=sig)
        try:
            applied = runner.applied_threads()
            lat = measure_latency(
                runner,
                x1,
                warmup=bench.warmup,
                runs=bench.runs,
                threads=threads,
                reporter=reporter,
            )
            outputs = run_outputs(runner, xs, reporter) if xs is not None else None
        finally:
            runner.close()
    return lat, applied, outputs


def task_figures(session, outputs: list, references: list) -> tuple[Accuracy, Parity]:
    """The task's metric (on labelled data) and its fidelity against the original model."""
    sig = session.model.signature
    task = session.task
    out = outputs[sig.task] if len(outputs) > sig.task else outputs[0]
    ref = references[sig.task] if len(references) > sig.task else references[0]
    parity = Parity(**parity_of(out, ref))
    if len(outputs) > 1:
        parity.outputs = outputs_parity(outputs, references, sig.output_names)
    parity.cosine = output_parity(out, ref)["cosine"]
    classifier = task.name == "classification"
    if not classifier:
        parity.top1_agreement = None
    if task.agreement_label and parity.meaningful:
        parity.agreement = task.agreement(outputs, references)
        parity.agreement_kind = task.agreement_label
    targets = session.eval_targets
    scores = task.score(outputs, targets) if task.has_targets(targets) else None
    metrics = dict(scores.metrics) if scores else {}
    if task.metric_is_fidelity:
        metrics = {task.metric.key: parity.cosine}
    key = task.metric.key
    value = metrics.get(key)
    base = (session.baseline_metrics or {}).get(key)
    accuracy = Accuracy(
        top1=metrics.get("top1") if classifier else None,
        samples=len(out),
        metric=key,
        value=value,
        metrics=metrics or None,
        metric_drop=task.metric.drop(base, value),
    )
    return accuracy, parity


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
