"""Which app a platform renders for a model: the image app, a task app fed the bundled
sample's tensors, an audio app, or a refusal that says why and what to do instead.

- ``image``: one preprocessed image in (``sample.png``), the classifier's top classes, or on
  Android / iOS a segmentation mask or detections drawn over the image.
- ``tensors``: the first held-out sample's input tensors in their own dtypes
  (``sample_inputs.json``): token ids, table rows, several inputs, any task; the app shows
  the mask, the boxes or every output summarised per name.
- ``audio``: a WAV file or a recording turned into the model's input by the audio
  preprocessing generated from the spec (``[preprocess] audio``).

A runtime may also refuse a variant it cannot run (:func:`variant_refusal`): the app then ships
another variant in its format, or says why the one asked for cannot ship.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from deploy_studio.core.session import Session

IMAGE_TASKS = {
    "android": ("classification", "segmentation", "detection"),
    "ios": ("classification", "segmentation", "detection"),
    "web": ("classification",),
}
"""Platform -> the tasks its image app serves."""

_TENSOR_DTYPES = ("float32", "float64", "int64", "int32", "int8", "uint8", "bool")
TENSOR_DTYPES = {
    "web": _TENSOR_DTYPES,  # onnxruntime-web tensors
    "ios": _TENSOR_DTYPES,  # ExecuTorch Tensor<T> (Core ML, ONNX Runtime: fewer, below)
    "android": _TENSOR_DTYPES,  # ExecuTorch / ONNX Runtime / PyTorch lite tensors
}
"""Platform -> the input dtypes its tensor app feeds from the bundled sample."""

_NO_BOOL = tuple(d for d in _TENSOR_DTYPES if d != "bool")

TENSOR_RUNTIMES_REFUSED: dict[tuple[str, str], str] = {}
"""(platform, runtime) -> why that runtime's app cannot feed the sample's tensors."""

RUNTIME_TENSOR_DTYPES = {
    ("android", "executorch"): (_NO_BOOL, "ExecuTorch's Android Tensor has no bool tensors"),
    ("android", "pytorch-lite"): (_NO_BOOL, "pytorch_android_lite has no bool tensors"),
    # LiteRT's Kotlin TensorBuffer writes float, int32, int64, int8 and boolean arrays; the
    # converter makes int64 inputs int32 (the app writes them so) and keeps float64 as is.
    ("android", "litert"): (
        ("float32", "int64", "int32", "int8", "bool"),
        "LiteRT's Kotlin TensorBuffer writes float32, int32, int64, int8 and bool tensors "
        "(int64 ids are fed as int32, the converter makes such inputs int32); it has no "
        "float64 or uint8 buffers",
    ),
    # Core ML model inputs are float16 / float32 / double / int32 multi-arrays; coremltools
    # converts an int64 input to int32. Classifier.swift feeds float32 and int32 arrays.
    ("ios", "coreml"): (
        ("float32", "int64", "int32"),
        "Core ML model inputs are float or int32 multi-arrays (int64 ids are fed as int32, "
        "coremltools converts int64 inputs to int32); it has no bool, int8, uint8 inputs and "
        "the app feeds no float64",
    ),
    # ONNX Runtime's Objective-C API (1.24.2) has float, int8, uint8, int32, int64 tensors.
    ("ios", "onnxruntime"): (
        ("float32", "int64", "int32", "int8", "uint8"),
        "ONNX Runtime's Objective-C API has no bool or double tensors",
    ),
    # LiteRT.js 2.5.3 Tensor: Float32Array, Int32Array or Uint8Array (its DATATYPES); int64
    # ids reach a .tflite as int32 (litert-torch converts them) and the page feeds them so.
    ("web", "litert-web"): (
        ("float32", "int64", "int32", "uint8"),
        "LiteRT.js 2.5.3 tensors are float32, int32 or uint8 (int64 ids are fed as int32, as "
        "litert-torch converts them); it has no bool, int8 or float64 tensors",
    ),
}
"""(platform, runtime) -> (the input dtypes its tensor app feeds, why only those), where the
runtime feeds fewer than the platform's other runtimes (:data:`TENSOR_DTYPES`)."""

TENSOR_FALLBACK = {"ios": "executorch", "android": "onnxruntime", "web": "onnxruntime-web"}
"""Platform -> the runtime whose tensor app feeds every dtype (named in refusals)."""


LITERT_WEB_INT8_STATIC = (
    "LiteRT.js 2.5.3 (@litertjs/core) cannot run a full-integer int8-static .tflite: it has no "
    "int8 tensors (float32, int32, uint8 only) and does not expose a tensor's scale / zero point "
    "to quantize the inputs and dequantize the outputs with"
)
LITERT_WEB_INT8_STATIC_HINT = (
    "ship an fp32, fp16, int8-dynamic or int8-weight-only tflite variant (float inputs and "
    "outputs), or an onnx variant with the onnxruntime-web runtime"
)


def _litert_web_variant_refusal(row: dict) -> str | None:
    from deploy_studio.core.templates.tolerance import precision_of

    if precision_of(row) == "int8-static":
        return f"{LITERT_WEB_INT8_STATIC}; {LITERT_WEB_INT8_STATIC_HINT}"
    return None


VARIANT_REFUSALS: dict[tuple[str, str], Callable[[dict], str | None]] = {
    ("web", "litert-web"): _litert_web_variant_refusal,
}
"""(platform, runtime) -> why that runtime's app cannot ship a variant (its report row)."""


def variant_refusal(platform: str, runtime: str, row: dict) -> str | None:
    """Why ``platform``'s ``runtime`` app cannot ship the variant of report row ``row``, or
    None (the Web's LiteRT.js cannot run full-integer int8-static models)."""
    check = VARIANT_REFUSALS.get((platform, runtime))
    return check(row) if check else None


AUDIO_REFUSALS: dict[str, Callable[[Session], str | None]] = {}
"""Platform -> why its audio app cannot serve a model (None: it can); filled below."""


@dataclass(frozen=True)
class AppRoute:
    """``kind``: ``image``, ``tensors`` or ``audio``; ``refusal``: why none is possible."""

    kind: str
    refusal: str | None = None


def image_app_refusal(session: Session, platform: str | None = None) -> str | None:
    """Why ``platform``'s image app (one preprocessed image in) cannot serve this model, or
    None. Without a platform: the image classifier every platform's image app serves."""
    sig = session.model.signature
    task = session.task.name
    if task not in IMAGE_TASKS.get(platform or "", ("classification",)):
        return f"the {platform or 'image'} image app shows no {task} results"
    if len(sig.inputs) > 1 or not sig.is_image:
        return f"this model takes {sig.describe_inputs()}, the image app feeds one image"
    if not session.dataset.has_images:
        return f"the data ({session.dataset.name}) has no images for the sample and self-test"
    if sig.task != 0 and task != "detection":  # a detector's outputs are found by name
        return (
            f"the image app reads the first output ({sig.output_names[0]!r}), the task output "
            f"is {sig.output_names[sig.task]!r}"
        )
    return None


def tensor_app_refusal(session: Session, platform: str, runtime: str) -> str | None:
    """Why ``platform``'s app cannot feed this model its sample's tensors, or None."""
    refused = TENSOR_RUNTIMES_REFUSED.get((platform, runtime))
    if refused:
        return refused
    sig = session.model.signature
    fed, why = RUNTIME_TENSOR_DTYPES.get((platform, runtime)) or (
        TENSOR_DTYPES.get(platform, ()),
        "",
    )
    odd = [i for i in sig.inputs if i.dtype not in fed]
    if odd:
        return (
            f"the {platform} {runtime} app feeds {', '.join(fed)} inputs"
            f"{f' ({why})' if why else ''}; this model takes "
            f"{'; '.join(i.describe() for i in odd)} (try: declare the input as float32"
            f"{', or the ' + TENSOR_FALLBACK[platform] + ' runtime' if why else ''})"
        )
    out = sig.task_output
    if session.task.name == "segmentation" and out is not None and len(out.shape) != 4:
        return (
            f"the {platform} app draws a segmentation mask from per-pixel logits "
            f"[1, classes, H, W]; the task output {out.name!r} is {list(out.shape)}"
        )
    return None


def audio_app_refusal(session: Session, platform: str, runtime: str) -> str | None:
    """Why ``platform``'s audio app cannot serve this audio model, or None (on any of its
    runtimes: the audio app feeds one float input, as an image app does)."""
    check = AUDIO_REFUSALS.get(platform)
    if check is None:
        return (
            f"the {platform} template has no audio app (try: the web template, or ship the "
            "artifacts from artifacts/ with preprocess.json's audio spec and call them from "
            "your own app)"
        )
    return check(session)  # the audio app feeds one float input: every runtime can


def route(session: Session, platform: str, runtime: str) -> AppRoute:
    """The app ``platform`` / ``runtime`` renders for this session's model."""
    if session.preprocess.audio is not None:
        return AppRoute("audio", audio_app_refusal(session, platform, runtime))
    if image_app_refusal(session, platform) is None:
        return AppRoute("image")
    return AppRoute("tensors", tensor_app_refusal(session, platform, runtime))


def plain_image_classifier(session: Session) -> bool:
    """Whether the model is an image classifier (the classic app and its expected.json)."""
    return session.preprocess.audio is None and image_app_refusal(session) is None


def _web_audio_refusal(session: Session) -> str | None:
    from deploy_studio.core.templates.web_audio import web_audio_refusal

    return web_audio_refusal(session)


AUDIO_REFUSALS["web"] = _web_audio_refusal


def _android_audio_refusal(session: Session) -> str | None:
    from deploy_studio.core.templates.android_audio import android_audio_refusal

    return android_audio_refusal(session)


AUDIO_REFUSALS["android"] = _android_audio_refusal


def _ios_audio_refusal(session: Session) -> str | None:
    from deploy_studio.core.templates.audio_app import audio_app_refusal

    return audio_app_refusal(session, "ios")


AUDIO_REFUSALS["ios"] = _ios_audio_refusal


def delegate_refusal(platform: str, delegates) -> str | None:
    """Why an app on ``platform`` cannot ship an artifact lowered to ``delegates`` (None: it
    can): a Core ML-delegated ``.pte`` runs only on iOS, a Vulkan-delegated one only on
    Android. Names the delegates that do run there."""
    from deploy_studio.core.formats.pte_delegates import DELEGATES
    from deploy_studio.core.registry import FORMATS

    FORMATS.get("pte")  # loads the pte format, with which the delegates register
    for key in delegates or []:
        chosen = DELEGATES.get(key)
        if chosen is None or platform in chosen.platforms:
            continue
        fits = [k for k, d in DELEGATES.items() if platform in d.platforms]
        return (
            f"a {chosen.label}-delegated program runs on {', '.join(chosen.platforms)} only, "
            f"not {platform}; for the {platform} app export a pte variant with "
            + " or ".join(f'delegate = "{k}"' for k in fits)
        )
    return None


def variant_delegates(fmt: str, format_options: dict | None) -> list[str]:
    """The delegates a variant's artifact will be lowered to (from its format options)."""
    if fmt != "pte":
        return []
    from deploy_studio.core.errors import RecipeError
    from deploy_studio.core.registry import FORMATS

    try:
        return [FORMATS.get(fmt).obj.resolve_options(format_options)["delegate"]]
    except RecipeError:  # an invalid variant (the window shows why): no delegate known
        return []
