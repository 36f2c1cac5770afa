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
from typing import Any

import numpy as np

from deploy_studio.core.errors import StudioError
from deploy_studio.core.measure import softmax, topk
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import Recipe, VariantSpec
from deploy_studio.core.session import Session
from deploy_studio.core.templates.tolerance import precision_of, selftest_tolerance


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


def _with_tolerance(row: dict, expected: dict) -> dict:
    return {**expected, "tolerance": selftest_tolerance(row, expected.get("logits") or [])}


def web_app_kind(task: str) -> str:
    """The Web page's view of a task-page model: ``segmentation``, ``detection`` or ``tensors``."""
    return task if task in ("segmentation", "detection") else "tensors"


def _class_names(session: Session, count: int) -> list[str]:
    for names in (session.dataset.classes, session.model.labels):
        if names and len(names) == count:
            return [str(n) for n in names]
    return [str(i) for i in range(count)]


def _tensor_json(name: str, a: np.ndarray) -> dict:
    exact = a.dtype.kind in "iub"
    return {
        "name": name,
        "dtype": str(a.dtype),
        "shape": [int(v) for v in a.shape],
        "data": [int(v) if exact else float(v) for v in a.reshape(-1)],
    }


def task_app_parts(row: dict, out_dir: Path, session: Session) -> dict:
    """What a Web task page ships for the first held-out sample: its input tensors (in their
    dtypes), the desktop's every output (in the artifact's own runtime), the class names and,
    per task, the desktop's mask or post-processed detections (``core.tasks.detection``)."""
    from deploy_studio.core.runtimes import open_runner, run_scope

    sig = session.model.signature
    inputs = [np.ascontiguousarray(a[:1]) for a in session.eval_inputs]
    runtime = row.get("runtime") or "eager"
    path = out_dir / row["artifact"] if row.get("runtime") else None
    with run_scope(runtime, 1), quiet_native_output():
        runner = open_runner(runtime, path, 1, module=session.model.module, signature=sig)
        try:
            outputs = [np.asarray(o) for o in runner.run_all(inputs)]
        finally:
            runner.close()
    names = list(sig.output_names) or [f"output_{i}" for i in range(len(outputs))]
    task: Any = session.task  # a Detection here: its spec and post-processing
    kind = web_app_kind(task.name)
    at = min(task.output, len(outputs) - 1)
    expected: dict = {
        "task": task.name,
        "kind": kind,
        "task_output": at,
        "outputs": [_tensor_json(n, o) for n, o in zip(names, outputs, strict=False)],
    }
    labels: list[str] = []
    postprocess = None
    if kind == "segmentation":
        mask = outputs[at][0].argmax(0)
        labels = _class_names(session, int(outputs[at].shape[1]))
        expected["mask"] = _tensor_json("mask", mask)
    elif kind == "detection":
        from deploy_studio.core.tasks.detection import find_output

        postprocess = task.spec.to_dict()
        task_names = task.output_names(len(outputs))
        det = task.detections(outputs)[0]
        boxes = outputs[find_output(task_names, task.spec.boxes) or 0]
        scores = outputs[find_output(task_names, task.spec.scores) or 0]
        columns = 1 if task.spec.labels else max(1, scores.size // max(1, boxes.size // 4))
        labels = _class_names(session, max([columns, *[int(v) + 1 for v in det.labels]]))
        expected["output_names"] = list(task_names)
        expected["outputs_at"] = {  # the iOS app reads its outputs by index
            k: find_output(task_names, getattr(task.spec, k))
            for k in ("boxes", "scores", "labels")
            if getattr(task.spec, k)
        }
        expected["detections"] = [
            {"box": [float(v) for v in b], "score": float(s), "label": int(c)}
            for b, s, c in zip(det.boxes, det.scores, det.labels, strict=True)
        ]
    elif task.name == "classification" and outputs:
        labels = _class_names(session, int(outputs[at].shape[-1]))
    sample = [_tensor_json(spec.name, a) for spec, a in zip(sig.inputs, inputs, strict=True)]
    return {"expected": expected, "labels": labels, "inputs": sample, "postprocess": postprocess}


def _pick_or_build(recipe: Recipe, t, runtime: str, rows: list, added: list, ctx: dict) -> dict:
    """The report row ``t``'s app ships (built as fp32 now when nobody built its format)."""
    from deploy_studio.core.templates import PLATFORMS

    fmt = PLATFORMS[t.platform][runtime]
    row = pick_variant(rows, fmt, t.variant or recipe.export.variant, ctx["report"].get("gates"))
    if t.variant and (row is None or row["name"] != t.variant):
        raise StudioError(
            f"the {t.platform} app should ship {t.variant!r}, which did not build as a {fmt} artifact",
            f"pick a {fmt} variant for the {runtime} runtime",
        )
    if row is None:
        row = _build_for_app(
            recipe, fmt, t.platform, ctx["out_dir"], ctx["reporter"], ctx["service"]
        )
        added.append(row)
        rows.append(row)
    return row


def _bundle_for(recipe: Recipe, route: str, row: dict, ctx: dict):
    """The :class:`AppBundle` of a ``route`` app (see :mod:`deploy_studio.core.app_routes`)."""
    from deploy_studio.core.app_routes import plain_image_classifier
    from deploy_studio.core.templates import AppBundle

    session, out_dir = ctx["session"], ctx["out_dir"]
    common = {
        "app_name": recipe.export.app_name,
        "artifact": out_dir / row["artifact"],
        "artifact_extra": [out_dir / f for f in row.get("files", [])[1:]],
        "preprocess": session.preprocess,
        "input_shape": list(session.model.input_shape),
        "variant": row["name"],
        "delegates": list(row.get("delegates") or []),
    }
    if route == "image":
        pixels = ctx["pixels"]
        if plain_image_classifier(session):
            labels = session.labels
            expected = _with_tolerance(row, expected_output(row, out_dir, session, pixels, labels))
            return AppBundle(
                **common, labels=labels, sample_png=ctx["sample_png"], expected=expected
            )
        expected = image_task_expected(row, out_dir, session, pixels)
        task: Any = session.task
        return AppBundle(
            **common,
            labels=expected["labels"],
            sample_png=ctx["sample_png"],
            expected=expected,
            task=task.name,
            postprocess=task.spec.to_dict() if task.name == "detection" else None,
        )
    parts = task_app_parts(row, out_dir, session)
    wav = None
    if route == "audio":  # the classifier self-test on the bundled recording
        from deploy_studio.core.templates.audio_app import audio_expected, sample_wav

        parts["expected"] = audio_expected(parts["expected"], parts["labels"], row)
        wav = sample_wav(session)
    return AppBundle(
        **common,
        labels=parts["labels"],
        sample_png=ctx["sample_png"],
        expected=parts["expected"],
        task=session.task.name,
        sample_inputs=parts["inputs"],
        postprocess=parts["postprocess"],
        sample_wav=wav,
    )


AUDIO_FILE_WRITERS: dict[str, Any] = {}
"""Platform -> ``writer(project, session, generator)`` adding files to a rendered audio app
(Web: ``audio_spec.js``). A platform without one plans all its files in the render (iOS: the
generated ``AudioSpec.swift`` and ``Resources/sample.wav`` from the bundle, so the Xcode
project references them)."""


def _render_app(recipe: Recipe, t, runtime: str, route: str, rows, added, ctx) -> dict:
    """Render template entry ``t`` as a ``route`` app; its report entry (``error`` on failure)."""
    from deploy_studio.core.templates import render_project

    out_dir, reporter = ctx["out_dir"], ctx["reporter"]
    entry: dict = {"platform": t.platform, "runtime": runtime, "path": None}
    try:
        row = _pick_or_build(recipe, t, runtime, rows, added, ctx)
        bundle = _bundle_for(recipe, route, row, ctx)
        target = out_dir / "apps" / f"{t.platform}-{runtime}"
        options = (
            {"executorch_ios_branch": recipe.export.ios_branch}
            if t.platform == "ios" and recipe.export.ios_branch
            else None
        )
        render_project(t.platform, runtime, bundle, target, options=options, reporter=reporter)
        if route == "audio":
            from deploy_studio.core import __version__

            writer = AUDIO_FILE_WRITERS.get(t.platform)
            if writer is not None:
                writer(target, ctx["session"], f"Deploy Studio {__version__}")
        note = LEGACY_APP_NOTES.get((t.platform, runtime))
        if note:
            reporter.log(f"warning: {t.platform} app ({runtime}): {note}")
        entry.update(
            {
                "path": target.relative_to(out_dir).as_posix(),
                "variant": row["name"],
                "format": row["format"],
            }
        )
    except StudioError as e:
        entry["error"] = e.message + (f" (try: {e.hint})" if e.hint else "")
    return entry


def _web_audio_files(project: Path, session: Session, generator: str) -> None:
    from deploy_studio.core.templates.web_audio import write_audio_files

    write_audio_files(project, session, generator)


AUDIO_FILE_WRITERS["web"] = _web_audio_files


def export_apps(
    recipe: Recipe, session: Session, report: dict, out_dir: Path, reporter: Reporter, service
) -> tuple[list[dict], list[dict]]:
    """Render every ``[export] templates`` entry (in the worker, against its session).

    Each platform renders the app :func:`deploy_studio.core.app_routes.route` picks (image,
    tensors or audio) or reports why it cannot. Returns ``(app rows, rows of variants built
    for the apps)``: when no variant was built in the format a runtime needs, an fp32 one is
    built here (through ``service``) and shipped.
    """
    from deploy_studio.core.app_routes import route
    from deploy_studio.core.templates import default_runtime

    out_dir = Path(out_dir)
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    pixels: Any = session.dataset.images[sample_i] if session.dataset.has_images else None
    rows = list(report["variants"])
    added: list[dict] = []
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        sample_png = Path(tmp) / "sample.png"
        if pixels is not None:
            session.dataset.sample_image(sample_i).save(sample_png)
        ctx = {
            "session": session,
            "out_dir": out_dir,
            "report": report,
            "reporter": reporter,
            "service": service,
            "pixels": pixels,
            "sample_png": sample_png if pixels is not None else None,
        }
        for t in recipe.export.templates:
            runtime = t.runtime or default_runtime(t.platform)
            chosen = route(session, t.platform, runtime)
            if chosen.refusal:
                entries.append(
                    {
                        "platform": t.platform,
                        "runtime": runtime,
                        "path": None,
                        "error": chosen.refusal,
                    }
                )
                continue
            entries.append(_render_app(recipe, t, runtime, chosen.kind, rows, added, ctx))
    return entries, added


# The least agreement of a task self-test (pixel / matched-box agreement with the desktop).
AGREEMENT_FP32 = 0.99
AGREEMENT_OTHER = 0.95


def image_task_expected(row: dict, out_dir: Path, session: Session, pixels: np.ndarray) -> dict:
    """expected.json of an image app of another task (Android segmentation / detection): the
    desktop's every output for the sample in the artifact's own runtime (``outputs``), the
    ``mask`` (argmax of the task output) or the post-processed ``detections``
    (:func:`deploy_studio.core.tasks.detection.postprocess`, also as ``detections_flat``), the
    class ``labels`` and the least ``agreement`` the app's self-test accepts."""
    from deploy_studio.core.runtimes import open_runner, run_scope

    sig = session.model.signature
    x = session.preprocess.apply(pixels)[None]
    runtime = row.get("runtime") or "eager"
    path = out_dir / row["artifact"] if row.get("runtime") else None
    with run_scope(runtime, 1), quiet_native_output():
        runner = open_runner(runtime, path, 1, module=session.model.module, signature=sig)
        try:
            outputs = [np.asarray(o) for o in runner.run_all([x])]
        finally:
            runner.close()
    task: Any = session.task  # a Detection here: its spec and post-processing
    names = list(sig.output_names) or [f"output_{i}" for i in range(len(outputs))]
    at = min(task.output, len(outputs) - 1)
    fp32 = precision_of(row) is None
    floor = AGREEMENT_FP32 if fp32 else AGREEMENT_OTHER
    what = "pixel agreement" if task.name == "segmentation" else "matched-box agreement"
    expected: dict = {
        "task": task.name,
        "task_output": at,
        "output_names": names,
        "outputs": [_tensor_json(n, o) for n, o in zip(names, outputs, strict=False)],
        "agreement": {
            "kind": what,
            "min": floor,
            "reason": (
                f"{'fp32' if fp32 else precision_of(row)} {row.get('format')} program: {what} "
                f"with the desktop >= {floor:g}"
            ),
        },
    }
    if task.name == "segmentation":
        expected["mask"] = _tensor_json("mask", outputs[at][0].argmax(0))
        expected["labels"] = _class_names(session, int(outputs[at].shape[1]))
    else:
        from deploy_studio.core.tasks.detection import find_output

        task_names = task.output_names(len(outputs))
        det = task.detections(outputs)[0]
        idx = {
            k: find_output(task_names, getattr(task.spec, k))
            for k in ("boxes", "scores", "labels")
            if getattr(task.spec, k)
        }
        boxes, scores = outputs[idx["boxes"] or 0], outputs[idx["scores"] or 0]
        columns = 1 if task.spec.labels else max(1, scores.size // max(1, boxes.size // 4))
        expected["output_names"] = list(task_names)
        expected["outputs_at"] = idx
        expected["detections"] = [
            {"box": [float(v) for v in b], "score": float(s), "label": int(c)}
            for b, s, c in zip(det.boxes, det.scores, det.labels, strict=True)
        ]
        expected["detections_flat"] = {
            "boxes": [float(v) for v in det.boxes.reshape(-1)],
            "scores": [float(v) for v in det.scores],
            "labels": [int(v) for v in det.labels],
        }
        expected["labels"] = _class_names(
            session, max([columns, *[int(v) + 1 for v in det.labels]])
        )
    return expected


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
