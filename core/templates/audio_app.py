"""What every platform's audio app shares (issue 11): the spec's resolved constants, the
bundled recording and the classifier self-test's ``expected.json``.

An app turns a WAV file or a recording into the model's input with fixed code that repeats
:mod:`deploy_studio.core.data.audio` step by step (``audio.js`` on the Web, ``AudioFeatures.kt``
on Android); the spec's constants are generated from :func:`audio_constants`. The bundled
sample is the first held-out recording as the desktop clipped it (mono, resampled, cut or
padded), written as 32-bit PCM (``sample.wav``), so the app and the desktop's ``audiofolder``
read the samples the desktop computed features from; ``expected.json`` carries the desktop's
logits on it and the self-test's tolerance.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

from deploy_studio.core.data.audio import AudioSpec

SAMPLE_WAV = "sample.wav"


def mono_audio_refusal(session, app: str) -> str | None:
    """Why ``app`` (e.g. "the web app"), which feeds one float input computed from a mono
    recording, cannot serve this audio model, or None."""
    sig = session.model.signature
    ds = session.dataset
    if len(sig.inputs) != 1 or sig.inputs[0].dtype not in ("float32", "float64"):
        return (
            f"{app} feeds an audio model one float input; this model takes "
            f"{sig.describe_inputs()} (try: ship the artifacts from artifacts/ and call them from "
            "your own app)"
        )
    spec = session.preprocess.audio
    channels = int(np.prod(sig.inputs[0].shape)) // max(1, int(np.prod(spec.feature_shape(1))))
    if getattr(ds, "waveforms", None) is None or channels != 1:
        return (
            f"{app} serves mono audio models read from audiofolder:DIR (try: set "
            "[preprocess] audio mono = true, or ship the artifacts and call them yourself)"
        )
    return None


def audio_constants(spec: AudioSpec) -> dict:
    """The spec's constants resolved as the desktop uses them (``length``, ``fmax``):
    ``sampleRate``, ``length``, ``mono``, ``logMel`` (None for a waveform model, else
    ``nMels``, ``nFft``, ``hop``, ``fmin``, ``fmax``)."""
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


def write_sample_wav(folder: Path, session) -> Path:
    """``folder/sample.wav``: the first held-out recording as the desktop clipped it."""
    ds = session.dataset
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SAMPLE_WAV
    path.write_bytes(pcm32_wav(ds.waveforms[sample_i], int(ds.sample_rate)))
    return path


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
