"""What every platform's audio app shares: the spec's resolved constants, the bundled
recording, the classifier self-test's ``expected.json`` and when an audio app cannot serve.

An audio app turns a WAV file or a recording into the model's input with fixed code that
repeats :mod:`deploy_studio.core.data.audio` step by step (Web: ``audio.js``; iOS:
``AudioFeatures.swift``); the spec's constants (:func:`audio_constants`) are generated beside
it. The bundled sample is the first held-out recording as the desktop clipped it (mono,
resampled, cut or padded), written as 32-bit PCM (:func:`sample_wav`), so the app and the
desktop's ``audiofolder`` read the samples the desktop computed features from.
"""

from __future__ import annotations

import io
import wave

import numpy as np

from deploy_studio.core.data.audio import AudioSpec

SAMPLE_WAV = "sample.wav"

PLATFORM_TITLES = {"web": "web", "ios": "iOS", "android": "Android"}


def audio_app_refusal(session, platform: str) -> str | None:
    """Why ``platform``'s audio app (one float input, mono features) cannot serve this
    audio model, or None."""
    title = PLATFORM_TITLES.get(platform, platform)
    sig = session.model.signature
    ds = session.dataset
    if len(sig.inputs) != 1 or sig.inputs[0].dtype not in ("float32", "float64"):
        return (
            f"the {title} app feeds an audio model one float input; this model takes "
            f"{sig.describe_inputs()} (try: ship the artifacts from artifacts/ and call them from "
            "your own app)"
        )
    spec = session.preprocess.audio
    channels = int(np.prod(sig.inputs[0].shape)) // max(1, int(np.prod(spec.feature_shape(1))))
    if getattr(ds, "waveforms", None) is None or channels != 1:
        return (
            f"the {title} app serves mono audio models read from audiofolder:DIR (try: set "
            "[preprocess] audio mono = true, or ship the artifacts and call them yourself)"
        )
    return None


def audio_constants(spec: AudioSpec) -> dict:
    """The spec's constants, resolved as the desktop uses them (``length`` in samples,
    ``fmax`` None -> half the sample rate): ``{sampleRate, length, mono, logMel}``."""
    mel = spec.log_mel
    return {
        "sampleRate": int(spec.sample_rate),
        "length": int(spec.length),
        "mono": bool(spec.mono),
        "logMel": None
        if not mel
        else {
            "nMels": int(mel["n_mels"]),
            "nFft": int(mel["n_fft"]),
            "hop": int(mel["hop"]),
            "fmin": float(mel["fmin"]),
            "fmax": float(mel["fmax"] if mel["fmax"] is not None else spec.sample_rate / 2),
        },
    }


def pcm32_wav(samples: np.ndarray, rate: int) -> bytes:
    """A mono 32-bit PCM WAV file of float ``samples`` in -1..1, which ``read_wav`` (and the
    apps' WAV readers) read back as the same float32 values to within 2^-31."""
    x = np.asarray(samples, dtype=np.float64) * 2.0**31
    pcm = np.clip(np.rint(x), -(2**31), 2**31 - 1).astype("<i4")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(4)
        w.setframerate(int(rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def sample_wav(session) -> bytes:
    """``sample.wav``: the first held-out recording as the desktop clipped it."""
    ds = session.dataset
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    return pcm32_wav(ds.waveforms[sample_i], int(ds.sample_rate))


def audio_expected(expected: dict, labels: list[str], row: dict) -> dict:
    """The task page's ``expected.json`` plus what the classifier self-test reads: ``logits``,
    ``top1_index``, ``top1`` and the variant's ``tolerance``."""
    from deploy_studio.core.templates.tolerance import selftest_tolerance

    out = expected["outputs"][expected.get("task_output", 0)]
    logits = [float(v) for v in out["data"]]
    top1 = int(np.argmax(logits))
    return {
        **expected,
        "kind": "audio",
        "logits": logits,
        "top1_index": top1,
        "top1": labels[top1] if top1 < len(labels) else str(top1),
        "tolerance": selftest_tolerance(row, logits),
    }
