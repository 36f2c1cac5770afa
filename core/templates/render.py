"""Rendering a platform template into a ready-to-build project.

:func:`render_project` checks the platform/runtime/artifact combination, plans every file
of the project (rendered templates, verbatim files, data), renders with Jinja2 in
``StrictUndefined`` mode (a missing value fails loudly), and writes the whole folder
atomically: a failed or cancelled render leaves any previous project untouched.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath

import jinja2

from deploy_studio.core.errors import TemplateError
from deploy_studio.core.fsutil import atomic_dir
from deploy_studio.core.templates import escaping, providers
from deploy_studio.core.templates.audio_app import SAMPLE_WAV
from deploy_studio.core.templates.context import PlannedFile, base_context, ios_context
from deploy_studio.core.templates.manifest import (
    TemplateManifest,
    available_platforms,
    format_suffix,
    load_manifest,
)
from deploy_studio.core.templates.web_runtime import (
    LITERT_WEB_FILES,
    ORT_WEB_FILES,
    find_litert_web,
    find_ort_web,
)

LITERT_WEB = "litert-web"
"""The Web runtime that runs a .tflite with LiteRT.js (the others: onnxruntime-web)."""
DATA_FILES = ("labels.json", "labels.txt", "sample.png", "preprocess.json", "expected.json")


def make_environment(root: Path) -> jinja2.Environment:
    """A Jinja2 environment over ``root`` with StrictUndefined and the escaping filters."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(
        kotlin=escaping.kotlin_string,
        swift=escaping.swift_string,
        js=escaping.js_value,
        xml=escaping.xml_text,
        html=escaping.xml_text,
        android=escaping.android_string,
        pbx=escaping.pbx_string,
        # an INFOPLIST_KEY_* build setting: Xcode expands $ twice, then the plist quoting
        pbx_infoplist=lambda text: escaping.pbx_string(escaping.xcode_setting_literal(text, 2)),
        md=escaping.markdown_inline,
        f32=escaping.float32_literal,
    )
    return env


def _check_combination(platform: str, runtime: str | None, artifact: Path) -> tuple:
    platforms = available_platforms()
    if platform not in platforms:
        raise TemplateError(
            f"no app template for platform {platform!r}",
            f"use one of: {', '.join(platforms)}",
        )
    manifest = load_manifest(platform)
    runtime = runtime or manifest.default_runtime
    if runtime not in manifest.runtimes:
        offered = ", ".join(f"{r} ({s.format})" for r, s in manifest.runtimes.items())
        raise TemplateError(
            f"the {platform} template has no runtime {runtime!r}",
            f"use one of: {offered}",
        )
    spec = manifest.runtimes[runtime]
    artifact = Path(artifact)
    suffix = artifact.suffix.lower()
    wanted = format_suffix(spec.format)
    if suffix != wanted:
        fitting = [r for r, s in manifest.runtimes.items() if format_suffix(s.format) == suffix]
        hint = (
            f"use runtime {' or '.join(fitting)} for a {suffix} artifact on {platform}"
            if fitting
            else f"export a {wanted} variant for {platform}/{runtime} "
            f"(offered: {', '.join(f'{r} needs {format_suffix(s.format)}' for r, s in manifest.runtimes.items())})"
        )
        raise TemplateError(
            f"{platform}/{runtime} needs a {wanted} artifact, got {artifact.name!r}", hint
        )
    if not artifact.exists():
        raise TemplateError(f"artifact {artifact} does not exist", "build the variant first")
    return manifest, spec


def is_task_page(bundle) -> bool:
    """Whether ``bundle`` feeds its sample's tensors (a Web task page), not an image."""
    return getattr(bundle, "sample_inputs", None) is not None


def _check_task_bundle(manifest: TemplateManifest, bundle) -> None:
    if not manifest.extra.get("task_pages"):
        raise TemplateError(
            f"the {manifest.platform} template has no app fed its sample's tensors (this "
            f"{bundle.task} model takes no image)",
            "export the web template for it",
        )
    outputs = bundle.expected.get("outputs")
    if not bundle.sample_inputs or not isinstance(outputs, list) or not outputs:
        raise TemplateError(
            "a task page needs the sample's input tensors and the desktop's outputs",
            "build the bundle with core.apps.task_app_parts",
        )
    if manifest.audio and is_audio_app(bundle) and not getattr(bundle, "sample_wav", None):
        raise TemplateError(
            f"the {manifest.platform} audio app needs its bundled recording (sample.wav)",
            "build the bundle with core.templates.audio_app.sample_wav",
        )
    if bundle.task == "detection" and not bundle.postprocess:
        raise TemplateError(
            "a detector's page needs its post-processing spec", "declare [model] postprocess"
        )


def _check_bundle(bundle) -> None:
    from PIL import Image

    n = len(bundle.labels)
    if n == 0:
        raise TemplateError("the app needs at least one class label", "give the model's labels")
    task = getattr(bundle, "task", "classification")
    if task in ("segmentation", "detection"):  # an image app of another task (Android)
        if not ("mask" in bundle.expected or "detections" in bundle.expected):
            raise TemplateError(
                f"expected.json of a {task} app needs the desktop's mask or detections",
                "build it with core.apps.image_task_expected",
            )
    top1 = bundle.expected.get("top1_index")
    if task != "classification":
        pass
    elif not isinstance(top1, int) or not 0 <= top1 < n:
        raise TemplateError(
            f"expected.json needs top1_index between 0 and {n - 1}, got {top1!r}",
            "compute the expected output with the same model and labels",
        )
    logits = bundle.expected.get("logits")
    if task == "classification" and (not isinstance(logits, list) or len(logits) != n):
        raise TemplateError(
            f"expected.json needs {n} logits (one per label), got "
            f"{len(logits) if isinstance(logits, list) else 'none'}",
            "compute the expected output with the same model and labels",
        )
    pp = bundle.preprocess
    shape = [int(v) for v in bundle.input_shape]
    if shape[1:] != pp.input_shape()[1:]:
        raise TemplateError(
            f"input shape {shape} does not match the preprocessing "
            f"({pp.channels} channel(s) of {pp.size[0]}x{pp.size[1]})",
            "build the Preprocess from the model's input shape",
        )
    with Image.open(bundle.sample_png) as img:
        if [img.height, img.width] != list(pp.size):
            raise TemplateError(
                f"sample image is {img.width}x{img.height}, the model takes "
                f"{pp.size[1]}x{pp.size[0]}",
                "resize the sample with Preprocess.resize_image before bundling it",
            )


def is_audio_app(bundle) -> bool:
    """Whether ``bundle`` is an audio app's (its preprocessing has an audio spec)."""
    return getattr(bundle.preprocess, "audio", None) is not None


def _plan_templates(
    manifest: TemplateManifest, runtime: str, path_vars: dict, audio: bool = False
) -> list:
    """(source, PlannedFile) for every template file, placeholders in paths resolved."""
    planned = []
    for src in sorted(manifest.root.rglob("*")):
        if not src.is_file():
            continue
        rel = src.relative_to(manifest.root).as_posix()
        if manifest.is_ignored(rel, runtime, audio):
            continue
        dest = manifest.rename.get(rel, rel)
        for key, value in path_vars.items():
            dest = dest.replace(key, value)
        kind = "verbatim" if manifest.is_verbatim(rel) else "template"
        planned.append((src, PlannedFile(dest, kind)))
    return planned


def _resolve(path: str, path_vars: dict) -> str:
    for key, value in path_vars.items():
        path = path.replace(key, value)
    return path


def _variables(manifest, spec, platform: str, options: dict | None) -> dict:
    """The manifest's variables with ``options`` applied (an option no platform knows, or an
    execution provider the runtime does not offer, is a TemplateError)."""
    options = dict(options or {})
    known = set()
    for name in available_platforms():
        known |= set(load_manifest(name).variables)
    unknown = sorted(set(options) - known)
    if unknown:
        raise TemplateError(
            f"unknown template option(s): {', '.join(unknown)}",
            f"use any of: {', '.join(sorted(known))}",
        )
    variables = {
        **manifest.variables,
        **{k: v for k, v in options.items() if k in manifest.variables},
    }
    provider = variables.get("execution_provider")
    if spec.execution_providers and provider not in spec.execution_providers:
        raise TemplateError(
            f"the {platform} {spec.name} app has no execution provider {provider!r}",
            f"{platform} choices: {', '.join(spec.execution_providers)}",
        )
    return variables


def render_project(
    platform: str,
    runtime: str | None,
    bundle,
    out_dir: Path,
    *,
    options: dict | None = None,
    reporter=None,
) -> Path:
    """Render the ``platform`` project for ``bundle`` into ``out_dir`` (atomically).

    Parameters
    ----------
    platform:
        ``"android"``, ``"ios"`` or ``"web"``.
    runtime:
        A runtime the platform offers (see ``PLATFORMS``); None for its default.
    bundle:
        The :class:`deploy_studio.core.templates.AppBundle` to ship.
    out_dir:
        The project folder; replaced as a whole when rendering succeeds.
    options:
        Overrides of manifest variables, e.g. ``{"executorch_ios_branch": "swiftpm-1.5.1"}``
        or ``{"benchmark_runs": 50}``. Keys no template knows are an error.
    reporter:
        Optional :class:`deploy_studio.core.progress.Reporter`; gets ``progress("render <platform>", f)``
        and may cancel.

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    TemplateError
        Unknown platform, runtime or option; an artifact of the wrong format; a bundle whose
        labels, expected output, sample or input shape do not fit together.
    """
    manifest, spec = _check_combination(platform, runtime, Path(bundle.artifact))
    if is_task_page(bundle):
        _check_task_bundle(manifest, bundle)
    else:
        _check_bundle(bundle)
    stage = f"render {platform}"
    if reporter is not None:
        reporter.progress(stage, 0.0)

    variables = _variables(manifest, spec, platform, options)
    provider = variables.get("execution_provider")

    artifact = Path(bundle.artifact)
    model_file = manifest.model_stem + format_suffix(spec.format)
    model_extra = [Path(p).name for p in bundle.artifact_extra]
    # the page's runtime files, copied from the npm package when installed (web_runtime.py)
    litert_page = platform == "web" and spec.name == LITERT_WEB
    ort = find_ort_web() if platform == "web" and not litert_page else None
    litert = find_litert_web() if litert_page else None
    ctx = base_context(
        manifest, spec, bundle, variables, model_file, model_extra, ort.version if ort else None
    )
    path_vars = {"__package_path__": ctx["package_path"], "__app__": ctx["type_name"]}

    planned = _plan_templates(manifest, spec.name, path_vars, is_audio_app(bundle))
    assets_dir = _resolve(manifest.assets_dir, path_vars)
    model_dir = _resolve(manifest.model_dir, path_vars)
    data = [PlannedFile(str(PurePosixPath(assets_dir, n)), "data") for n in _data_files(bundle)]
    data.append(PlannedFile(str(PurePosixPath(model_dir, model_file)), "data"))
    data += [PlannedFile(str(PurePosixPath(model_dir, n)), "data") for n in model_extra]
    plan = [p for _, p in planned] + data
    ctx["project_files"] = [p.dest for p in plan]
    ctx["ort_web_files"] = list(ORT_WEB_FILES)
    ctx["execution_provider_label"] = providers.LABELS.get(str(provider), str(provider))
    ctx["litert_web_files"] = list(LITERT_WEB_FILES)
    ctx["litert_found_version"] = litert.version if litert else None
    if platform == "ios":
        ctx["pbx"] = ios_context(ctx, plan, artifact)

    env = make_environment(manifest.root)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        total = len(planned) + 2
        for i, (src, item) in enumerate(planned):
            dest = tmp / item.dest
            dest.parent.mkdir(parents=True, exist_ok=True)
            if item.kind == "verbatim":
                shutil.copyfile(src, dest)
            else:
                rel = src.relative_to(manifest.root).as_posix()
                try:
                    text = env.get_template(rel).render(ctx)
                except jinja2.TemplateError as exc:  # a template bug: say which file
                    raise RuntimeError(f"template {platform}/{rel}: {exc}") from exc
                dest.write_text(text, encoding="utf-8", newline="\n")
            shutil.copymode(src, dest)
            if reporter is not None and i % 8 == 0:
                reporter.progress(stage, 0.8 * (i + 1) / total)
        _write_data(tmp / assets_dir, bundle)
        _copy_model(tmp / model_dir, artifact, model_file, bundle.artifact_extra)
        if ort is not None:
            ort_dir = tmp / str(variables.get("ort_web_dir", "ort"))
            ort_dir.mkdir(parents=True, exist_ok=True)
            for name in ORT_WEB_FILES:
                shutil.copyfile(ort.dist / name, ort_dir / name)
        if litert is not None:
            litert_dir = tmp / str(variables.get("litert_web_dir", "litert"))
            for name in LITERT_WEB_FILES:
                (litert_dir / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(litert.root / name, litert_dir / name)
        if reporter is not None:
            reporter.progress(stage, 1.0)
    return out_dir


def _data_files(bundle) -> list[str]:
    """The data files written into the assets folder for ``bundle``."""
    if not is_task_page(bundle):
        return list(DATA_FILES)
    names = [n for n in DATA_FILES if n != "sample.png" or bundle.sample_png is not None]
    wav = [SAMPLE_WAV] if getattr(bundle, "sample_wav", None) is not None else []
    return [*names, "sample_inputs.json", *wav]


def _write_data(folder: Path, bundle) -> None:
    """labels.json/.txt, sample.png (re-encoded in the model's mode), preprocess/expected."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    labels = [str(label) for label in bundle.labels]
    (folder / "labels.json").write_text(
        json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (folder / "labels.txt").write_text(escaping.labels_txt(labels), encoding="utf-8")
    (folder / "preprocess.json").write_text(
        json.dumps(bundle.preprocess.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    (folder / "expected.json").write_text(
        json.dumps(bundle.expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    if is_task_page(bundle):
        (folder / "sample_inputs.json").write_text(
            json.dumps({"inputs": bundle.sample_inputs}) + "\n", encoding="utf-8"
        )
        if getattr(bundle, "sample_wav", None) is not None:
            (folder / SAMPLE_WAV).write_bytes(bundle.sample_wav)
        if bundle.sample_png is None:
            return
    # Re-encode so the app decodes exactly the pixels Python used (no alpha, no ICC profile).
    with Image.open(bundle.sample_png) as img:
        pixels = img.convert("L" if bundle.preprocess.channels == 1 else "RGB")
        pixels.save(folder / "sample.png", format="PNG")


def _copy_model(folder: Path, artifact: Path, model_file: str, extra: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if artifact.is_dir():  # a Core ML .mlpackage is a folder
        shutil.copytree(artifact, folder / model_file)
    else:
        shutil.copyfile(artifact, folder / model_file)
    for path in extra:
        path = Path(path)
        # An ONNX model names its external data file inside: keep that name.
        if path.is_dir():
            shutil.copytree(path, folder / path.name)
        else:
            shutil.copyfile(path, folder / path.name)
