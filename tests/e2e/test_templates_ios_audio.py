"""The iOS app of an audio classifier (issue 11, audio), rendered from real runs.

TinyAudio on WAV files the test writes (``audiofolder:DIR``, mixed rates and channel counts)
runs through ``core.engine.run_recipe`` with ``[export] templates`` = the iOS app on ExecuTorch
and on Core ML, named with the hostile app name and "Foundation" (a framework the app
imports). Each project's ``project.pbxproj`` references resolve (the audio Swift files in the
Sources phase, ``sample.wav`` in the Resources phase, the microphone usage description set),
every Swift file parses with tree-sitter-swift, and (slow) the chroot's swiftc type-checks the
files that import no UI framework (``AudioFeatures``, ``AudioSpec``, ``AudioRun`` included)
against the stubs of the published APIs. The generated ``AudioFeatures.swift`` with the app's
``AudioSpec.swift``, compiled and run in the chroot, computes the desktop's features
(``core/data/audio.py``) within 1e-4 on the bundled sample and on WAV files of other rates,
channel counts and sample formats (8-, 16-, 24-, 32-bit PCM, 32-bit float, odd chunks), and
for other specs (waveform, non-power-of-two FFT, fmin / fmax, stereo kept). The UI, the file
picker and the recorder (SwiftUI, UIKit, AVFoundation) are only parsed.
"""

from __future__ import annotations

import json
import re
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.data.audio import AudioSpec, features, fit_length, resample
from deploy_studio.core.data.audiofolder import clip, read_wav
from tests.e2e import templates_support as ts
from tests.e2e.test_swift_typecheck import IMPORT, swift
from tests.e2e.test_templates_ios import resolved_pbx_files, swift_parser
from tests.e2e.test_templates_web_audio import _assert_close
from tests.support.audio import AUDIO, TINY_AUDIO, tone_folder
from tests.support.audio import write_wav as _write_wav
from tests.support.recipes import recipe, variant

__all__ = ["swift", "swift_parser"]  # fixtures, used by name

NAMES = {"hostile": ts.HOSTILE_APP_NAME, "foundation": "Foundation"}
RUNTIMES = {"executorch": "pte", "coreml": "coreml"}
NOT_TYPECHECKED = {"SwiftUI", "UIKit", "AVFoundation"}  # no stubs: parse-only
NON_UI = {
    "AppInfo.swift",
    "SelfTest.swift",
    "Classifier.swift",
    "Preprocess.swift",
    "TaskSpec.swift",
    "Segmentation.swift",
    "Detection.swift",
    "SampleInputs.swift",
    "AudioFeatures.swift",
    "AudioSpec.swift",
    "AudioRun.swift",
}
AUDIO_SWIFT = {"AudioFeatures.swift", "AudioSpec.swift", "AudioRun.swift", "AudioRecorder.swift"}
HARNESS = Path(__file__).parent / "swift_audio_harness.swift"


@pytest.fixture(scope="module")
def apps(tmp_path_factory) -> dict[tuple[str, str], Path]:
    """(name, runtime) -> the rendered iOS project."""
    from deploy_studio.core.engine import run_recipe

    root = tmp_path_factory.mktemp("ios-audio")
    tone_folder(root, 12)
    model = TINY_AUDIO
    out = {}
    for key, app_name in NAMES.items():
        r = recipe(
            model,
            [variant("p", "pte"), variant("c", "coreml")],
            name="audio",
            data={
                "source": f"audiofolder:{root / 'wavs'}",
                "calibration_samples": 8,
                "eval_samples": 8,
            },
            benchmark={"warmup": 1, "runs": 2},
            preprocess={"audio": AUDIO},
            export={
                "templates": [{"platform": "ios", "runtime": rt} for rt in RUNTIMES],
                "app_name": app_name,
            },
        )
        report = run_recipe(r, root / key, isolate=False)
        assert len(report["templates"]) == len(RUNTIMES)
        for app in report["templates"]:
            assert not app.get("error") and app["path"], app
            assert app["format"] == RUNTIMES[app["runtime"]]
            out[key, app["runtime"]] = root / key / app["path"]
    return out


CASES = [(name, rt) for name in NAMES for rt in RUNTIMES]


def _module(project: Path) -> Path:
    (xcodeproj,) = project.glob("*.xcodeproj")
    return project / xcodeproj.stem


@pytest.mark.parametrize("case", CASES, ids="-".join)
def test_ios_audio_pbxproj_references_resolve(apps, case):
    project = apps[case]
    objects, files = resolved_pbx_files(project)
    phases = {}
    for obj in objects.values():
        if obj["isa"] in ("PBXSourcesBuildPhase", "PBXResourcesBuildPhase"):
            refs = [objects[b]["fileRef"] for b in obj["files"]]
            phases[obj["isa"]] = {files[r].name for r in refs}
    assert AUDIO_SWIFT <= phases["PBXSourcesBuildPhase"]
    assert {"sample.wav", "expected.json", "labels.json"} <= phases["PBXResourcesBuildPhase"]
    (target,) = [o for o in objects.values() if o["isa"] == "PBXNativeTarget"]
    for config in objects[target["buildConfigurationList"]]["buildConfigurations"]:
        settings = objects[config]["buildSettings"]
        assert "microphone" in settings["INFOPLIST_KEY_NSMicrophoneUsageDescription"]
        assert "INFOPLIST_KEY_NSCameraUsageDescription" not in settings
        assert settings["PRODUCT_MODULE_NAME"] not in ("Foundation", "ExecuTorch", "CoreML")


@pytest.mark.parametrize("case", CASES, ids="-".join)
def test_ios_audio_swift_files_parse(apps, swift_parser, case):
    project = apps[case]
    swift_files = sorted(project.rglob("*.swift"))
    assert NON_UI | AUDIO_SWIFT <= {p.name for p in swift_files}
    for path in swift_files:
        tree = swift_parser.parse(path.read_bytes())
        assert not tree.root_node.has_error, f"{path.relative_to(project)} does not parse"


@pytest.mark.parametrize("case", CASES, ids="-".join)
def test_ios_audio_app_ships_the_desktops_sample_and_spec(apps, case):
    module = _module(apps[case])
    res = module / "Resources"
    spec = AudioSpec.from_dict(AUDIO)
    x, rate = read_wav(res / "sample.wav")
    assert rate == 8000 and x.shape == (1, spec.length)
    sample = json.loads((res / "sample_inputs.json").read_text("utf-8"))["inputs"]
    _assert_close(sample[0]["data"], features(x, spec))  # the input the desktop ran
    expected = json.loads((res / "expected.json").read_text("utf-8"))
    assert expected["kind"] == "audio" and len(expected["logits"]) == 2
    assert expected["tolerance"]["abs"] > 0
    task = (module / "TaskSpec.swift").read_text("utf-8")
    assert 'static let kind: String = "audio"' in task
    assert "static let feedsTensors: Bool = false" in task
    generated = (module / "AudioSpec.swift").read_text("utf-8")
    for line in ("sampleRate: 8000,", "length: 4000,", "nMels: 20,", "nFft: 256,", "hop: 80,"):
        assert line in generated, line
    assert "fmin: 0.0," in generated and "fmax: 4000.0" in generated
    info = (module / "AppInfo.swift").read_text("utf-8")
    assert "static let inputShape: [Int] = [1, 1, 20, 51]" in info
    said = " ".join((apps[case] / "README.md").read_text("utf-8").split())
    checked = re.search(r"type-checks the files that import no UI framework \(([^)]*)\)", said)
    parsed = re.search(r"the UI files \(([^)]*)\) need SwiftUI and UIKit", said)
    assert checked and set(re.findall(r"`([^`]+)`", checked.group(1))) == NON_UI
    assert parsed and "AudioRecorder.swift" in parsed.group(1)
    assert "its features equal the desktop's within 1e-4" in said


@pytest.mark.slow
def test_ios_audio_non_ui_swift_typechecks(apps, swift):
    """ExecuTorch and Core ML, both names: the non-UI Swift type-checks against the stubs."""
    for (name, runtime), project in apps.items():
        module = _module(project)
        plain = []
        for path in sorted(module.glob("*.swift")):
            if not set(IMPORT.findall(path.read_text("utf-8"))) & NOT_TYPECHECKED:
                target = swift.work / f"{name}-{runtime}" / path.name
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(path.read_bytes())
                plain.append(target)
        assert {p.name for p in plain} == NON_UI
        proc = swift.typecheck(plain, module.name)
        assert proc.returncode == 0, f"{name}/{runtime}: swiftc -typecheck failed:\n{proc.stderr}"


# --- AudioFeatures.swift run in the chroot ---------------------------------------------------
def _wav_bytes(fmt_code: int, bits: int, channels: int, rate: int, body: bytes) -> bytes:
    """A RIFF/WAVE file written by hand (formats the wave module cannot write), with a
    LIST chunk of odd size (padded) before the data."""
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", fmt_code, channels, rate, rate * block, block, bits)
    extra = b"LIST" + struct.pack("<I", 5) + b"INFO\x00\x00"  # odd size: one pad byte
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    chunks += b"data" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks


def _tone(rate: int, channels: int, seed: int, seconds: float = 0.4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    x = np.clip(0.5 * np.sin(2 * np.pi * 700 * t) + 0.05 * rng.standard_normal(t.size), -1, 1)
    return np.stack([x * (0.5 + c / 2) for c in range(channels)])  # [C, T]


def _reference(x: np.ndarray, rate: int, spec: AudioSpec) -> np.ndarray:
    """core.data.audiofolder.clip's steps after reading, then the features."""
    if spec.mono and x.shape[0] > 1:
        x = x.mean(axis=0, keepdims=True)
    return features(fit_length(resample(x, rate, spec.sample_rate), spec.length), spec)


def _spec_line(spec: AudioSpec) -> str:
    m = spec.log_mel
    mel = (
        f"{m['n_mels']} {m['n_fft']} {m['hop']} {float(m['fmin'])!r} "
        f"{float(m['fmax'] if m['fmax'] is not None else spec.sample_rate / 2)!r}"
        if m
        else "0 0 0 0 0"
    )
    return f"{spec.sample_rate} {spec.length} {1 if spec.mono else 0} {mel}"


@pytest.fixture(scope="module")
def audio_harness(apps, swift):
    """The app's AudioFeatures.swift + AudioSpec.swift + the harness, compiled; a runner
    taking [(spec line, wav path)] and returning the output lines."""
    module = _module(apps["hostile", "executorch"])
    work = swift.work / "audio-harness"
    work.mkdir(exist_ok=True)
    for name in ("AudioFeatures.swift", "AudioSpec.swift"):
        (work / name).write_bytes((module / name).read_bytes())
    (work / "main.swift").write_text(HARNESS.read_text("utf-8"), "utf-8")
    proc = swift.run(
        "-O", "-o", work / "harness", work / "main.swift", work / "AudioFeatures.swift",
        work / "AudioSpec.swift",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    def run(items: list[tuple[str, Path]]) -> list[str]:
        (work / "in.txt").write_text("".join(f"{s}\t{p}\n" for s, p in items), "utf-8")
        done = swift.execute(work, "./harness", "in.txt", "out.txt")
        assert done.returncode == 0, done.stderr
        return (work / "out.txt").read_text("utf-8").splitlines()

    return run, work


def _parse(line: str) -> tuple[int, int, np.ndarray]:
    rate, channels, *values = line.split(" ")
    return int(rate), int(channels), np.array([float(v) for v in values], np.float64)


@pytest.mark.slow
def test_swift_audio_features_equal_the_desktops(apps, audio_harness):
    run, work = audio_harness
    spec = AudioSpec.from_dict(AUDIO)
    res = _module(apps["hostile", "executorch"]) / "Resources"
    sample = work / "sample.wav"
    sample.write_bytes((res / "sample.wav").read_bytes())
    inputs = json.loads((res / "sample_inputs.json").read_text("utf-8"))["inputs"]

    # WAV files the desktop reads (wave): other rates, stereo / 3 channels, 8-, 16-, 32-bit
    pcm = []
    for i, (rate, channels, width) in enumerate(
        [(16000, 2, 2), (11025, 1, 1), (22050, 3, 4), (8000, 1, 2), (6000, 2, 1)]
    ):
        pcm.append(work / f"pcm{i}.wav")
        _write_wav(pcm[-1], 440.0 * (i + 1), rate, channels, 10 + i, width)
    # formats read_wav refuses (decoded here as the app must): 24-bit PCM, 32-bit float
    x24 = _tone(12000, 2, 20)
    i24 = np.clip(np.rint(x24 * 2**23), -(2**23), 2**23 - 1).astype("<i4").T.reshape(-1)
    body24 = b"".join(int(v).to_bytes(3, "little", signed=True) for v in i24)
    (work / "pcm24.wav").write_bytes(_wav_bytes(1, 24, 2, 12000, body24))
    want24 = (i24.reshape(-1, 2).T.astype(np.float32) / np.float32(2**23)).astype(np.float32)
    xf = _tone(9000, 2, 21).astype(np.float32)  # [2, T], interleaved in the file
    (work / "float.wav").write_bytes(_wav_bytes(3, 32, 2, 9000, xf.T.astype("<f4").tobytes()))

    items = [("bundled", sample)] + [("bundled", p) for p in pcm]
    items += [("bundled", work / "pcm24.wav"), ("bundled", work / "float.wav")]
    got = run(items)
    rate, channels, first = _parse(got[0])
    assert (rate, channels) == (8000, 1)
    x, _ = read_wav(sample)
    _assert_close(first, features(x, spec))  # the bundled sample: the desktop's features
    _assert_close(first, inputs[0]["data"])  # and the model input the desktop ran
    for path, line in zip(pcm, got[1 : 1 + len(pcm)], strict=True):
        rate, channels, values = _parse(line)
        with wave.open(str(path)) as w:
            assert (rate, channels) == (w.getframerate(), w.getnchannels())
        _assert_close(values, features(clip(path, spec), spec))
    _assert_close(_parse(got[-2])[2], _reference(want24, 12000, spec))
    _assert_close(_parse(got[-1])[2], _reference(xf, 9000, spec))

    # other specs: a non-power-of-two FFT with fmin / fmax, a waveform model, stereo kept
    others = [
        AudioSpec(
            16000,
            0.3,
            log_mel={"n_mels": 32, "n_fft": 400, "hop": 160, "fmin": 50.0, "fmax": 7000.0},
        ),
        AudioSpec(8000, None, samples=3001),
        AudioSpec(12000, 0.25, mono=False, log_mel={"n_mels": 16, "n_fft": 300, "hop": 100}),
    ]
    items = [(_spec_line(s), p) for s in others for p in (pcm if s.mono else pcm[:1])]
    got = run(items)
    for (line, path), out in zip(items, got, strict=True):
        other = next(s for s in others if _spec_line(s) == line)
        _assert_close(_parse(out)[2], features(clip(path, other), other))


@pytest.mark.slow
def test_swift_wav_reader_refuses_what_it_cannot_read(audio_harness):
    run, work = audio_harness
    (work / "text.wav").write_bytes(b"not a wav file at all")
    (work / "alaw.wav").write_bytes(_wav_bytes(6, 8, 1, 8000, bytes(100)))  # A-law
    (work / "float16.wav").write_bytes(_wav_bytes(3, 16, 1, 8000, bytes(100)))
    nodata = _wav_bytes(1, 16, 1, 8000, b"").replace(b"data", b"junk")
    (work / "nodata.wav").write_bytes(nodata)
    got = run(
        [("bundled", work / n) for n in ("text.wav", "alaw.wav", "float16.wav", "nodata.wav")]
    )
    assert got[0] == "error not a WAV file: the RIFF/WAVE header is missing"
    assert got[1].startswith("error unsupported WAV file: 8-bit samples of format 6")
    assert got[2].startswith("error unsupported WAV file: 16-bit samples of format 3")
    assert got[3] == "error not a WAV file: no fmt or data chunk"
