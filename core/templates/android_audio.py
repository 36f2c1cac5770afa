"""The Android app of an audio classifier (issue 11): what it ships beside the rendered project.

The app (``AudioScreen.kt``) turns a WAV file or a microphone recording into the model's input
with ``AudioFeatures.kt``, fixed Kotlin that repeats :mod:`deploy_studio.core.data.audio` step
by step; the spec's constants are rendered into ``AudioSpec.kt`` from the bundle's preprocess
spec (:func:`android_audio_context`). The renderer writes the bundled recording
(``app/src/main/assets/sample.wav``, the self-test's input) from the bundle.
"""

from __future__ import annotations

from deploy_studio.core.templates.audio_app import audio_app_refusal, audio_constants


def android_audio_refusal(session) -> str | None:
    """Why the Android app cannot serve this audio model, or None."""
    return audio_app_refusal(session, "android")


def android_audio_context(preprocess) -> dict:
    """``AudioSpec.kt``'s constants as Kotlin literals (``enabled`` False for other models:
    the file is rendered in every project, so its code always compiles)."""
    spec = getattr(preprocess, "audio", None)
    if spec is None:
        return {
            "enabled": False,
            "describe": "not an audio model",
            **_literals({"sampleRate": 16000, "length": 16000, "mono": True, "logMel": None}),
        }
    return {"enabled": True, "describe": spec.describe(), **_literals(audio_constants(spec))}


def _literals(c: dict) -> dict:
    mel = c["logMel"] or {"nMels": 0, "nFft": 0, "hop": 0, "fmin": 0.0, "fmax": 0.0}
    return {
        "sample_rate": int(c["sampleRate"]),
        "length": int(c["length"]),
        "mono": "true" if c["mono"] else "false",
        "log_mel": "true" if c["logMel"] else "false",
        "n_mels": int(mel["nMels"]),
        "n_fft": int(mel["nFft"]),
        "hop": int(mel["hop"]),
        "fmin": repr(float(mel["fmin"])),  # Kotlin Double literals: repr is exact
        "fmax": repr(float(mel["fmax"])),
    }
