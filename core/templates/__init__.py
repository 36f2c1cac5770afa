"""Android, iOS and Web app projects rendered from a variant's artifact.

Each platform is a Jinja2 template folder under ``mobile-templates/<platform>`` with a
``manifest.toml``. :func:`render_project` turns an :class:`AppBundle` (the artifact, the
preprocessing spec, labels, a golden sample and its expected output) into a ready-to-build
project that runs the sample as a self-test on start.

Example
-------
>>> from deploy_studio.core.templates import AppBundle, render_project, default_runtime
>>> render_project("web", default_runtime("web"), bundle, out / "web")  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deploy_studio.core.errors import TemplateError
from deploy_studio.core.templates.manifest import available_platforms, load_manifest
from deploy_studio.core.templates.render import render_project

__all__ = [
    "PLATFORMS",
    "AppBundle",
    "TemplateError",
    "default_runtime",
    "render_project",
]


@dataclass
class AppBundle:
    """Everything a generated app ships besides code.

    Attributes
    ----------
    app_name: any text; escaped or sanitised wherever it is used.
    artifact: the model file (``.pte``, ``.ptl``, ``.onnx``) or ``.mlpackage`` folder.
    artifact_extra: files shipped beside the artifact (e.g. ``model.onnx.data``).
    preprocess: the :class:`deploy_studio.core.data.preprocess.Preprocess` the desktop used.
    labels: class labels in index order, any text.
    sample_png: a real input already at model size (mode ``L`` or ``RGB``).
    expected: the desktop's output for ``sample_png``: ``top1``, ``top1_index``, ``topk``,
        ``logits``, ``probs``.
    input_shape: the model input shape, e.g. ``[1, 1, 28, 28]``.
    package_id: Android applicationId / iOS bundle id; derived from ``app_name`` when None.
    variant: the variant name, for the README.
    delegates: the backends the artifact was lowered to (``["xnnpack"]``): the project
        links their libraries (``Format.app_libraries``).
    task: the model's task. A bundle with ``sample_inputs`` is a task page (Web): the
        page feeds these tensors (``{name, dtype, shape, data}`` per input, in input order)
        instead of ``sample_png`` (then optional, only drawn), and ``expected`` holds the
        desktop's every output (``outputs``: ``{name, dtype, shape, data}``) with the task's
        ``mask`` (segmentation) or ``detections`` (detection).
    sample_wav: an audio app's bundled recording (``sample.wav``: the first held-out clip
        as 32-bit PCM, :func:`deploy_studio.core.templates.audio_app.sample_wav`), written
        into the assets folder; None for other apps.
    postprocess: a detector's :class:`~deploy_studio.core.tasks.detection.PostProcess` keys,
        generated into the page's ``postprocess.js``.
    output_names: the model's flattened output names in order (the iOS Core ML app looks its
        outputs up by their Core ML names, :mod:`deploy_studio.core.formats.coreml_names`).
    """

    app_name: str
    artifact: Path
    artifact_extra: list[Path]
    preprocess: object
    labels: list[str]
    sample_png: Path | None
    expected: dict
    input_shape: list[int]
    package_id: str | None = None
    variant: str = ""
    delegates: list[str] = field(default_factory=list)
    task: str = "classification"
    sample_inputs: list[dict] | None = None
    postprocess: dict | None = None
    output_names: list[str] = field(default_factory=list)
    sample_wav: bytes | None = None


def _platforms() -> dict[str, dict[str, str]]:
    return {
        name: {rt: spec.format for rt, spec in load_manifest(name).runtimes.items()}
        for name in available_platforms()
    }


PLATFORMS: dict[str, dict[str, str]] = _platforms()
"""platform -> runtime -> artifact format key, read from the template manifests."""


def default_runtime(platform: str) -> str:
    """The runtime a platform uses when none is asked for.

    Parameters
    ----------
    platform:
        ``"android"``, ``"ios"`` or ``"web"``.

    Returns
    -------
    str
        ``"executorch"`` for Android and iOS, ``"onnxruntime-web"`` for Web.

    Raises
    ------
    TemplateError
        For a platform without a template.
    """
    if platform not in PLATFORMS:
        raise TemplateError(
            f"no app template for platform {platform!r}",
            f"use one of: {', '.join(PLATFORMS)}",
        )
    return load_manifest(platform).default_runtime
