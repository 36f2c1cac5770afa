"""The Web page of an audio classifier (issue 11): what it ships beside the task page's files.

The page (``mobile-templates/web/audio_page.js``) turns a WAV file or a recording into the
model's input with ``audio.js``, a fixed JavaScript module that repeats
:mod:`deploy_studio.core.data.audio` step by step; the spec's constants
(:func:`deploy_studio.core.templates.audio_app.audio_constants`) are generated into
``audio_spec.js`` here. The bundled sample (``assets/sample.wav``) and ``expected.json`` are
written by the renderer from the bundle (:mod:`deploy_studio.core.templates.audio_app`).
"""

from __future__ import annotations

import json
from pathlib import Path

from deploy_studio.core.data.audio import AudioSpec
from deploy_studio.core.templates.audio_app import audio_app_refusal, audio_constants

SPEC_FILE = "audio_spec.js"


def web_audio_refusal(session) -> str | None:
    """Why the Web page cannot serve this audio model, or None."""
    return audio_app_refusal(session, "web")


def audio_spec_js(spec: AudioSpec, generator: str) -> str:
    """``audio_spec.js``: the spec's constants, resolved (length, fmax) as the desktop uses them."""
    return (
        f"// Generated from preprocess.json's audio spec by {generator}. Re-export to change it.\n"
        f"// {spec.describe()}: audio.js computes core/data/audio.py's features with these.\n"
        f"export const AUDIO = Object.freeze({json.dumps(audio_constants(spec), indent=2)});\n"
    )


def write_audio_files(project: Path, session, generator: str) -> None:
    """Write ``audio_spec.js`` (the renderer wrote ``assets/sample.wav`` from the bundle)."""
    text = audio_spec_js(session.preprocess.audio, generator)
    (project / SPEC_FILE).write_text(text, encoding="utf-8")
