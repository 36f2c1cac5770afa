"""The Android app of an audio classifier (issue 11, Android audio).

A real recipe (TinyAudio on WAV files the test writes, ``audiofolder:DIR``, hostile app name
and class names) exports the Android app for ExecuTorch, ONNX Runtime and PyTorch lite. aapt
compiles each project's resources (RECORD_AUDIO declared: audio apps only), one kotlinc run
type-checks the three projects' Kotlin against the stubs, and a JVM run of the generated
``AudioFeatures.kt`` (with the generated ``AudioSpec.kt``, and other specs) computes
``core/data/audio.py``'s features within 1e-4 on WAV files of every sample format it reads
(8-, 16-, 24-, 32-bit PCM, 32-bit float, stereo, other rates) and on the bundled sample.wav,
whose features are the input the desktop ran. Recording and the screen run on a device only.
"""

from __future__ import annotations

import json
import os
import re
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.data.audio import AudioSpec, features, fit_length, resample
from deploy_studio.core.data.audiofolder import clip, read_wav
from tests.e2e import templates_support as ts
from tests.e2e.test_templates_android import (
    KOTLIN_STDLIB,
    KOTLINC,
    STUBS,
    _aapt,
    _package,
    assert_stubs_reject,
    with_package_suffix,
)
from tests.support.audio import AUDIO, TINY_AUDIO, tone_folder
from tests.support.audio import write_wav as _write_wav

RUNTIMES = {"executorch": "pte", "onnxruntime": "onnx", "pytorch-lite": "ptl"}
LABELS = ('high "pitch" ${x}', "low \\ 100%% Zähler")  # folder names: the class labels
KOTLINC_ENV = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}

HARNESS = """\
package harness.audio

import {package}.*
import java.io.File

// args: [spec file, output file]; spec: "generated" or "rate length mono logMel nMels nFft
// hop fmin fmax"; then one WAV path a line. Out: a line of float bits per file (or "error: ...").
fun main(args: Array<String>) {{
    val lines = File(args[0]).readLines(Charsets.UTF_8)
    val p = lines[0].trim().split(' ')
    val spec = if (p[0] == "generated") AudioSpec.PARAMS else AudioParams(
        p[0].toInt(), p[1].toInt(), p[2] == "1", p[3] == "1", p[4].toInt(), p[5].toInt(), p[6].toInt(),
        p[7].toDouble(), p[8].toDouble(),
    )
    val out = StringBuilder()
    if (p[0] == "generated") out.append(AudioSpec.ENABLED).append(' ').append(AppInfo.APP_NAME.length).append('\\n')
    for (path in lines.drop(1)) {{
        try {{
            val x = AudioFeatures.features(AudioFeatures.readWav(File(path).readBytes()), spec)
            out.append(x.joinToString(" ") {{ java.lang.Float.floatToRawIntBits(it).toString() }})
        }} catch (e: WavFormatException) {{
            out.append("error: ").append(e.message!!.replace('\\n', ' '))
        }}
        out.append('\\n')
    }}
    File(args[1]).writeText(out.toString(), Charsets.UTF_8)
}}
"""


@pytest.fixture(scope="module")
def audio_apps(tmp_path_factory) -> dict[str, Path]:
    from deploy_studio.core.engine import run_recipe
    from tests.support.recipes import recipe, variant

    tmp = tmp_path_factory.mktemp("android-audio")
    tone_folder(tmp, 8, LABELS)
    model = TINY_AUDIO
    r = recipe(
        model,
        [
            variant(f"v-{fmt}", fmt, convert="trace" if fmt == "ptl" else None)
            for fmt in RUNTIMES.values()
        ],
        name="audio",
        data={"source": f"audiofolder:{tmp / 'wavs'}", "calibration_samples": 8, "eval_samples": 8},
        benchmark={"warmup": 1, "runs": 2},
        preprocess={"audio": AUDIO},
        export={
            "templates": [{"platform": "android", "runtime": rt} for rt in RUNTIMES],
            "app_name": ts.HOSTILE_APP_NAME,
        },
    )
    report = run_recipe(r, tmp / "out", isolate=False)
    apps = {}
    for app in report["templates"]:
        assert app.get("error") is None, app
        apps[app["runtime"]] = tmp / "out" / app["path"]
    assert sorted(apps) == sorted(RUNTIMES)
    return apps


@pytest.fixture(scope="module")
def compiled(audio_apps, tmp_path_factory):
    """aapt for every project, then ONE kotlinc run over their Kotlin + R + harness + stubs."""
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    ts.require_tool("java", "java (Debian package default-jre-headless)")
    work = tmp_path_factory.mktemp("android-audio-build")
    sources, aapt = [], {}
    for rt, project in audio_apps.items():
        copy = with_package_suffix(project, work / rt / "project", re.sub(r"\W", "_", rt))
        proc, gen, _apk = _aapt(copy, work / rt)
        aapt[rt] = proc
        sources += sorted(copy.rglob("*.kt")) + sorted(gen.rglob("R.java"))
        if rt == "executorch":
            harness = work / "Harness.kt"
            harness.write_text(HARNESS.format(package=_package(copy)), "utf-8")
            sources.append(harness)
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    classes = work / "classes"
    proc = ts.run(
        [KOTLINC, "-d", classes, "-jvm-target", "11", "-no-reflect", *sources, *stubs],
        timeout=900,
        env=KOTLINC_ENV,
    )
    return {"kotlinc": proc, "classes": classes, "aapt": aapt, "work": work}


def _jvm_features(compiled, name: str, spec_line: str, wavs: list) -> list:
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    work = compiled["work"]
    (work / f"{name}.in").write_text("\n".join([spec_line, *map(str, wavs)]) + "\n", "utf-8")
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    cmd = ["java", "-cp", cp, "harness.audio.HarnessKt", work / f"{name}.in", work / f"{name}.out"]
    proc = ts.run(cmd, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = []
    for line in (work / f"{name}.out").read_text("utf-8").splitlines():
        if line.startswith("error: ") or line.startswith(("true", "false")):
            out.append(line)
        else:
            bits = np.array([int(v) for v in line.split()], dtype=np.int64).astype(np.uint32)
            out.append(bits.view(np.float32))
    return out


def _spec_line(spec: AudioSpec) -> str:
    mel = spec.log_mel or {"n_mels": 0, "n_fft": 0, "hop": 0, "fmin": 0.0, "fmax": 0.0}
    fmax = mel["fmax"] if mel["fmax"] is not None else spec.sample_rate / 2
    return (
        f"{spec.sample_rate} {spec.length} {int(spec.mono)} {int(bool(spec.log_mel))} "
        f"{mel['n_mels']} {mel['n_fft']} {mel['hop']} {float(mel['fmin'])!r} {float(fmax)!r}"
    )


def _assert_close(got, want) -> None:
    want = np.asarray(want, np.float64).reshape(-1)
    assert np.asarray(got).shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * max(1.0, np.abs(want).max()))


def _write_raw_wav(path: Path, x: np.ndarray, rate: int, code: int, bits: int) -> None:
    """A WAV file written by hand (``wave`` writes PCM only): ``x`` is [frames, channels]."""
    data = x.astype("<f4" if bits == 32 else "<f8").tobytes() if code == 3 else x.tobytes()
    channels = x.shape[1]
    fmt = struct.pack(
        "<HHIIHH", code, channels, rate, rate * channels * bits // 8, channels * bits // 8, bits
    )
    riff = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    riff += b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(riff)) + riff)


def _desktop(x: np.ndarray, rate: int, spec: AudioSpec) -> np.ndarray:
    """core/data/audio.py's features of decoded float32 samples [channels, frames]."""
    if spec.mono and x.shape[0] > 1:
        x = x.mean(axis=0, keepdims=True)
    return features(fit_length(resample(x, rate, spec.sample_rate), spec.length), spec)


@pytest.fixture(scope="module")
def wav_files(tmp_path_factory) -> dict[str, tuple[Path, np.ndarray | None, int]]:
    """name -> (WAV file, its samples as the desktop decodes them or None: read_wav, rate)."""
    tmp = tmp_path_factory.mktemp("android-audio-wavs")
    out: dict = {}
    for name, rate, channels, width in [
        ("pcm16-stereo-16k", 16000, 2, 2),
        ("pcm8-11k", 11025, 1, 1),
        ("pcm32-3ch-22k", 22050, 3, 4),
        ("pcm16-8k", 8000, 1, 2),
    ]:
        _write_wav(tmp / f"{name}.wav", 440.0 * (1 + len(out)), rate, channels, len(out), width)
        out[name] = (tmp / f"{name}.wav", None, rate)
    rng = np.random.default_rng(7)
    t = np.arange(3600) / 12000
    tone = 0.6 * np.sin(2 * np.pi * 900 * t)[:, None] + 0.05 * rng.standard_normal((t.size, 2))
    # 24-bit PCM (the desktop's wave reader refuses it: decoded here as x / 2^23)
    pcm24 = np.clip(np.rint(tone * 2**23), -(2**23), 2**23 - 1).astype("<i4")
    raw24 = b"".join(int(v).to_bytes(3, "little", signed=True) for v in pcm24.reshape(-1))
    with wave.open(str(tmp / "pcm24-stereo-12k.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(3)
        w.setframerate(12000)
        w.writeframes(raw24)
    out["pcm24-stereo-12k"] = (
        tmp / "pcm24-stereo-12k.wav",
        (pcm24.astype(np.float32) / np.float32(2**23)).T.copy(),
        12000,
    )
    _write_raw_wav(tmp / "float32-6k.wav", tone.astype(np.float32), 6000, 3, 32)
    out["float32-6k"] = (tmp / "float32-6k.wav", tone.astype(np.float32).T.copy(), 6000)
    return out


@pytest.mark.slow
def test_audio_apps_are_rendered_with_the_spec_sample_and_permission(audio_apps):
    for rt, project in audio_apps.items():
        main = project / "app" / "src" / "main"
        expected = json.loads((main / "assets" / "expected.json").read_text("utf-8"))
        assert expected["kind"] == "audio" and len(expected["logits"]) == 2, rt
        labels = json.loads((main / "assets" / "labels.json").read_text("utf-8"))
        assert labels == sorted(LABELS)
        x, rate = read_wav(main / "assets" / "sample.wav")
        assert rate == 8000 and x.shape == (1, 4000)
        manifest = (main / "AndroidManifest.xml").read_text("utf-8")
        assert (
            manifest.count('<uses-permission android:name="android.permission.RECORD_AUDIO" />')
            == 1
        )
        spec = next(main.rglob("AudioSpec.kt")).read_text("utf-8")
        assert (
            "ENABLED: Boolean = true" in spec
            and "fmax = 4000.0," in spec
            and "length = 4000," in spec
        )
        info = next(main.rglob("AppInfo.kt")).read_text("utf-8")
        assert "longArrayOf(1L, 1L, 20L, 51L)" in info
        readme = (project / "README.md").read_text("utf-8")
        assert "Record" in readme and "RECORD_AUDIO" in readme


def test_image_apps_do_not_ask_for_the_microphone(tmp_path):
    from deploy_studio.core.templates import render_project

    bundle = ts.make_bundle(tmp_path / "data", "onnx", "Digit Reader", ts.DIGIT_LABELS)
    project = render_project("android", "onnxruntime", bundle, tmp_path / "app")
    main = project / "app" / "src" / "main"
    assert "RECORD_AUDIO" not in (main / "AndroidManifest.xml").read_text("utf-8")
    assert "ENABLED: Boolean = false" in next(main.rglob("AudioSpec.kt")).read_text("utf-8")
    assert not (main / "assets" / "sample.wav").exists()


@pytest.mark.slow
@pytest.mark.parametrize("runtime", list(RUNTIMES))
def test_audio_app_resources_compile_with_aapt(compiled, runtime):
    proc = compiled["aapt"][runtime]
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
def test_audio_app_kotlin_compiles_against_published_api_stubs(compiled):
    proc = compiled["kotlinc"]
    assert proc.returncode == 0, f"kotlinc failed:\n{proc.stderr[-6000:]}"
    assert len(list(compiled["classes"].rglob("AudioScreen.class"))) == 3


@pytest.mark.slow
def test_audio_features_on_jvm_equal_the_desktops(audio_apps, compiled, wav_files):
    main = audio_apps["executorch"] / "app" / "src" / "main"
    spec = AudioSpec.from_dict(AUDIO)
    sample = main / "assets" / "sample.wav"
    inputs = json.loads((main / "assets" / "sample_inputs.json").read_text("utf-8"))
    names = list(wav_files)
    paths = [sample] + [wav_files[n][0] for n in names]
    got = _jvm_features(compiled, "generated", "generated", paths)
    assert got[0] == f"true {len(ts.HOSTILE_APP_NAME)}"  # AudioSpec.ENABLED, the app name
    x, _rate = read_wav(sample)
    # the bundled sample: the desktop's features of it, and the input the desktop ran
    _assert_close(got[1], features(x, spec))
    _assert_close(got[1], inputs["inputs"][0]["data"])
    for name, out in zip(names, got[2:], strict=True):
        path, decoded, rate = wav_files[name]
        want = (
            features(clip(path, spec), spec) if decoded is None else _desktop(decoded, rate, spec)
        )
        _assert_close(out, want)

    # other specs: a non-power-of-two FFT, fmin / fmax, a waveform model, channels kept
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
        chosen = names if other.mono else ["pcm16-stereo-16k", "pcm24-stereo-12k"]
        got = _jvm_features(
            compiled, f"spec{k}", _spec_line(other), [wav_files[n][0] for n in chosen]
        )
        for name, out in zip(chosen, got, strict=True):
            path, decoded, rate = wav_files[name]
            if decoded is None:
                want = features(clip(path, other), other)
            else:
                want = _desktop(decoded, rate, other)
            _assert_close(out, want)


@pytest.mark.slow
def test_audio_features_on_jvm_explain_files_they_cannot_read(compiled, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio at all", "utf-8")
    mulaw = tmp_path / "mulaw.wav"
    _write_raw_wav(mulaw, np.zeros((10, 1), np.uint8), 8000, 7, 8)
    got = _jvm_features(compiled, "bad", _spec_line(AudioSpec.from_dict(AUDIO)), [text, mulaw])
    assert got[0].startswith("error: not a WAV file"), got[0]
    assert got[1].startswith("error: a 8-bit WAV file of format 7 (compressed)"), got[1]
    assert "pcm_s16le" in got[1]


# Kotlin that is wrong against the published APIs the audio app adds: each must FAIL to
# compile against the stubs; OK_SNIPPET (right) must compile in the same run.
NEGATIVE_SNIPPETS = {
    "audio_record_needs_a_buffer_size": (
        "import android.media.AudioRecord\nfun f(): AudioRecord = AudioRecord(1, 16000, 16, 2)\n",
        "No value passed for parameter",
    ),
    "audio_record_float_read_needs_a_mode": (
        "import android.media.AudioRecord\n"
        "fun f(r: AudioRecord, x: FloatArray): Int = r.read(x, 0, x.size)\n",
        "None of the following",
    ),
    "audio_source_is_not_instantiable": (
        "import android.media.MediaRecorder\nfun f(m: MediaRecorder) = m.AudioSource()\n",
        "private",
    ),
    "permission_names_are_strings": (
        "import android.Manifest\nval p: Int = Manifest.permission.RECORD_AUDIO\n",
        "mismatch",
    ),
    "check_self_permission_returns_an_int": (
        "import android.Manifest\nimport android.app.Activity\n"
        "fun f(a: Activity): Boolean = a.checkSelfPermission(Manifest.permission.RECORD_AUDIO)\n",
        "mismatch",
    ),
    "request_permission_result_is_a_boolean": (
        "import androidx.activity.ComponentActivity\n"
        "import androidx.activity.result.contract.ActivityResultContracts\n"
        "class D : ComponentActivity() {\n"
        "    val ask = registerForActivityResult(ActivityResultContracts.RequestPermission()) { _: Map<String, Boolean> -> }\n}\n",
        "mismatch",
    ),
    "request_permission_is_final": (
        "import androidx.activity.result.contract.ActivityResultContracts\n"
        "class E : ActivityResultContracts.RequestPermission()\n",
        "final",
    ),
}
OK_SNIPPET = """\
import android.Manifest
import android.content.pm.PackageManager
import android.media.AudioFormat
import android.media.AudioRecord
import android.media.MediaRecorder
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts

class Ok : ComponentActivity() {
    val ask = registerForActivityResult(ActivityResultContracts.RequestPermission()) { _: Boolean -> }
    fun go(): Int {
        if (checkSelfPermission(Manifest.permission.RECORD_AUDIO) != PackageManager.PERMISSION_GRANTED) {
            ask.launch(Manifest.permission.RECORD_AUDIO)
        }
        val n = AudioRecord.getMinBufferSize(16000, AudioFormat.CHANNEL_IN_MONO, AudioFormat.ENCODING_PCM_16BIT)
        val r = AudioRecord(MediaRecorder.AudioSource.MIC, 16000, AudioFormat.CHANNEL_IN_MONO, AudioFormat.ENCODING_PCM_16BIT, n)
        val pcm = ShortArray(n)
        return if (r.state == AudioRecord.STATE_INITIALIZED) r.read(pcm, 0, pcm.size) else -1
    }
}
"""


@pytest.mark.slow
def test_audio_stubs_reject_code_that_the_published_api_rejects(tmp_path):
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    assert_stubs_reject(NEGATIVE_SNIPPETS, OK_SNIPPET, tmp_path)
