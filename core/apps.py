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


DEFAULT_CONVERT = {"pte": "export", "ptl": "trace", "onnx": "export", "coreml": "export"}


def pick_variant(rows: list[dict], fmt: str, preferred: str | None, gates: list[dict] | None = None) -> dict | None:
    """The row to ship for ``fmt``: the preferred one if it built, else
    :func:`core.pareto.ship_choice` (the smallest gate-passing variant within the latency
    noise of the fastest)."""
    from deploy_studio.core.gates import failed_variants
    from deploy_studio.core.pareto import ship_choice

    ok = [r for r in rows if r["format"] == fmt and not r.get("error")]
    for r in ok:
        if r["name"] == preferred:
            return r
    return ship_choice(rows, fmt, failed_variants(gates or []))


def expected_output(row: dict, out_dir: Path, session: Session, pixels: np.ndarray, labels: list[str]) -> dict:
    """The desktop's logits/top-k for the sample, run in the artifact's own runtime."""
    from deploy_studio.core.runtimes import open_runner

    x = session.model.preprocess.apply(pixels)[None]
    if row.get("runtime"):
        with quiet_native_output():
            runner = open_runner(row["runtime"], out_dir / row["artifact"], 1, module=session.model.module)
            logits = runner.run(x)[0]
        runner.close()
    else:  # Core ML cannot run here: the original model's output is the reference
        logits = open_runner("eager", None, 1, module=session.model.module).run(x)[0]
    probs = softmax(logits.astype(np.float64))
    top = topk(logits, labels, 3)
    i = int(np.argmax(logits))
    return {
        "top1": labels[i] if i < len(labels) else str(i), "top1_index": i,
        "topk": [[lab, p] for lab, p in top],
        "logits": [float(v) for v in logits], "probs": [float(v) for v in probs],
    }


def export_apps(recipe: Recipe, session: Session, report: dict, out_dir: Path, reporter: Reporter, isolate: bool = True) -> list[dict]:
    """Render every ``[export] templates`` entry; returns the report's ``templates`` rows."""
    from deploy_studio.core.engine import run_variants
    from deploy_studio.core.templates import PLATFORMS, AppBundle, default_runtime, render_project

    out_dir = Path(out_dir)
    labels = session.labels
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    pixels = session.dataset.images[sample_i]
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        sample_png = Path(tmp) / "sample.png"
        session.dataset.sample_image(sample_i).save(sample_png)
        for t in recipe.export.templates:
            runtime = t.runtime or default_runtime(t.platform)
            entry = {"platform": t.platform, "runtime": runtime, "path": None}
            try:
                fmt = PLATFORMS[t.platform][runtime]
                row = pick_variant(report["variants"], fmt, t.variant or recipe.export.variant, report.get("gates"))
                if t.variant and (row is None or row["name"] != t.variant):
                    raise StudioError(
                        f"the {t.platform} app should ship {t.variant!r}, which did not build as a {fmt} artifact",
                        f"pick a {fmt} variant for the {t.runtime} runtime",
                    )
                if row is None:
                    name = f"app-{fmt}"
                    reporter.log(f"no {fmt} variant built: building {name} (fp32) for the {t.platform} app")
                    spec = VariantSpec(name, fmt, DEFAULT_CONVERT[fmt])
                    new = run_variants(recipe, [spec], out_dir, reporter, isolate, overall=(len(report["variants"]), len(report["variants"]) + 1))
                    new[0]["notes"] = [*new[0].get("notes", []), f"added to ship in the {t.platform} app"]
                    report["variants"].extend(new)
                    row = pick_variant(new, fmt, None)
                    if row is None:
                        raise StudioError(f"the {fmt} artifact for the {t.platform} app failed: {new[0].get('error')}")
                artifact = out_dir / row["artifact"]
                extra = [out_dir / f for f in row.get("files", [])[1:]]
                bundle = AppBundle(
                    app_name=recipe.export.app_name, artifact=artifact, artifact_extra=extra,
                    preprocess=session.model.preprocess, labels=labels, sample_png=sample_png,
                    expected=expected_output(row, out_dir, session, pixels, labels),
                    input_shape=list(session.model.input_shape), variant=row["name"],
                )
                target = out_dir / "apps" / f"{t.platform}-{runtime}"
                options = {"executorch_ios_branch": recipe.export.ios_branch} if recipe.export.ios_branch else None
                render_project(t.platform, runtime, bundle, target, options=options, reporter=reporter)
                entry.update({"path": target.relative_to(out_dir).as_posix(), "variant": row["name"], "format": fmt})
            except StudioError as e:
                entry["error"] = e.message + (f" (try: {e.hint})" if e.hint else "")
            entries.append(entry)
    return entries
