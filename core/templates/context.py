"""The variables a template sees, built from an :class:`AppBundle` and a manifest.

Everything user-provided reaches templates through these variables and is embedded with a
language filter (``kotlin``, ``swift``, ``js``, ``xml``, ``android``, ``pbx``, ``md``), never
pasted raw. Preprocessing constants are rendered as float32 literals so Kotlin, Swift and
JavaScript compute the very same input tensor as Python.
"""

from __future__ import annotations

import hashlib
import mmap
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from deploy_studio.core import __version__
from deploy_studio.core.formats.coreml_names import coreml_output_names
from deploy_studio.core.templates.android_audio import android_audio_context
from deploy_studio.core.templates.escaping import (
    bundle_id,
    float32_literal,
    package_id,
    swift_module_name,
    type_name,
)
from deploy_studio.core.templates.litert_app import litert_context
from deploy_studio.core.templates.manifest import RuntimeSpec, TemplateManifest

# lastKnownFileType of the files an iOS project holds, by suffix.
PBX_FILE_TYPES = {
    ".swift": "sourcecode.swift",
    ".json": "text.json",
    ".txt": "text",
    ".png": "image.png",
    ".wav": "audio.wav",
    ".pte": "file",
    ".ptd": "file",
    ".mlpackage": "folder.mlpackage",
    ".plist": "text.plist.xml",
    ".md": "net.daringfireball.markdown",
}


@dataclass(frozen=True)
class PlannedFile:
    """One file of a generated project.

    Attributes
    ----------
    dest: path inside the project (POSIX).
    kind: ``"template"`` (rendered), ``"verbatim"`` (copied), ``"data"`` (written by the
        renderer: model, labels, sample, expected, preprocess, runtime files).
    """

    dest: str
    kind: str


def names(app_name: str, requested_id: str | None) -> dict[str, str]:
    """Identifiers derived from the app name: ``type_name``, ``package_id``, ``bundle_id``."""
    pkg = package_id(app_name, requested_id)
    return {
        "type_name": type_name(app_name),
        "package_id": pkg,
        "package_path": pkg.replace(".", "/"),
        "bundle_id": bundle_id(app_name, requested_id),
    }


def preprocess_constants(pp: dict) -> dict:
    """Preprocessing values as the generated code needs them (floats as float32 literals)."""
    height, width = (int(v) for v in pp["size"])
    return {
        "height": height,
        "width": width,
        "channels": int(pp["channels"]),
        "grayscale": int(pp["channels"]) == 1,
        "resize": pp["resize"],
        "bgr": int(pp["channels"]) == 3 and pp.get("channel_order", "RGB") == "BGR",
        "nhwc": pp.get("layout", "NCHW") == "NHWC",
        "layout": pp.get("layout", "NCHW"),
        "resize_size": int(pp.get("resize_size") or 0),
        "interpolation": pp.get("interpolation", "bilinear"),
        "scale": float32_literal(pp["scale"]),
        "mean": [float32_literal(v) for v in pp["mean"]],
        "std": [float32_literal(v) for v in pp["std"]],
    }


def selftest_check(variables: dict, spec: RuntimeSpec, expected: dict) -> dict:
    """The self-test's tolerance ``{kind, abs, rel, reason}``: the template's fixed
    ``selftest_tolerance``, else expected.json's (derived from the variant's measurements by
    :func:`deploy_studio.core.apps.selftest_tolerance`), else the runtime's absolute default."""
    fixed = variables.get("selftest_tolerance")
    if fixed:
        value = float(fixed)
        reason = f"fixed by the template's selftest_tolerance: max |diff| <= {value:g}"
        return {"kind": "absolute", "abs": value, "rel": None, "reason": reason}
    given = (expected or {}).get("tolerance")
    if isinstance(given, dict) and given.get("abs") is not None:
        return {
            "kind": str(given.get("kind") or "absolute"),
            "abs": float(given["abs"]),
            "rel": None if given.get("rel") is None else float(given["rel"]),
            "reason": str(given.get("reason") or ""),
        }
    value = float(spec.tolerance)
    reason = f"the {spec.name} runtime's default: max |diff| <= {value:g}"
    return {"kind": "absolute", "abs": value, "rel": None, "reason": reason}


def base_context(
    manifest: TemplateManifest,
    spec: RuntimeSpec,
    bundle,
    variables: dict,
    model_file: str,
    model_extra: list[str],
    ort_web_version: str | None,
) -> dict:
    """The variables every template gets (see the template READMEs for their use)."""
    from deploy_studio.core.registry import FORMATS

    pp = bundle.preprocess.to_dict()
    delegates = list(getattr(bundle, "delegates", None) or [])
    check = selftest_check(variables, spec, bundle.expected)
    tolerance = check["abs"]
    return {
        **variables,
        **names(bundle.app_name, bundle.package_id),
        # iOS: the target name is the Swift module name; it must not shadow a framework.
        **({"type_name": swift_module_name(bundle.app_name)} if manifest.platform == "ios" else {}),
        "app_name": bundle.app_name,
        "platform": manifest.platform,
        "runtime": spec.name,
        "runtime_title": spec.title,
        "format": spec.format,
        "runtimes": list(manifest.runtimes.values()),
        "model_file": model_file,
        "model_extra": model_extra,
        "labels": list(bundle.labels),
        "num_classes": len(bundle.labels),
        "input_shape": [int(v) for v in bundle.input_shape],
        "pp": preprocess_constants(pp),
        "preprocess": pp,
        "expected": bundle.expected,
        "tolerance": tolerance,
        "tolerance_literal": float32_literal(tolerance),
        # the self-test check: {kind, abs, rel, reason} (expected.json "tolerance" unless the
        # template's selftest_tolerance fixes it; apps read expected.json unless fixed)
        "tolerance_check": check,
        "tolerance_rel_literal": float32_literal(check["rel"] or 0.0),
        "tolerance_fixed": bool(variables.get("selftest_tolerance")),
        "benchmark_runs": int(variables.get("benchmark_runs", 20)),
        "variant": bundle.variant,
        "delegates": delegates,
        "delegate_libraries": FORMATS.get(spec.format).obj.app_libraries(
            manifest.platform, delegates
        ),
        "generator": f"Deploy Studio {__version__}",
        "ort_web_version": ort_web_version,
        **task_page_context(bundle),
        # the bundled sample's input tensors without their values (README, UI text)
        "sample_inputs": [
            {"name": str(t["name"]), "dtype": str(t["dtype"]), "shape": list(t["shape"])}
            for t in getattr(bundle, "sample_inputs", None) or []
        ],
        "atask": android_task_context(bundle),
        # the Core ML feature names of the outputs, in the desktop's order (coreml_names.py)
        "coreml_output_names": coreml_output_names(list(getattr(bundle, "output_names", []))),
        "aaudio": android_audio_context(bundle.preprocess),
        # the Android LiteRT app's model.tflite tensors and accelerator (litert_app.py)
        "litert": litert_context(bundle, spec, variables),
        "audio": audio_context(bundle),
    }


def audio_context(bundle) -> dict | None:
    """An audio app's spec constants (:func:`~deploy_studio.core.templates.audio_app.
    audio_constants`, floats as exact float64 literals) and ``describe``; None otherwise."""
    spec = getattr(bundle.preprocess, "audio", None)
    if spec is None:
        return None
    from deploy_studio.core.templates.audio_app import audio_constants

    out = audio_constants(spec)
    if out["logMel"]:
        out["logMel"] = {
            **out["logMel"],
            "fmin": repr(out["logMel"]["fmin"]),
            "fmax": repr(out["logMel"]["fmax"]),
        }
    return {**out, "describe": spec.describe()}


def task_page_context(bundle) -> dict:
    """A task page's variables (Web): ``task``, ``app_kind`` (``classification``,
    ``segmentation``, ``detection``, ``tensors``) and ``det``, the detector's complete
    :class:`~deploy_studio.core.tasks.detection.PostProcess` (None for other tasks)."""
    task = getattr(bundle, "task", "classification")
    if getattr(bundle, "sample_inputs", None) is None:
        return {"task": task, "app_kind": "classification", "det": None}
    det = None
    if task == "detection" and bundle.postprocess:
        from deploy_studio.core.tasks.detection import PostProcess

        det = {**PostProcess.from_dict(bundle.postprocess).to_dict(), "labels": None}
        det["labels"] = bundle.postprocess.get("labels")
    kind = task if task in ("segmentation", "detection") else "tensors"
    return {"task": task, "app_kind": kind, "det": det}


def android_task_context(bundle) -> dict:
    """The Android app's task constants (TaskSpec.kt): ``task``, the task output's index, and a
    detector's :class:`~deploy_studio.core.tasks.detection.PostProcess` as Kotlin literals with
    the output indices of its boxes / scores / labels (``expected.json`` ``outputs_at``)."""
    from deploy_studio.core.tasks.detection import PostProcess

    task = getattr(bundle, "task", "classification")
    expected = bundle.expected or {}
    spec = PostProcess.from_dict(
        getattr(bundle, "postprocess", None) if task == "detection" else None
    )
    at = expected.get("outputs_at") or {}
    mask_shape = (expected.get("mask") or {}).get("shape") or list(
        getattr(bundle.preprocess, "size", None) or bundle.input_shape[-2:]
    )
    return {
        "task": task,
        "task_output": int(expected.get("task_output") or 0),
        "mask_hw": [int(v) for v in mask_shape[-2:]],
        "boxes": int(at.get("boxes", 0)),
        "scores": int(at.get("scores", 1)),
        "labels": int(at["labels"]) if at.get("labels") is not None else -1,
        "score_threshold": float32_literal(spec.score_threshold),
        "iou_threshold": repr(float(spec.iou_threshold)),  # IoU is compared in float64
        "max_detections": spec.max_detections,
        "background": spec.background,
        "activation": spec.activation,
        "class_agnostic": "true" if spec.class_agnostic else "false",
        "topk_candidates": spec.topk_candidates,
        "output_names": [str(n) for n in expected.get("output_names") or []],
    }


def pbx_id(type_name_: str, key: str) -> str:
    """A stable 24-hex-digit Xcode object id for ``key`` (same input, same project file)."""
    return hashlib.md5(f"{type_name_}/{key}".encode()).hexdigest()[:24].upper()


_QUANTIZED_OP = re.compile(rb"quantized_decomposed::[A-Za-z0-9_]+")


def pte_quantized_ops(artifact) -> list[str]:
    """The ``quantized_decomposed::`` operators a ``.pte`` calls outside any delegate.

    A program's operator table (the ops ExecuTorch looks up in its kernel registry at load
    time) holds the names verbatim; ops a delegate (XNNPACK, Core ML) took over are not in
    it. A name inside a delegate's own data would only make the app link one library more.
    """
    path = Path(artifact)
    if not path.is_file() or path.stat().st_size == 0:
        return []
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return sorted({m.group().decode() for m in _QUANTIZED_OP.finditer(data)})


def ios_context(ctx: dict, plan: list[PlannedFile], artifact=None) -> dict:
    """Xcode project structure: groups, file references and build phases for every file.

    Files under ``<App>/`` become file references of the app group (or of its
    ``Resources`` subgroup); Swift files and a Core ML package go to the Sources phase,
    everything in ``Resources`` to the Resources phase. ExecuTorch runs link the manifest's
    ``executorch_products`` plus the libraries the artifact's delegates need.
    """
    app = ctx["type_name"]
    files = []
    for item in plan:
        parts = PurePosixPath(item.dest).parts
        if len(parts) < 2 or parts[0] != app:
            continue
        inner = PurePosixPath(*parts[1:])
        suffix = inner.suffix
        top = inner.parts[0]
        if top.endswith(".mlpackage"):
            inner, suffix = PurePosixPath(top), ".mlpackage"
        elif len(inner.parts) > 2 or (len(inner.parts) == 2 and inner.parts[0] != "Resources"):
            continue  # deeper folders are not part of this template
        group = "resources" if inner.parts[0] == "Resources" else "app"
        if suffix in (".swift", ".mlpackage"):
            phase = "sources"
        elif group == "resources":
            phase = "resources"
        else:
            phase = None
        entry = {
            "name": inner.name,
            "path": inner.name,
            "group": group,
            "type": PBX_FILE_TYPES.get(suffix, "file"),
            "phase": phase,
            "ref": pbx_id(app, f"ref:{inner}"),
            "build": pbx_id(app, f"build:{inner}"),
        }
        if entry not in files:
            files.append(entry)
    files.sort(key=lambda f: (f["group"], f["name"]))
    products = list(ctx.get("executorch_products", []))
    # Quantized ops left outside the delegates run on kernels_quantized's kernels: without
    # it the program fails to load ("operator ... not found"). Fully delegated int8 programs
    # (XNNPACK) and fp32 ones do not call them.
    quantized_ops = (
        pte_quantized_ops(artifact) if artifact is not None and ctx["format"] == "pte" else []
    )
    if (ctx.get("executorch_kernels_quantized") or quantized_ops) and (
        "kernels_quantized" not in products
    ):
        products.append("kernels_quantized")
    # the artifact's delegates may need more than the template always links
    products += [p for p in ctx.get("delegate_libraries", []) if p not in products]
    package = None  # the Swift package the runtime links (XCRemoteSwiftPackageReference)
    if ctx["runtime"] == "executorch":
        package = {
            "key": "package-executorch",
            "name": "executorch",
            "url": ctx.get("executorch_package_url"),
            "kind": "branch",
            "branch": ctx.get("executorch_ios_branch"),
        }
    elif ctx["runtime"] == "onnxruntime":
        # products of microsoft/onnxruntime-swift-package-manager's Package.swift: "onnxruntime"
        # (Swift module OnnxRuntimeBindings) and "onnxruntime_extensions" (not needed)
        products = ["onnxruntime"]
        package = {
            "key": "package-onnxruntime",
            "name": "onnxruntime-swift-package-manager",
            "url": ctx.get("onnxruntime_package_url"),
            "kind": "exactVersion",
            "version": ctx.get("onnxruntime_ios_version"),
        }
    return {
        "files": files,
        "uses_executorch": ctx["runtime"] == "executorch",
        "quantized_ops": quantized_ops,
        "package": package,
        "packages": [
            {
                "name": p,
                "dep": pbx_id(app, f"product:{p}"),
                "build": pbx_id(app, f"build-product:{p}"),
            }
            for p in (products if package else [])
        ],
        "id": lambda key: pbx_id(app, key),
    }
