"""The Web page of an audio classifier (issue 11, point 1, audio).

A real recipe (TinyAudio on WAV files the test writes, ``audiofolder:DIR``) exports the web
template; the page's audio preprocessing (``audio.js`` with the generated ``audio_spec.js``)
computes ``core/data/audio.py``'s features in node on the bundled sample and on raw WAV files
(other rates, stereo, 8- and 32-bit PCM, other specs), and the page, served and opened in
headless Chromium, passes its self-test on the bundled sample and classifies a chosen WAV file
as the desktop's model does.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from deploy_studio.core.data.audio import AudioSpec, features
from deploy_studio.core.data.audiofolder import clip, read_wav
from deploy_studio.core.engine import run_recipe
from deploy_studio.core.templates.web_audio import audio_spec_js
from tests.e2e import templates_support as ts
from tests.e2e.test_templates_web import DRIVER, _open_in_chromium
from tests.support.audio import AUDIO, TINY_AUDIO, tone_folder
from tests.support.audio import write_wav as _write_wav
from tests.support.recipes import recipe, variant

NODE_FEATURES = DRIVER.parent / "audio_features.mjs"


@pytest.fixture(scope="module")
def audio_app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audio")
    tone_folder(tmp, 12)
    model = TINY_AUDIO
    r = recipe(
        model,
        [variant("o", "onnx")],
        name="audio",
        data={"source": f"audiofolder:{tmp / 'wavs'}", "calibration_samples": 8, "eval_samples": 8},
        benchmark={"warmup": 1, "runs": 2},
        preprocess={"audio": AUDIO},
        export={"templates": ["web"], "app_name": "Tone app"},
    )
    report = run_recipe(r, tmp / "out", isolate=False)
    (app,) = report["templates"]
    assert app.get("error") is None, app
    return tmp / "out" / app["path"]


def _node_features(tmp, audio_js, spec_js, wavs: list) -> dict:
    shutil.copy(audio_js, tmp / "audio.mjs")  # .mjs: node reads them as ES modules
    shutil.copy(spec_js, tmp / "audio_spec.mjs")
    cmd = ["node", NODE_FEATURES, tmp / "audio.mjs", tmp / "audio_spec.mjs", *wavs]
    proc = ts.run(cmd, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _assert_close(got, want) -> None:
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64).reshape(-1)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(want).max()) * 0.1)


def test_generated_js_features_equal_the_desktops(audio_app, tmp_path):
    project = audio_app
    spec = AudioSpec.from_dict(AUDIO)
    sample = json.loads((project / "assets" / "sample_inputs.json").read_text("utf-8"))
    x, rate = read_wav(project / "assets" / "sample.wav")
    assert rate == 8000 and x.shape == (1, spec.length) and x.dtype == np.float32
    raw = []
    for i, (rate, channels, width) in enumerate([(16000, 2, 2), (11025, 1, 1), (22050, 3, 4)]):
        raw.append(tmp_path / f"raw{i}.wav")
        _write_wav(raw[-1], 440.0 * (i + 1), rate, channels, 10 + i, width)
    got = _node_features(
        tmp_path,
        project / "audio.js",
        project / "audio_spec.js",
        [project / "assets" / "sample.wav", *raw],
    )
    assert got["spec"]["length"] == 4000 and got["spec"]["logMel"]["fmax"] == 4000
    # the bundled sample: the desktop's features of it, and the model input the desktop ran
    _assert_close(got["out"][0]["features"], features(x, spec))
    _assert_close(got["out"][0]["features"], sample["inputs"][0]["data"])
    for path, out in zip(raw, got["out"][1:], strict=True):  # resampled, mixed, cut / padded
        _assert_close(out["features"], features(clip(path, spec), spec))

    # other specs: a non-power-of-two FFT, fmin / fmax, a waveform model, stereo kept
    others = [
        AudioSpec(
            16000,
            0.3,
            log_mel={"n_mels": 32, "n_fft": 400, "hop": 160, "fmin": 50.0, "fmax": 7000.0},
        ),
        AudioSpec(8000, None, samples=3001),
        AudioSpec(12000, 0.25, mono=False, log_mel={"n_mels": 16, "n_fft": 300, "hop": 100}),
    ]
    for k, other in enumerate(others):
        spec_js = tmp_path / f"spec{k}.js"
        spec_js.write_text(audio_spec_js(other, "test"), encoding="utf-8")
        wavs = raw[:1] if not other.mono else raw
        got = _node_features(tmp_path, project / "audio.js", spec_js, wavs)
        for path, out in zip(wavs, got["out"], strict=True):
            _assert_close(out["features"], features(clip(path, other), other))


def test_web_audio_page_passes_its_self_test_in_chromium(audio_app, tmp_path):
    import onnxruntime as ort

    project = audio_app
    expected = json.loads((project / "assets" / "expected.json").read_text("utf-8"))
    assert expected["kind"] == "audio" and len(expected["logits"]) == 2
    assert (project / "audio_spec.js").is_file() and (project / "audio.js").is_file()
    chosen = tmp_path / "chosen.wav"  # another rate, stereo: resampled and mixed by the page
    _write_wav(chosen, 2600.0, 16000, 2, 99)
    page = _open_in_chromium(project, tmp_path / "page.png", chosen)
    result = page["result"]
    assert page["consoleErrors"] == []
    assert "error" not in result, result
    assert result["kind"] == "audio" and result["selftest"] == "passed", result
    assert result["top1_index"] == expected["top1_index"]
    assert result["max_diff"] <= result["tolerance"]["bound"]
    assert result["features_max_diff"] <= 1e-4 * max(1.0, result["features_max_abs"])
    assert page["top3"][0] == expected["top1"]

    spec = AudioSpec.from_dict(AUDIO)
    session = ort.InferenceSession(str(project / "model" / "model.onnx"))
    feed = features(clip(chosen, spec), spec).reshape(1, 1, 20, 51)
    want = session.run(None, {session.get_inputs()[0].name: feed})[0][0]
    got = page["chosen"]["result"]
    assert page["chosen"]["status"].startswith("Prediction"), page["chosen"]
    assert got["channels"] == 2 and got["rate"] == 16000
    assert got["top1_index"] == int(np.argmax(want))
    np.testing.assert_allclose(got["logits"], want, atol=1e-3)
