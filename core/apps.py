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
from typing import Any, cast

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


APPS_ISSUE = "app projects for multi-input / token models arrive with the apps issue"


APP_TASKS = {
    "android": ("classification", "segmentation", "detection"),
    "ios": ("classification", "segmentation", "detection"),
}
"""Platform -> the tasks its image app serves (others: image classifiers only)."""


def app_refusal(session: Session, platform: str | None = None) -> str | None:
    """Why the app templates (single-input image classifiers) cannot ship this model, or None.

    The templates feed one preprocessed image and show a classifier's first output: a model
    of another task, a model with several inputs, an input that is not an image, data without images, or a task output
    that is not the first output is refused with a message instead of a broken project.
    """
    sig = session.model.signature
    task = session.task.name
    if task not in APP_TASKS.get(platform or "", ("classification",)):
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
    if sig.task != 0 and task != "detection":  # a detector's outputs are found by name
        return (
            "app projects for models whose task output is not their first output arrive with "
            f"the apps issue: the app templates read the first output ({sig.output_names[0]!r}), "
            f"the task output is {sig.output_names[sig.task]!r} (try: return it first from "
            "forward())"
        )
    return None


WEB_TASK_DTYPES = ("float32", "float64", "int64", "int32", "int8", "uint8", "bool")
"""Input dtypes the Web page feeds from the bundled sample (onnxruntime-web tensors)."""


def web_task_refusal(session: Session) -> str | None:
    """Why the Web page cannot serve this model through its task pages, or None.

    The Web page serves models :func:`app_refusal` refuses (another task, several inputs,
    token or tabular inputs, data without images) by feeding the bundled sample's input
    tensors: segmentation shows the mask, detection the post-processed boxes, any other model
    a summary of every output.
    """
    sig = session.model.signature
    if session.preprocess.audio is not None:  # WAV files and recordings (web_audio.py)
        from deploy_studio.core.templates.web_audio import web_audio_refusal

        return web_audio_refusal(session)
    odd = [i for i in sig.inputs if i.dtype not in WEB_TASK_DTYPES]
    if odd:
        return (
            f"the web app feeds {', '.join(WEB_TASK_DTYPES)} inputs; this model takes "
            f"{'; '.join(i.describe() for i in odd)} (try: declare the input as float32)"
        )
    out = sig.task_output
    if session.task.name == "segmentation" and out is not None and len(out.shape) != 4:
        return (
            "the web app draws a segmentation mask from per-pixel logits [1, classes, H, W]; "
            f"the task output {out.name!r} is {list(out.shape)}"
        )
    return None


IOS_TASK_DTYPES = ("float32", "float64", "int64", "int32", "int8", "uint8", "bool")
"""Input dtypes the iOS app feeds from the bundled sample (ExecuTorch ``Tensor<T>``)."""


def ios_task_refusal(session: Session, runtime: str | None = None) -> str | None:
    """Why the iOS app cannot serve this model from its sample's input tensors, or None.

    Like :func:`web_task_refusal`: models :func:`app_refusal` refuses for iOS (no images,
    several / token inputs, another task) are fed the bundled sample's tensors
    (``sample_inputs.json``); segmentation shows the mask, detection the boxes, others every
    output. ExecuTorch only: Core ML has no int64 / bool inputs.
    """
    if runtime == "coreml":
        return (
            "the iOS Core ML app feeds one preprocessed image; models fed their sample's "
            "tensors run on ExecuTorch (try: the executorch runtime for the iOS template)"
        )
    if session.preprocess.audio is not None:
        return (
            "iOS apps for audio models arrive with the apps issue (try: ship the artifacts "
            "from artifacts/ with preprocess.json's audio spec and call them from your own app)"
        )
    sig = session.model.signature
    odd = [i for i in sig.inputs if i.dtype not in IOS_TASK_DTYPES]
    if odd:
        return (
            f"the iOS app feeds {', '.join(IOS_TASK_DTYPES)} inputs; this model takes "
            f"{'; '.join(i.describe() for i in odd)} (try: declare the input as float32)"
        )
    out = sig.task_output
    if session.task.name == "segmentation" and out is not None and len(out.shape) != 4:
        return (
            "the iOS app draws a segmentation mask from per-pixel logits [1, classes, H, W]; "
            f"the task output {out.name!r} is {list(out.shape)}"
        )
    return None


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


def _web_task_app(recipe: Recipe, t, runtime: str, rows: list, added: list, ctx: dict) -> dict:
    """Render the Web task page of template entry ``t`` (see :func:`web_task_refusal`)."""
    from deploy_studio.core.templates import PLATFORMS, AppBundle, render_project

    session, out_dir, report = ctx["session"], ctx["out_dir"], ctx["report"]
    entry = {"platform": t.platform, "runtime": runtime, "path": None}
    try:
        fmt = PLATFORMS[t.platform][runtime]
        row = pick_variant(rows, fmt, t.variant or recipe.export.variant, report.get("gates"))
        if t.variant and (row is None or row["name"] != t.variant):
            raise StudioError(
                f"the {t.platform} app should ship {t.variant!r}, which did not build as a {fmt} artifact",
                f"pick a {fmt} variant for the {t.runtime} runtime",
            )
        if row is None:
            row = _build_for_app(recipe, fmt, t.platform, out_dir, ctx["reporter"], ctx["service"])
            added.append(row)
            rows.append(row)
        parts = task_app_parts(row, out_dir, session)
        audio = session.preprocess.audio is not None
        if audio:  # the classifier self-test on the bundled recording
            from deploy_studio.core.templates.web_audio import audio_expected

            parts["expected"] = audio_expected(parts["expected"], parts["labels"], row)
        bundle = AppBundle(
            app_name=recipe.export.app_name,
            artifact=out_dir / row["artifact"],
            artifact_extra=[out_dir / f for f in row.get("files", [])[1:]],
            preprocess=session.preprocess,
            labels=parts["labels"],
            sample_png=ctx["sample_png"],
            expected=parts["expected"],
            input_shape=list(session.model.input_shape),
            variant=row["name"],
            delegates=list(row.get("delegates") or []),
            task=session.task.name,
            sample_inputs=parts["inputs"],
            postprocess=parts["postprocess"],
        )
        target = out_dir / "apps" / f"{t.platform}-{runtime}"
        options = (
            {"executorch_ios_branch": recipe.export.ios_branch}
            if t.platform == "ios" and recipe.export.ios_branch
            else None
        )
        render_project(
            t.platform, runtime, bundle, target, options=options, reporter=ctx["reporter"]
        )
        if audio:  # audio_spec.js and assets/sample.wav
            from deploy_studio.core import __version__
            from deploy_studio.core.templates.web_audio import write_audio_files

            write_audio_files(target, session, f"Deploy Studio {__version__}")
        entry.update(
            {"path": target.relative_to(out_dir).as_posix(), "variant": row["name"], "format": fmt}
        )
    except StudioError as e:
        entry["error"] = e.message + (f" (try: {e.hint})" if e.hint else "")
    return entry


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
    # per platform: Android serves more tasks (APP_TASKS)
    own = {
        t.platform: refused and app_refusal(session, t.platform) for t in recipe.export.templates
    }
    # The Web page serves the other tasks and inputs (task pages); Android and iOS do not yet.
    web_refused = web_task_refusal(session) if refused else None
    # iOS feeds the sample's tensors to what its image app refuses (ios_task_refusal)
    ios_refused = {
        t.runtime: ios_task_refusal(session, t.runtime or default_runtime("ios"))
        for t in recipe.export.templates
        if t.platform == "ios" and refused and own["ios"]
    }
    if (
        refused
        and all(own.values())
        and (web_refused or all(t.platform != "web" for t in recipe.export.templates))
        and all(ios_refused.values())
    ):
        return [
            {
                "platform": t.platform,
                "runtime": t.runtime or default_runtime(t.platform),
                "path": None,
                "error": (web_refused or refused)
                if t.platform == "web"
                else (ios_refused.get(t.runtime) or own[t.platform]),
            }
            for t in recipe.export.templates
        ], []
    labels = session.labels
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    pixels: Any = session.dataset.images[sample_i] if session.dataset.has_images else None
    rows = list(report["variants"])
    added: list[dict] = []
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        sample_png = Path(tmp) / "sample.png"
        if pixels is not None:
            session.dataset.sample_image(sample_i).save(sample_png)
        web_ctx = {
            "session": session,
            "out_dir": out_dir,
            "report": report,
            "reporter": reporter,
            "service": service,
            "sample_png": sample_png if pixels is not None else None,
        }
        for t in recipe.export.templates:
            runtime = t.runtime or default_runtime(t.platform)
            if refused and own[t.platform]:  # a Web task page; other platforms refuse it
                tensors = t.platform == "web" or (
                    t.platform == "ios" and not ios_refused.get(t.runtime)
                )
                entries.append(
                    _web_task_app(recipe, t, runtime, rows, added, web_ctx)
                    if tensors
                    else {
                        "platform": t.platform,
                        "runtime": runtime,
                        "path": None,
                        "error": ios_refused.get(t.runtime) or own[t.platform],
                    }
                )
                continue
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
                if refused:  # an image app of another task (APP_TASKS): its class names
                    task_expected = image_task_expected(row, out_dir, session, pixels)
                extra = [out_dir / f for f in row.get("files", [])[1:]]
                bundle = AppBundle(
                    app_name=recipe.export.app_name,
                    artifact=artifact,
                    artifact_extra=extra,
                    preprocess=session.preprocess,
                    labels=task_expected["labels"] if refused else labels,
                    sample_png=sample_png,
                    expected=(
                        task_expected
                        if refused
                        else _with_tolerance(
                            row, expected_output(row, out_dir, session, pixels, labels)
                        )
                    ),
                    input_shape=list(session.model.input_shape),
                    variant=row["name"],
                    delegates=list(row.get("delegates") or []),
                    task=session.task.name if refused else "classification",
                    postprocess=(
                        cast(Any, session.task).spec.to_dict()
                        if refused and session.task.name == "detection"
                        else None
                    ),
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
