"""The audio part of the preprocessing spec, and the signal maths it names.

A sound becomes a model input in fixed, simple steps every language can repeat:

1. the PCM samples (8-bit unsigned, 16- or 32-bit signed) as floats in -1..1;
2. mixed to mono (the mean of the channels) unless ``mono = false``;
3. resampled to ``sample_rate`` by **linear interpolation** between neighbouring samples
   (no anti-alias filter: keep recordings at the model's rate when it matters);
4. cut, or zero-padded at the end, to ``samples`` (= ``round(seconds * sample_rate)``);
5. optionally log-mel features, computed as ``torchaudio.transforms.MelSpectrogram`` does by
   default: a centred STFT (reflect padding of ``n_fft // 2``), a periodic Hann window of
   ``n_fft``, the power spectrum, an HTK mel filterbank (no area normalisation) from ``fmin``
   to ``fmax``, then ``log(x + 1e-6)``: ``[n_mels, 1 + samples // hop]`` per channel.

The recipe sets it in ``[preprocess]``: ``audio = { sample_rate = 16000, seconds = 1.0,
log_mel = { n_mels = 40 } }`` (:meth:`AudioSpec.parse`); unset keys keep their defaults.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from deploy_studio.core.errors import DataError, RecipeError

LOG_MEL_DEFAULTS = {"n_mels": 40, "n_fft": 400, "hop": 160, "fmin": 0.0, "fmax": None}
"""``log_mel`` keys and their defaults (``fmax`` None: half the sample rate)."""
LOG_EPS = 1e-6
AUDIO_KEYS = ("sample_rate", "seconds", "samples", "mono", "log_mel")


@dataclass
class AudioSpec:
    """How a recording becomes a model input (see the module docstring).

    Attributes
    ----------
    sample_rate: Hz the model expects.
    seconds: clip length in seconds (used when ``samples`` is None).
    samples: clip length in samples (wins over ``seconds``).
    mono: mix the channels to one (False: keep them; every file needs the same count).
    log_mel: None for the waveform itself, else ``{n_mels, n_fft, hop, fmin, fmax}``.
    """

    sample_rate: int = 16000
    seconds: float | None = 1.0
    samples: int | None = None
    mono: bool = True
    log_mel: dict | None = None

    def __post_init__(self) -> None:
        if self.log_mel is False:
            self.log_mel = None
        if self.log_mel is not None:
            self.log_mel = {**LOG_MEL_DEFAULTS, **self.log_mel}
        if self.sample_rate <= 0 or self.length <= 0:
            raise DataError(f"audio needs a positive sample rate and length, got {self.describe()}")
        if self.log_mel is not None:
            m = self.log_mel
            fmax = m["fmax"] if m["fmax"] is not None else self.sample_rate / 2
            if m["n_fft"] > self.length or not 0 <= m["fmin"] < fmax <= self.sample_rate / 2:
                raise DataError(
                    f"log_mel {m} does not fit {self.length} samples at {self.sample_rate} Hz",
                    "n_fft at most the clip length; 0 <= fmin < fmax <= sample_rate / 2",
                )

    @property
    def length(self) -> int:
        """Samples per clip."""
        if self.samples is not None:
            return int(self.samples)
        return round(float(self.seconds or 0) * self.sample_rate)

    def frames(self) -> int:
        """Log-mel frames per clip (centred STFT)."""
        return 1 + self.length // int(self.log_mel["hop"]) if self.log_mel else 0

    def feature_shape(self, channels: int = 1) -> list[int]:
        """One sample's natural feature shape: ``[C, samples]`` or ``[C, n_mels, frames]``."""
        if self.log_mel:
            return [channels, int(self.log_mel["n_mels"]), self.frames()]
        return [channels, self.length]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict | AudioSpec) -> AudioSpec:
        if isinstance(d, AudioSpec):
            return d
        return cls(**{k: d[k] for k in AUDIO_KEYS if k in d})

    def describe(self) -> str:
        mel = self.log_mel
        what = (
            f"log-mel {mel['n_mels']} x {self.frames()} (n_fft {mel['n_fft']}, hop {mel['hop']})"
            if mel
            else "waveform"
        )
        return (
            f"audio {self.sample_rate} Hz, {self.length} samples"
            f"{', mono' if self.mono else ''}, {what}"
        )

    @staticmethod
    def parse(table: Any, where: str = "[preprocess].audio") -> dict:
        """Validate a recipe's ``audio`` table; returns the keys it sets (plain TOML values)."""
        if not isinstance(table, dict):
            raise RecipeError(
                f"{where} must be a table", "e.g. audio = { sample_rate = 16000, seconds = 1.0 }"
            )
        out: dict[str, Any] = {}
        for key, value in table.items():
            if key not in AUDIO_KEYS:
                raise RecipeError(
                    f"unknown key {key!r} in {where}", f"allowed: {', '.join(AUDIO_KEYS)}"
                )
            if key in ("sample_rate", "samples"):
                out[key] = _positive(value, f"{where}.{key}", integer=True)
            elif key == "seconds":
                out[key] = _positive(value, f"{where}.{key}")
            elif key == "mono":
                if not isinstance(value, bool):
                    raise RecipeError(f"{where}.mono must be true or false, got {value!r}")
                out[key] = value
            elif value is False:
                out[key] = False  # log_mel = false: the waveform itself
            elif not isinstance(value, dict):
                raise RecipeError(
                    f"{where}.log_mel must be a table or false, got {value!r}",
                    "e.g. log_mel = { n_mels = 40, n_fft = 400, hop = 160 }",
                )
            else:
                mel = {}
                for k, v in value.items():
                    if k not in LOG_MEL_DEFAULTS:
                        raise RecipeError(
                            f"unknown key {k!r} in {where}.log_mel",
                            f"allowed: {', '.join(LOG_MEL_DEFAULTS)}",
                        )
                    integer = k in ("n_mels", "n_fft", "hop")
                    mel[k] = _positive(v, f"{where}.log_mel.{k}", integer, zero=k == "fmin")
                out[key] = mel
        try:
            AudioSpec.from_dict(out)
        except DataError as e:
            raise RecipeError(f"{where}: {e.message}", e.hint) from None
        return out


def _positive(value: Any, where: str, integer: bool = False, zero: bool = False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if integer:
        ok = ok and float(value).is_integer()
    if not ok or value < 0 or (value == 0 and not zero):
        raise RecipeError(
            f"{where} must be a positive {'whole ' if integer else ''}number, got {value!r}"
        )
    return int(value) if integer else float(value)


# --- the signal maths ------------------------------------------------------------------------
def resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``x`` (float ``[C, T]``) from ``rate`` to ``target`` Hz by linear interpolation."""
    if rate == target or x.shape[-1] == 0:
        return x.astype(np.float32)
    n = max(1, round(x.shape[-1] * target / rate))
    t = np.arange(n, dtype=np.float64) * (rate / target)
    src = np.arange(x.shape[-1], dtype=np.float64)
    return np.stack([np.interp(t, src, ch) for ch in x]).astype(np.float32)


def fit_length(x: np.ndarray, length: int) -> np.ndarray:
    """``x`` (``[C, T]``) cut to, or zero-padded at the end to, ``length`` samples."""
    if x.shape[-1] >= length:
        return x[:, :length]
    return np.pad(x, ((0, 0), (0, length - x.shape[-1])))


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None):
    """HTK mel filterbank ``[n_fft // 2 + 1, n_mels]`` (torchaudio's ``melscale_fbanks``)."""
    fmax = sample_rate / 2 if fmax is None else fmax
    freqs = np.linspace(0, sample_rate // 2, n_fft // 2 + 1)
    f_pts = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    f_diff = np.diff(f_pts)
    slopes = f_pts[None, :] - freqs[:, None]
    down = -slopes[:, :-2] / f_diff[:-1]
    up = slopes[:, 2:] / f_diff[1:]
    return np.maximum(0.0, np.minimum(down, up))


def log_mel(x: np.ndarray, spec: AudioSpec) -> np.ndarray:
    """float ``[C, T]`` -> log-mel ``[C, n_mels, 1 + T // hop]`` (see the module docstring)."""
    m = spec.log_mel
    assert m is not None, "log_mel() needs a spec with log_mel"
    n_fft, hop = int(m["n_fft"]), int(m["hop"])
    pad = n_fft // 2
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad)), mode="reflect")
    frames = 1 + (xp.shape[-1] - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    power = np.abs(np.fft.rfft(xp[:, idx] * window, axis=-1)) ** 2  # [C, frames, bins]
    fb = mel_filterbank(spec.sample_rate, n_fft, int(m["n_mels"]), float(m["fmin"]), m["fmax"])
    mel = power @ fb  # [C, frames, n_mels]
    return np.log(mel + LOG_EPS).transpose(0, 2, 1).astype(np.float32)


def features(x: np.ndarray, spec: AudioSpec) -> np.ndarray:
    """A clip already at ``spec``'s rate and length (``[C, samples]``) as its model features."""
    return log_mel(x, spec) if spec.log_mel else x.astype(np.float32)
