"""Audio test data: tone recordings as WAV files, the spec and the tiny model they feed."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tests.support.models import MODELS_PY

AUDIO = {"sample_rate": 8000, "seconds": 0.5, "log_mel": {"n_mels": 20, "n_fft": 256, "hop": 80}}
"""``[preprocess] audio`` of the tests: 0.5 s at 8 kHz, 20 log-mel bands (51 frames)."""

TINY_AUDIO = {
    "source": f"{MODELS_PY}:TinyAudio",
    "inputs": [{"name": "mel", "shape": [1, 1, 20, 51]}],
}
"""``[model]`` of TinyAudio, fed :data:`AUDIO`'s features."""


def write_wav(path, tone_hz: float, rate: int, channels: int, seed: int, width: int = 2) -> None:
    """0.4 s of a noisy tone (padded to the spec's 0.5 s), ``width`` bytes per sample
    (1: unsigned 8-bit), each channel quieter than the next."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * 0.4)) / rate
    x = np.clip(0.5 * np.sin(2 * np.pi * tone_hz * t) + 0.05 * rng.standard_normal(t.size), -1, 1)
    x = np.stack([x * (0.5 + c / 2) for c in range(channels)], 1).reshape(-1)
    if width == 1:
        pcm = (x * 127 + 128).astype(np.uint8).tobytes()
    else:
        dtype = "<i2" if width == 2 else "<i4"
        pcm = (x * (2 ** (8 * width - 1) - 1)).astype(dtype).tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm)


def tone_folder(root: Path, per_class: int, labels=("high", "low")) -> Path:
    """``root/wavs/<label>/<i>.wav``: a high (2500 Hz) and a low (300 Hz) class, mixed rates
    (8 / 16 kHz) and channel counts (resampled and mixed to mono by the desktop)."""
    for label, hz in zip(labels, (2500.0, 300.0), strict=True):
        (root / "wavs" / label).mkdir(parents=True)
        for i in range(per_class):
            rate = 16000 if i % 2 else 8000
            write_wav(
                root / "wavs" / label / f"{i}.wav", hz * (1 + i / 100), rate, 1 + (i % 3 == 0), i
            )
    return root / "wavs"
