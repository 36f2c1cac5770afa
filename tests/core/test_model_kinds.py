"""Audio and tabular models from their own files, end to end: WAV files and a CSV the test
writes, read by ``audiofolder:DIR`` (mono, resampled, fixed length, log-mel: one spec) and
``tabular:FILE.csv`` (a label column, standardised features), each artifact run in its own
runtime (pte, onnx, ptl; fp32 and int8), and the spec the apps will use in the report."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from deploy_studio.core.engine import run_recipe
from tests.conftest import run_cli
from tests.support.models import MODELS_PY
from tests.support.recipes import recipe, variant

INT8 = {"kind": "quantize", "mode": "int8-static"}
FAST = {"warmup": 1, "runs": 2}
VARIANTS = [
    variant("p", "pte"),
    variant("o", "onnx"),
    variant("l", "ptl", convert="trace"),
    variant("o8", "onnx", INT8),
]


def _write_wav(path, tone_hz: float, rate: int, stereo: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * 0.4)) / rate  # 0.4 s: padded to the spec's 0.5 s
    x = 0.5 * np.sin(2 * np.pi * tone_hz * t) + 0.05 * rng.standard_normal(t.size)
    pcm = (np.clip(x, -1, 1) * 32767).astype("<i2")
    if stereo:
        pcm = np.stack([pcm, pcm], 1).reshape(-1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2 if stereo else 1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def _rows(report) -> dict:
    rows = {v["name"]: v for v in report["variants"]}
    assert all(v["error"] is None for v in rows.values()), {k: v["error"] for k, v in rows.items()}
    return rows


def test_an_audio_model_runs_on_wav_files_through_one_preprocessing_spec(tmp_path):
    for label, hz in (("low", 300.0), ("high", 2500.0)):
        (tmp_path / "wavs" / label).mkdir(parents=True)
        for i in range(12):  # mixed rates and channel counts: resampled and mixed to mono
            rate = 16000 if i % 2 else 8000
            _write_wav(
                tmp_path / "wavs" / label / f"{i}.wav", hz * (1 + i / 100), rate, i % 3 == 0, i
            )
    model = {
        "source": f"{MODELS_PY}:TinyAudio",
        "inputs": [{"name": "mel", "shape": [1, 1, 20, 51]}],
    }
    audio = {
        "sample_rate": 8000,
        "seconds": 0.5,
        "log_mel": {"n_mels": 20, "n_fft": 256, "hop": 80},
    }
    r = recipe(
        model,
        VARIANTS,
        name="audio",
        data={
            "source": f"audiofolder:{tmp_path / 'wavs'}",
            "calibration_samples": 12,
            "eval_samples": 12,
        },
        benchmark=FAST,
        preprocess={"audio": audio},
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    assert report["preprocess"]["audio"]["sample_rate"] == 8000
    assert report["preprocess"]["audio"]["log_mel"]["n_mels"] == 20
    assert report["dataset"]["labelled"] and report["model"]["task"]["name"] == "classification"
    for name, row in _rows(report).items():
        assert row["accuracy"]["top1"] is not None
        floor = 0.9 if name.endswith("8") else 0.999
        assert row["parity"]["top1_agreement"] >= floor, (name, row["parity"])
    spec = (tmp_path / "out" / "report.json").read_text()
    assert '"log_mel"' in spec


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_a_tabular_model_runs_on_a_csv_with_standardised_features(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(50.0, 10.0, (60, 20))
    y = (x[:, 0] > 50).astype(int) + 2 * (x[:, 1] > 50)
    lines = [",".join([f"f{i}" for i in range(20)] + ["target"])]
    lines += [",".join([f"{v:.4f}" for v in row] + [f"c{c}"]) for row, c in zip(x, y, strict=True)]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    model = {"source": f"{MODELS_PY}:Tabular", "inputs": [{"name": "x", "shape": [1, 20]}]}
    r = recipe(
        model,
        VARIANTS,
        name="tab",
        data={
            "source": f"tabular:{tmp_path / 't.csv'}",
            "calibration_samples": 20,
            "eval_samples": 20,
        },
        benchmark=FAST,
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    tab = report["preprocess"]["tabular"]
    assert tab["label"] == "target" and len(tab["mean"]) == 20
    assert abs(tab["mean"][0] - x[:, 0].mean()) < 1e-3
    for name, row in _rows(report).items():
        assert row["accuracy"]["top1"] is not None
        assert row["parity"]["snr_db"] > (12 if name.endswith("8") else 60), (name, row["parity"])
    out = run_cli("inspect", f"{MODELS_PY}:Tabular", "--input", "x:1x20")
    assert out.returncode == 0 and "input shape  [1, 20]" in out.stdout


def test_int8_of_a_recurrent_model_says_which_layers_stay_float(tmp_path):
    tokens = {"name": "tokens", "shape": [1, 6], "dtype": "int64"}
    r = recipe(
        {"source": f"{MODELS_PY}:TokenGRU", "inputs": [tokens]},
        [variant("o8", "onnx", {"kind": "quantize", "mode": "int8-dynamic"})],
        name="gru",
        data={"source": "random", "calibration_samples": 8, "eval_samples": 8},
        benchmark=FAST,
    )
    (row,) = _rows(run_recipe(r, tmp_path, isolate=False)).values()
    note = next(n for n in row["notes"] if "stay float" in n)
    assert (
        note.startswith("emb (Embedding), gru (GRU) stay float") and "% of the parameters" in note
    )
