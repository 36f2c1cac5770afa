"""Put a variant's artifact into Android / iOS / Web projects (``[export] templates``).

For each requested platform and runtime this picks the variant whose format that runtime
needs (the recipe's ``[export] variant``, else the fastest successful one; if the recipe has
none in that format an fp32 one is built and added to the report), computes the desktop's
expected output for a real sample in the artifact's own runtime, and renders the project.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from deploy_studio.core.errors import StudioError
from deploy_studio.core.measure import softmax, topk
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import Recipe, VariantSpec
from deploy_studio.core.session import Session


@contextlib.contextmanager
def quiet_native_output():
    """Silence what native runtimes print straight to stderr (fd 2) while opening a model."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


LEGACY_APP_NOTES = {
    ("android", "pytorch-lite"): (
        "pytorch_android_lite 2.1.0 is a legacy runtime: its native libraries are not 16 KB-page "
        "aligned, so Google Play rejects the app for targetSdk 35 and 16 KB-page devices cannot "
        "load it; re-export with executorch or onnxruntime for a new app"
    ),
}
"""(platform, runtime) -> the warning printed (logged) when such an app is rendered."""


def pick_variant(
    rows: list[dict], fmt: str, preferred: str | None, gates: list[dict] | None = None
) -> dict | None:
    """The row to ship for ``fmt``: the preferred one if it built, else
    :func:`deploy_studio.core.pareto.ship_choice` (the smallest gate-passing variant within the latency
    noise of the fastest)."""
    from deploy_studio.core.gates import failed_variants
    from deploy_studio.core.pareto import ship_choice

    ok = [r for r in rows if r["format"] == fmt and not r.get("error")]
    for r in ok:
        if r["name"] == preferred:
            return r
    return ship_choice(rows, fmt, failed_variants(gates or []))


def expected_output(
    row: dict, out_dir: Path, session: Session, pixels: np.ndarray, labels: list[str]
) -> dict:
    """The desktop's logits/top-k for the sample, run in the artifact's own runtime."""
    from deploy_studio.core.runtimes import open_runner, run_scope

    x = session.preprocess.apply(pixels)[None]
    runtime = row.get("runtime") or "eager"  # Core ML cannot run here: the original's output
    path = out_dir / row["artifact"] if row.get("runtime") else None
    with run_scope(runtime, 1), quiet_native_output():
        runner = open_runner(runtime, path, 1, module=session.model.module)
        try:
            logits = runner.run(x)[0]
        finally:
            runner.close()
    probs = softmax(logits.astype(np.float64))
    top = topk(logits, labels, 3)
    i = int(np.argmax(logits))
    return {
        "top1": labels[i] if i < len(labels) else str(i),
        "top1_index": i,
        "topk": [[lab, p] for lab, p in top],
        "logits": [float(v) for v in logits],
        "probs": [float(v) for v in probs],
    }


APPS_ISSUE = "app projects for multi-input / token models arrive with the apps issue"


def app_refusal(session: Session) -> str | None:
    """Why the app templates (single-input image classifiers) cannot ship this model, or None.

    The templates feed one preprocessed image and show a classifier's first output: a model
    of another task, a model with several inputs, an input that is not an image, data without images, or a task output
    that is not the first output is refused with a message instead of a broken project.
    """
    sig = session.model.signature
    task = session.task.name
    if task != "classification":
        return (
            f"app projects for {task} models arrive with the apps issue: the app templates "
            "show a classifier's top classes (try: ship the artifacts from artifacts/ with the "
            "report's preprocessing and post-processing specs, and call them from your own app)"
        )
    if len(sig.inputs) > 1 or not sig.is_image:
        return (
            f"{APPS_ISSUE}: this model takes {sig.describe_inputs()}, the app templates feed "
            "one image (try: ship the artifacts from artifacts/ and call them from your own app)"
        )
    if not session.dataset.has_images:
        return (
            f"{APPS_ISSUE}: the data ({session.dataset.name}) has no images for the apps' "
            "sample and self-test (try: an image data source such as imagefolder:DIR)"
        )
    if sig.task != 0:
        return (
            "app projects for models whose task output is not their first output arrive with "
            f"the apps issue: the app templates read the first output ({sig.output_names[0]!r}), "
            f"the task output is {sig.output_names[sig.task]!r} (try: return it first from "
            "forward())"
        )
    return None


def export_apps(
    recipe: Recipe, session: Session, report: dict, out_dir: Path, reporter: Reporter, service
) -> tuple[list[dict], list[dict]]:
    """Render every ``[export] templates`` entry (in the worker, against its session).

    Returns ``(app rows, rows of variants built for the apps)``: when no variant was built in
    the format a runtime needs, an fp32 one is built here (through ``service``) and shipped.
    """
    from deploy_studio.core.templates import PLATFORMS, AppBundle, default_runtime, render_project

    out_dir = Path(out_dir)
    refused = app_refusal(session)
    if refused:
        return [
            {
                "platform": t.platform,
                "runtime": t.runtime or default_runtime(t.platform),
                "path": None,
                "error": refused,
            }
            for t in recipe.export.templates
        ], []
    labels = session.labels
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    pixels = session.dataset.images[sample_i]
    rows = list(report["variants"])
    added: list[dict] = []
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        sample_png = Path(tmp) / "sample.png"
        session.dataset.sample_image(sample_i).save(sample_png)
        for t in recipe.export.templates:
            runtime = t.runtime or default_runtime(t.platform)
            entry = {"platform": t.platform, "runtime": runtime, "path": None}
            try:
                fmt = PLATFORMS[t.platform][runtime]
                row = pick_variant(
                    rows, fmt, t.variant or recipe.export.variant, report.get("gates")
                )
                if t.variant and (row is None or row["name"] != t.variant):
                    raise StudioError(
                        f"the {t.platform} app should ship {t.variant!r}, which did not build as a {fmt} artifact",
                        f"pick a {fmt} variant for the {t.runtime} runtime",
                    )
                if row is None:
                    row = _build_for_app(recipe, fmt, t.platform, out_dir, reporter, service)
                    added.append(row)
                    rows.append(row)
                artifact = out_dir / row["artifact"]
                extra = [out_dir / f for f in row.get("files", [])[1:]]
                bundle = AppBundle(
                    app_name=recipe.export.app_name,
                    artifact=artifact,
                    artifact_extra=extra,
                    preprocess=session.preprocess,
                    labels=labels,
                    sample_png=sample_png,
                    expected=expected_output(row, out_dir, session, pixels, labels),
                    input_shape=list(session.model.input_shape),
                    variant=row["name"],
                    delegates=list(row.get("delegates") or []),
                )
                target = out_dir / "apps" / f"{t.platform}-{runtime}"
                options = (
                    {"executorch_ios_branch": recipe.export.ios_branch}
                    if recipe.export.ios_branch
                    else None
                )
                render_project(
                    t.platform, runtime, bundle, target, options=options, reporter=reporter
                )
                note = LEGACY_APP_NOTES.get((t.platform, runtime))
                if note:
                    reporter.log(f"warning: {t.platform} app ({runtime}): {note}")
                entry.update(
                    {
                        "path": target.relative_to(out_dir).as_posix(),
                        "variant": row["name"],
                        "format": fmt,
                    }
                )
            except StudioError as e:
                entry["error"] = e.message + (f" (try: {e.hint})" if e.hint else "")
            entries.append(entry)
    return entries, added


def _build_for_app(
    recipe: Recipe, fmt: str, platform: str, out_dir: Path, reporter: Reporter, service
) -> dict:
    """An fp32 variant in ``fmt`` for an app whose runtime needs a format nobody built."""
    from deploy_studio.core.registry import FORMATS
    from deploy_studio.core.worker.requests import BuildVariant

    name = f"app-{fmt}"
    reporter.log(f"no {fmt} variant built: building {name} (fp32) for the {platform} app")
    spec = VariantSpec(name, fmt, FORMATS.get(fmt).obj.default_converter or "export")
    with_app = recipe.copy()
    with_app.variants = [*with_app.variants, spec]
    try:
        row = service.build(BuildVariant(with_app, name, str(out_dir)), reporter.for_variant(name))
    except StudioError as e:
        raise StudioError(
            f"the {fmt} artifact for the {platform} app failed: {e.message}", e.hint
        ) from None
    row["notes"] = [*row.get("notes", []), f"added to ship in the {platform} app"]
    return row
