"""One variant, end to end: build its artifact, then run it in its own runtime and measure.

``build_and_measure`` takes only plain data (dicts, strings), so it can run in a child
process (``core.worker``) as well as in-process; it returns the variant's report row.
"""

from __future__ import annotations

import time
from pathlib import Path

from deploy_studio.core.errors import StudioError
from deploy_studio.core.measure import accuracy_of, measure_latency, parity_of, run_outputs
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import Recipe, parse_recipe
from deploy_studio.core.runtimes import open_runner
from deploy_studio.core.session import open_session


def empty_row(variant) -> dict:
    return {
        "name": variant.name, "format": variant.format,
        "convert": variant.convert if variant.format != "eager" else None,
        "steps": [s.to_dict() for s in variant.steps],
        "artifact": None, "files": [], "size_bytes": None, "params": None, "runtime": None,
        "latency_ms": None, "accuracy": None, "parity": None, "error": None, "notes": [],
    }


def build_and_measure(recipe: dict, variant_name: str, out_dir: str, reporter: Reporter) -> dict:
    """Build and measure one variant of ``recipe`` (a recipe dict) into ``out_dir``."""
    rec: Recipe = parse_recipe(recipe)
    variant = next(v for v in rec.variants if v.name == variant_name)
    out = Path(out_dir)
    workdir = out / "artifacts"
    workdir.mkdir(parents=True, exist_ok=True)
    row = empty_row(variant)
    session = open_session(rec.model, rec.data, reporter, rec.preprocess)
    t0 = time.perf_counter()
    from deploy_studio.core.build.pipeline import build_variant

    artifact, ctx = build_variant(session, variant, workdir, rec.data.calibration_samples, reporter)
    row["build_seconds"] = round(time.perf_counter() - t0, 2)
    row["artifact"] = artifact.path.relative_to(out).as_posix()
    row["files"] = [f.relative_to(out).as_posix() for f in artifact.files]
    row["size_bytes"] = artifact.size_bytes
    row["params"] = ctx.params
    row["runtime"] = artifact.runtime
    row["notes"] = list(dict.fromkeys(artifact.notes))
    for key, value in ctx.state.items():
        row[key] = value
    if artifact.runtime is None:
        return row
    runner = open_runner(artifact.runtime, artifact.path, rec.benchmark.threads, module=ctx.module)
    try:
        x1 = session.eval_x[:1] if len(session.eval_x) else ctx.example.numpy()
        lat = measure_latency(runner, x1, warmup=rec.benchmark.warmup, runs=rec.benchmark.runs,
                              threads=rec.benchmark.threads, reporter=reporter)
        row["latency_ms"] = lat
        outputs = run_outputs(runner, session.eval_x, reporter)
    finally:
        runner.close()
    if outputs.shape[1:] != session.reference.shape[1:]:
        raise StudioError(f"the {artifact.format} artifact outputs shape {list(outputs.shape[1:])}, the model {list(session.reference.shape[1:])}")
    row["accuracy"] = accuracy_of(outputs, session.eval_y)
    row["parity"] = parity_of(outputs, session.reference)
    return row
