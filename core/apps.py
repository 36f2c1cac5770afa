"""Put a variant's artifact into Android / iOS / Web projects (``[export] templates``).

For each requested platform and runtime this picks the variant whose format that runtime
needs (the recipe's ``[export] variant``, else the fastest successful one; if the recipe has
none in that format an fp32 one is built and added to the report), computes the desktop's
expected output for a real sample in the artifact's own runtime, and renders the project.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from deploy_studio.core.errors import StudioError
from deploy_studio.core.measure import softmax, topk
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import Recipe, VariantSpec
from deploy_studio.core.runtimes.base import quiet_native_output
from deploy_studio.core.session import Session
from deploy_studio.core.templates.tolerance import (
    AGREEMENT_FP32,
    AGREEMENT_OTHER,
    precision_of,
    selftest_tolerance,
)

LEGACY_APP_NOTES = {
    ("android", "pytorch-lite"): (
        "pytorch_android_lite 2.1.0 is a legacy runtime: its native libraries are not 16 KB-page "
        "aligned, so Google Play rejects the app for targetSdk 35 and 16 KB-page devices cannot "
        "load it; re-export with executorch or onnxruntime for a new app"
    ),
}
"""(platform, runtime) -> the warning printed (logged) when such an app is rendered."""


def pick_variant(
    rows: list[dict],
    fmt: str,
    preferred: str | None,
    gates: list[dict] | None = None,
    platform: str | None = None,
) -> dict | None:
    """The row to ship for ``fmt``: the preferred one if it built, else
    :func:`deploy_studio.core.pareto.ship_choice` (the smallest gate-passing variant within the latency
    noise of the fastest). With ``platform``, rows whose delegates do not run there (a Core
    ML-delegated ``.pte`` on Android) are never picked."""
    from deploy_studio.core.app_routes import delegate_refusal
    from deploy_studio.core.gates import failed_variants
    from deploy_studio.core.pareto import ship_choice

    if platform is not None:
        rows = [r for r in rows if delegate_refusal(platform, r.get("delegates")) is None]
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


MAX_SHIPPED_VALUES = 1 << 18
"""Raw outputs of a segmentation / detection app larger than this many values (a 21-class
224x224 mask's logits: 1M) are not written into expected.json: the self-test compares the
mask or the boxes, and the file would weigh tens of MB in the app."""


def _outputs_json(task: str, names: list[str], outputs: list[np.ndarray]) -> list[dict]:
    """expected.json's ``outputs``: every output's values, except large raw outputs of a
    task whose self-test compares masks or boxes (``data`` empty, ``omitted`` says why)."""
    out = []
    for name, o in zip(names, outputs, strict=False):
        if task in ("segmentation", "detection") and o.size > MAX_SHIPPED_VALUES:
            why = f"{o.size} values: the self-test compares the {task} result, not raw outputs"
            out.append(
                {**_tensor_json(name, o.reshape(-1)[:0]), "shape": [int(v) for v in o.shape]}
            )
            out[-1]["omitted"] = why
        else:
            out.append(_tensor_json(name, o))
    return out


def _run_in_own_runtime(
    row: dict, out_dir: Path, session: Session, inputs: list[np.ndarray]
) -> list[np.ndarray]:
    """Every output of the variant's artifact for ``inputs``, run in its own runtime (the
    original module for a format that cannot run here, e.g. Core ML)."""
    from deploy_studio.core.runtimes import open_runner, run_scope

    runtime = row.get("runtime") or "eager"
    path = out_dir / row["artifact"] if row.get("runtime") else None
    with run_scope(runtime, 1), quiet_native_output():
        runner = open_runner(
            runtime, path, 1, module=session.model.module, signature=session.model.signature
        )
        try:
            return [np.asarray(o) for o in runner.run_all(inputs)]
        finally:
            runner.close()


def _task_result(session: Session, outputs: list[np.ndarray]) -> tuple[dict, list[str]]:
    """expected.json's task part for the sample's ``outputs`` and the class names: the
    ``mask`` (argmax of a segmentation output) or a detector's post-processed ``detections``
    (also as ``detections_flat``) with ``output_names`` and the ``outputs_at`` indices of its
    boxes / scores / labels; a classifier's names for its task output."""
    task: Any = session.task  # a Detection here: its spec and post-processing
    at = min(task.output, len(outputs) - 1)
    if task.name == "segmentation":
        mask = outputs[at][0].argmax(0)
        return {"mask": _tensor_json("mask", mask)}, _class_names(
            session, int(outputs[at].shape[1])
        )
    if task.name == "detection":
        from deploy_studio.core.tasks.detection import find_output

        task_names = task.output_names(len(outputs))
        det = task.detections(outputs)[0]
        at_ = {
            k: find_output(task_names, getattr(task.spec, k))
            for k in ("boxes", "scores", "labels")
            if getattr(task.spec, k)
        }
        boxes, scores = outputs[at_.get("boxes") or 0], outputs[at_.get("scores") or 0]
        columns = 1 if task.spec.labels else max(1, scores.size // max(1, boxes.size // 4))
        labels = _class_names(session, max([columns, *[int(v) + 1 for v in det.labels]]))
        return {
            "output_names": list(task_names),
            "outputs_at": at_,  # the apps read their outputs by index
            "detections": [
                {"box": [float(v) for v in b], "score": float(s), "label": int(c)}
                for b, s, c in zip(det.boxes, det.scores, det.labels, strict=True)
            ],
            "detections_flat": {
                "boxes": [float(v) for v in det.boxes.reshape(-1)],
                "scores": [float(v) for v in det.scores],
                "labels": [int(v) for v in det.labels],
            },
        }, labels
    if task.name == "classification" and outputs:
        return {}, _class_names(session, int(outputs[at].shape[-1]))
    return {}, []


def task_app_parts(row: dict, out_dir: Path, session: Session) -> dict:
    """What an app fed the sample's tensors ships for the first held-out sample: its input
    tensors (in their dtypes), the desktop's every output (in the artifact's own runtime), the
    class names and, per task, the desktop's mask or post-processed detections."""
    sig = session.model.signature
    inputs = [np.ascontiguousarray(a[:1]) for a in session.eval_inputs]
    outputs = _run_in_own_runtime(row, out_dir, session, inputs)
    names = list(sig.output_names) or [f"output_{i}" for i in range(len(outputs))]
    task: Any = session.task
    result, labels = _task_result(session, outputs)
    expected: dict = {
        "task": task.name,
        "kind": web_app_kind(task.name),
        "task_output": min(task.output, len(outputs) - 1),
        "outputs": _outputs_json(task.name, names, outputs),
        **_selftest_bounds(row, task.name, outputs[min(task.output, len(outputs) - 1)]),
        **result,
    }
    sample = [_tensor_json(spec.name, a) for spec, a in zip(sig.inputs, inputs, strict=True)]
    postprocess = task.spec.to_dict() if task.name == "detection" else None
    return {"expected": expected, "labels": labels, "inputs": sample, "postprocess": postprocess}


def _pick_or_build(recipe: Recipe, t, runtime: str, rows: list, added: list, ctx: dict) -> dict:
    """The report row ``t``'s app ships (built as fp32 now when nobody built its format)."""
    from deploy_studio.core.app_routes import delegate_refusal, variant_refusal
    from deploy_studio.core.templates import PLATFORMS

    fmt = PLATFORMS[t.platform][runtime]
    asked = next((r for r in rows if r["name"] == t.variant and not r.get("error")), None)
    refused = asked and (
        variant_refusal(t.platform, runtime, asked)
        or delegate_refusal(t.platform, asked.get("delegates"))
    )
    if refused:  # the variant asked for: say why it cannot ship
        raise StudioError(
            f"the {t.platform} {runtime} app cannot ship {t.variant!r}: {refused}",
            f"pick another {fmt} variant for the {t.platform} {runtime} app",
        )
    # otherwise only the variants this runtime can run compete (pick_variant leaves out
    # programs lowered to a delegate the platform cannot run)
    fit = [r for r in rows if variant_refusal(t.platform, runtime, r) is None]
    row = pick_variant(
        fit, fmt, t.variant or recipe.export.variant, ctx["report"].get("gates"), t.platform
    )
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
        "output_names": list(session.model.signature.output_names),
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
    from deploy_studio.core.templates.providers import DESKTOP_PROVIDER, app_provider

    out_dir, reporter = ctx["out_dir"], ctx["reporter"]
    entry: dict = {"platform": t.platform, "runtime": runtime, "path": None}
    chosen = getattr(recipe.export, "onnxruntime_providers", None)
    provider = app_provider(chosen, t.platform, runtime)
    if provider:
        entry.update({"execution_provider": provider, "desktop_provider": DESKTOP_PROVIDER})
    try:
        row = _pick_or_build(recipe, t, runtime, rows, added, ctx)
        # the self-test bound follows the provider the app adds (tolerance.precision_of)
        shipped = {**row, "execution_provider": provider} if provider else row
        bundle = _bundle_for(recipe, route, shipped, ctx)
        target = out_dir / "apps" / f"{t.platform}-{runtime}"
        options: dict | None = (
            {"executorch_ios_branch": recipe.export.ios_branch}
            if t.platform == "ios" and recipe.export.ios_branch
            else None
        )
        if provider:
            options = {**(options or {}), "execution_provider": provider}
        if t.platform == "android" and runtime == "litert":
            options, bundle = litert_options(recipe, bundle)
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


def litert_options(recipe: Recipe, bundle):
    """The Android LiteRT app's render options (``[export] litert_accelerator``) and its
    bundle, whose self-test bound is relative when the app runs on the GPU."""
    accelerator = getattr(recipe.export, "litert_accelerator", "cpu") or "cpu"
    if accelerator == "gpu":
        from deploy_studio.core.templates.litert_app import gpu_tolerance

        bundle.expected = gpu_tolerance(bundle.expected)
    return {"litert_accelerator": accelerator}, bundle


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


def image_task_expected(row: dict, out_dir: Path, session: Session, pixels: np.ndarray) -> dict:
    """expected.json of an image app of another task (segmentation / detection): the
    desktop's every output for the sample in the artifact's own runtime (``outputs``), the
    ``mask`` or the post-processed ``detections`` (:func:`_task_result`), the class
    ``labels`` and the least ``agreement`` the app's self-test accepts."""
    sig = session.model.signature
    x = session.preprocess.apply(pixels)[None]
    outputs = _run_in_own_runtime(row, out_dir, session, [x])
    task: Any = session.task
    names = list(sig.output_names) or [f"output_{i}" for i in range(len(outputs))]
    result, labels = _task_result(session, outputs)
    return {
        "task": task.name,
        "task_output": min(task.output, len(outputs) - 1),
        "output_names": names,
        "outputs": _outputs_json(task.name, names, outputs),
        **_selftest_bounds(row, task.name, outputs[min(task.output, len(outputs) - 1)]),
        **result,
        "labels": labels,
    }


def _selftest_bounds(row: dict, task: str, task_output: np.ndarray) -> dict:
    """What the app's self-test accepts, derived from the variant: for segmentation and
    detection the least ``agreement`` with the desktop's mask / boxes, for other tasks the
    ``tolerance`` of the outputs (:func:`selftest_tolerance` on the task output)."""
    if task not in ("segmentation", "detection"):
        values = np.asarray(task_output, dtype=np.float64).reshape(-1)
        finite = [float(v) for v in values[np.isfinite(values)]]
        return {"tolerance": selftest_tolerance(row, finite)}
    fp32 = precision_of(row) is None
    floor = AGREEMENT_FP32 if fp32 else AGREEMENT_OTHER
    what = "pixel agreement" if task == "segmentation" else "matched-box agreement"
    return {
        "agreement": {
            "kind": what,
            "min": floor,
            "reason": (
                f"{'fp32' if fp32 else precision_of(row)} {row.get('format')} program: {what} "
                f"with the desktop >= {floor:g}"
            ),
        }
    }


def _build_for_app(
    recipe: Recipe, fmt: str, platform: str, out_dir: Path, reporter: Reporter, service
) -> dict:
    """An fp32 variant in ``fmt`` for an app whose runtime needs a format nobody built: with
    the format's default converter, else its others in turn (Core ML converts an LSTM only
    from the traced module)."""
    from deploy_studio.core.registry import FORMATS
    from deploy_studio.core.worker.requests import BuildVariant

    name = f"app-{fmt}"
    reporter.log(f"no {fmt} variant built: building {name} (fp32) for the {platform} app")
    obj = FORMATS.get(fmt).obj
    default = obj.default_converter or "export"
    converters = [default, *[c for c in getattr(obj, "converters", ()) if c != default]]
    failed: list[str] = []
    hint = ""
    for convert in converters:
        with_app = recipe.copy()
        with_app.variants = [*with_app.variants, VariantSpec(name, fmt, convert)]
        try:
            row = service.build(
                BuildVariant(with_app, name, str(out_dir)), reporter.for_variant(name)
            )
        except StudioError as e:
            failed.append(f"convert = {convert!r}: {e.message}")
            hint = e.hint or hint
            continue
        notes = [f"added to ship in the {platform} app"]
        if failed:
            notes.append(f"built with convert = {convert!r} ({'; '.join(failed)})")
        row["notes"] = [*row.get("notes", []), *notes]
        return row
    raise StudioError(
        f"the {fmt} artifact for the {platform} app failed: {'; '.join(failed)}", hint
    )
