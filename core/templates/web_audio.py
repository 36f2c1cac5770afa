"""The Web page of an audio classifier (issue 11): what it ships beside the task page's files.

The page (``mobile-templates/web/audio_page.js``) turns a WAV file or a recording into the
model's input with ``audio.js``, a fixed JavaScript module that repeats
:mod:`deploy_studio.core.data.audio` step by step; the spec's constants are generated into
``audio_spec.js`` here. The bundled sample is the first held-out recording as the desktop
clipped it (mono, resampled, cut or padded), written as 32-bit PCM (``assets/sample.wav``), so
the page and the desktop's ``audiofolder`` read the samples the desktop computed features from;
``expected.json`` carries the desktop's logits on it and the self-test's tolerance.
"""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import numpy as np

from deploy_studio.core.data.audio import AudioSpec

SPEC_FILE = "audio_spec.js"
SAMPLE_WAV = "sample.wav"


def web_audio_refusal(session) -> str | None:
    """Why the Web page cannot serve this audio model, or None."""
    sig = session.model.signature
    ds = session.dataset
    if len(sig.inputs) != 1 or sig.inputs[0].dtype not in ("float32", "float64"):
        return (
            f"the web app feeds an audio model one float input; this model takes "
            f"{sig.describe_inputs()} (try: ship the artifacts from artifacts/ and call them from "
            "your own page)"
        )
    spec = session.preprocess.audio
    channels = int(np.prod(sig.inputs[0].shape)) // max(1, int(np.prod(spec.feature_shape(1))))
    if getattr(ds, "waveforms", None) is None or channels != 1:
        return (
            "the web app serves mono audio models read from audiofolder:DIR (try: set "
            "[preprocess] audio mono = true, or ship the artifacts and call them yourself)"
        )
    return None


def audio_spec_js(spec: AudioSpec, generator: str) -> str:
    """``audio_spec.js``: the spec's constants, resolved (length, fmax) as the desktop uses them."""
    mel = spec.log_mel
    constants = {
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
    return (
        f"// Generated from preprocess.json's audio spec by {generator}. Re-export to change it.\n"
        f"// {spec.describe()}: audio.js computes core/data/audio.py's features with these.\n"
        f"export const AUDIO = Object.freeze({json.dumps(constants, indent=2)});\n"
    )


def pcm32_wav(samples: np.ndarray, rate: int) -> bytes:
    """A mono 32-bit PCM WAV file of float ``samples`` in -1..1, which ``read_wav`` (and the
    page's ``readWav``) read back as the same float32 values to within 2^-31."""
    x = np.asarray(samples, dtype=np.float64) * 2.0**31
    pcm = np.clip(np.rint(x), -(2**31), 2**31 - 1).astype("<i4")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(4)
        w.setframerate(int(rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


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


def write_audio_files(project: Path, session, generator: str) -> None:
    """Write ``audio_spec.js`` and ``assets/sample.wav`` (the first held-out recording)."""
    spec = session.preprocess.audio
    ds = session.dataset
    sample_i = int(session.eval_idx[0]) if len(session.eval_idx) else 0
    (project / SPEC_FILE).write_text(audio_spec_js(spec, generator), encoding="utf-8")
    (project / "assets" / SAMPLE_WAV).write_bytes(
        pcm32_wav(ds.waveforms[sample_i], int(ds.sample_rate))
    )
