"""``audiofolder:DIR``: WAV recordings, one sub-folder per class (``DIR/<class>/*.wav``).

Each file is read with the standard library's ``wave`` (PCM 8, 16 or 32 bit), then turned
into the model's input by the spec's ``audio`` part (:mod:`deploy_studio.core.data.audio`:
mono, resampled, cut or padded, optionally log-mel). The features are reshaped to the model's
one float input: its sample shape, without its size-1 axes, must be the features' shape
without theirs (``[1, 16000]``, ``[1, 1, 16000]`` for a 16000-sample waveform;
``[1, 1, 40, 101]`` for 40 mels of 101 frames). The dataset is an array dataset that also
keeps the raw waveforms (``waveforms``, ``sample_rate``) for display.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from deploy_studio.core.data.audio import AudioSpec, features, fit_length, resample
from deploy_studio.core.errors import DataError

WAV_SUFFIXES = {".wav", ".wave"}


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """(float32 ``[channels, frames]`` in -1..1, sample rate) of a PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError) as e:
        raise DataError(
            f"{path} is not a readable PCM WAV file ({e})",
            "convert it to 8-, 16- or 32-bit PCM WAV (e.g. ffmpeg -i IN -acodec pcm_s16le OUT.wav)",
        ) from None
    if width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width in (2, 4):
        dtype = np.dtype("<i2" if width == 2 else "<i4")
        x = np.frombuffer(raw, dtype=dtype).astype(np.float32) / float(2 ** (8 * width - 1))
    else:
        raise DataError(
            f"{path} holds {8 * width}-bit samples: only 8-, 16- and 32-bit PCM WAV is read",
            "convert it to 16-bit PCM (e.g. ffmpeg -i IN -acodec pcm_s16le OUT.wav)",
        )
    frames = len(x) // channels
    return x[: frames * channels].reshape(frames, channels).T.copy(), rate


def clip(path: Path, spec: AudioSpec) -> np.ndarray:
    """One file as float32 ``[C, spec.length]`` at ``spec.sample_rate``."""
    x, rate = read_wav(path)
    if spec.mono and x.shape[0] > 1:
        x = x.mean(axis=0, keepdims=True)
    return fit_length(resample(x, rate, spec.sample_rate), spec.length)


def target_shape(spec: AudioSpec, signature, channels: int) -> tuple[str, list[int]]:
    """(input name, per-sample shape) the features are reshaped to (see the module docstring)."""
    natural = spec.feature_shape(channels)
    if signature is None:
        return "input", natural
    floats = [i for i in signature.inputs if i.is_float]
    if len(signature.inputs) != 1 or not floats:
        raise DataError(
            f"audiofolder data feeds one float input; the model takes {signature.describe_inputs()}",
            "use npz:FILE with one array per input",
        )
    inp = floats[0]
    want = [int(d) for d in inp.shape[1:]]
    if [d for d in want if d != 1] == [d for d in natural if d != 1]:
        return inp.name, want
    raise DataError(
        f"the audio spec gives features of shape {natural} ({spec.describe()}), but input "
        f"{inp.describe()} takes samples of shape {want}",
        _fitting(spec, want, channels),
    )


def _fitting(spec: AudioSpec, want: list[int], channels: int) -> str:
    """Which [preprocess] audio values would give features of shape ``want``."""
    dims = [d for d in want if d != 1]
    if channels > 1 and dims and dims[0] == channels:
        dims = dims[1:]
    sr = spec.sample_rate
    if len(dims) == 1:
        return (
            f"set [preprocess] audio = {{ samples = {dims[0]} }} (= {dims[0] / sr:g} s at {sr} Hz), "
            "log_mel = false"
        )
    if len(dims) == 2:
        hop = int((spec.log_mel or {}).get("hop", 160))
        n_mels, frames = dims
        return (
            f"set [preprocess] audio = {{ log_mel = {{ n_mels = {n_mels}, hop = {hop} }}, "
            f"samples = {(frames - 1) * hop} }} ({frames} frames of hop {hop}); if the model "
            "takes [frames, n_mels], transpose it in the model"
        )
    return "the model's input must be a waveform [1, samples] or log-mel [1, 1, n_mels, frames]"


def load_audiofolder(folder: Path, preprocess, signature=None, limit: int | None = None):
    """The WAV files of ``folder``'s class sub-folders as an array dataset (module docstring)."""
    from deploy_studio.core.data.dataset import Dataset

    if not folder.is_dir():
        raise DataError(
            f"audio folder {folder} does not exist",
            "pass audiofolder:DIR with one sub-folder of .wav files per class",
        )
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = [
        (f, ci)
        for ci, c in enumerate(classes)
        for f in sorted((folder / c).iterdir())
        if f.is_file() and f.suffix.lower() in WAV_SUFFIXES
    ]
    if not files:
        raise DataError(
            f"no .wav files found in the class sub-folders of {folder}",
            "lay it out as DIR/<class name>/<recording>.wav",
        )
    if limit:
        step = max(1, len(files) // limit)
        files = files[::step][:limit]
    notes: list[str] = []
    spec = preprocess.audio
    if spec is None:
        spec = AudioSpec()
        notes.append(
            f"no [preprocess] audio given: using {spec.describe()} (set audio = {{ sample_rate "
            "= ..., seconds = ..., log_mel = {{ n_mels = ... }} }} to match the model's training)"
        )
    clips = [clip(f, spec) for f, _ in files]
    counts = sorted({c.shape[0] for c in clips})
    if len(counts) > 1:
        raise DataError(
            f"the recordings in {folder} have different channel counts ({counts}) and "
            "[preprocess] audio mono = false keeps them",
            "set mono = true (mix to one channel) or convert the files to one channel count",
        )
    name, shape = target_shape(spec, signature, counts[0])
    feats = np.stack([features(c, spec) for c in clips]).reshape(len(clips), *shape)
    waves = np.stack([c.mean(axis=0) for c in clips]).astype(np.float32)
    empty = [c for ci, c in enumerate(classes) if not any(k == ci for _f, k in files)]
    warnings = (
        [f"{len(empty)} class folder(s) hold no .wav files: {', '.join(empty[:5])}"]
        if empty
        else []
    )
    notes.insert(
        0,
        f"{len(clips)} recordings in {len(classes)} classes ({spec.describe()}, resampled by "
        "linear interpolation)",
    )
    return Dataset(
        name=f"audiofolder:{folder}",
        images=np.zeros((len(clips), 0, 0, 1), dtype=np.uint8),
        labels=np.asarray([ci for _f, ci in files], dtype=np.int64),
        classes=classes,
        preprocess=preprocess.with_overrides({"audio": spec.to_dict()}),
        notes=notes,
        warnings=warnings,
        arrays={name: np.ascontiguousarray(feats, dtype=np.float32)},
        waveforms=waves,
        sample_rate=spec.sample_rate,
    )
