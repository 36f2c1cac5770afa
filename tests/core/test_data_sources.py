"""The data sources of any model: npz targets, segmentation masks, COCO boxes, WAV audio,
CSV tables, and the one table of source kinds the recipe validates against.

Every test writes its own small files in ``tmp_path`` and loads them for real.
"""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deploy_studio.core.data.audio import AudioSpec, log_mel, mel_filterbank, resample
from deploy_studio.core.data.datasets import load_dataset
from deploy_studio.core.data.preprocess import Preprocess, parse_overrides
from deploy_studio.core.data.sources import (
    SOURCES,
    SOURCES_HINT,
    check_source,
    is_array_source,
)
from deploy_studio.core.data.tabular import TabularSpec
from deploy_studio.core.errors import DataError, RecipeError
from deploy_studio.core.models.signature import InputSpec, Signature, shorthand
from deploy_studio.core.recipe import parse_recipe

RGB16 = Preprocess(size=[16, 16], channels=3, mean=[0.5], std=[0.5])


# --- npz: masks, boxes, targets ------------------------------------------------------------------
def test_npz_reads_masks_boxes_and_targets(tmp_path):
    x = np.zeros((3, 4), np.float32)
    masks = np.arange(3 * 2 * 2).reshape(3, 2, 2) % 3
    boxes = np.full((3, 2, 4), -1.0, np.float32)
    box_labels = np.full((3, 2), -1, np.int64)
    boxes[0, :2] = [[0, 0, 2, 2], [1, 1, 3, 3]]
    box_labels[0, :2] = [1, 2]
    boxes[2, 0] = [0, 1, 2, 3]
    box_labels[2, 0] = 4
    f = tmp_path / "d.npz"
    np.savez(f, x=x, masks=masks, boxes=boxes, box_labels=box_labels, targets=np.arange(3.0))
    ds = load_dataset(f"npz:{f}", Preprocess(), signature=shorthand([1, 4]))
    assert ds.masks.dtype == np.int64 and ds.masks.shape == (3, 2, 2)
    assert [len(b) for b in ds.boxes] == [2, 0, 1] and ds.boxes[2].tolist() == [[0, 1, 2, 3]]
    assert [b.tolist() for b in ds.box_labels] == [[1, 2], [], [4]]
    assert ds.values.tolist() == [0, 1, 2] and ds.values.dtype == np.float32
    assert not any("not read yet" in n for n in ds.notes)
    t = ds.targets(np.array([2, 0]))
    assert t.box_labels[0].tolist() == [4] and t.masks.shape == (2, 2, 2)
    assert load_dataset(f"npz:{f}", Preprocess(), 2, shorthand([1, 4])).boxes[1].shape == (0, 4)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"masks": np.zeros((3, 4))}, "'masks'"),
        ({"masks": np.full((3, 2, 2), 0.5)}, "'masks'.*fractional"),
        ({"boxes": np.zeros((3, 2, 3))}, "no 'box_labels'"),
        (
            {"boxes": np.zeros((3, 2, 3)), "box_labels": np.zeros((3, 2))},
            "'boxes'.*\\[N=3, K, 4\\]",
        ),
        ({"boxes": np.zeros((3, 2, 4)), "box_labels": np.zeros((3, 1))}, "'box_labels'"),
        ({"targets": np.zeros(5)}, "'targets'"),
    ],
)
def test_npz_target_errors_name_the_array(tmp_path, extra, match):
    f = tmp_path / "d.npz"
    np.savez(f, x=np.zeros((3, 4), np.float32), **extra)
    with pytest.raises(DataError, match=match):
        load_dataset(f"npz:{f}", Preprocess(), signature=shorthand([1, 4]))


# --- imagefolder with images/ + masks/ -----------------------------------------------------------
def test_imagefolder_masks_layout_nearest_and_mismatched_stems(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for stem in ("a", "b", "lonely"):
        Image.new("RGB", (32, 32), (10, 20, 30)).save(tmp_path / "images" / f"{stem}.png")
    for stem in ("a", "b", "orphan"):
        m = np.zeros((32, 32), np.uint8)
        m[:, 16:] = 2  # right half class 2
        m[:4, :4] = 255  # ignored corner
        Image.fromarray(m, mode="L").save(tmp_path / "masks" / f"{stem}.png")
    ds = load_dataset(f"imagefolder:{tmp_path}", RGB16)
    assert ds.images.shape == (2, 16, 16, 3) and ds.masks.shape == (2, 16, 16)
    assert ds.labels is None and ds.ignore_index == 255
    assert set(np.unique(ds.masks).tolist()) == {0, 2, 255}  # nearest: no blended values
    assert ds.masks[0, 8, :8].tolist() == [0] * 8 and ds.masks[0, 8, 8:].tolist() == [2] * 8
    assert any("lonely" in w for w in ds.warnings) and any("orphan" in w for w in ds.warnings)
    assert ds.classes == ["0", "1", "2"]


def test_imagefolder_masks_palette_png_and_center_crop(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    Image.new("RGB", (40, 20)).save(tmp_path / "images" / "x.jpg")
    m = np.zeros((20, 40), np.uint8)
    m[:, 20:] = 1
    pal = Image.fromarray(m, mode="P")
    pal.putpalette([0, 0, 0, 200, 50, 50] + [0] * 762)  # palette index = class
    pal.save(tmp_path / "masks" / "x.png")
    crop = Preprocess(size=[10, 10], channels=3, resize="center-crop", mean=[0], std=[1])
    ds = load_dataset(f"imagefolder:{tmp_path}", crop)
    # 40x20 scaled to 20x10, centre 10x10 crop: columns 5..14 of 20, split at 10
    assert ds.masks[0, 0].tolist() == [0] * 5 + [1] * 5


def test_imagefolder_class_layout_still_works(tmp_path):
    for c in ("cat", "dog"):
        (tmp_path / c).mkdir()
        Image.new("RGB", (8, 8)).save(tmp_path / c / "0.png")
    ds = load_dataset(f"imagefolder:{tmp_path}", RGB16)
    assert ds.classes == ["cat", "dog"] and ds.masks is None


# --- coco ------------------------------------------------------------------------------------
def _coco(folder: Path, json_at: str = "annotations.json", images_sub: str = "images"):
    (folder / images_sub).mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 32)).save(folder / images_sub / "one.png")
    Image.new("RGB", (16, 16)).save(folder / images_sub / "empty.png")
    d = {
        "images": [
            {"id": 1, "file_name": "one.png", "width": 64, "height": 32},
            {"id": 2, "file_name": "empty.png", "width": 16, "height": 16},
            {"id": 3, "file_name": "gone.png", "width": 16, "height": 16},
        ],
        "categories": [{"id": 18, "name": "dog"}, {"id": 3, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 18, "bbox": [8, 4, 16, 8], "iscrowd": 0},
            {"id": 2, "image_id": 1, "category_id": 3, "bbox": [32, 0, 32, 32]},
            {"id": 3, "image_id": 1, "category_id": 3, "bbox": [0, 0, 4, 4], "iscrowd": 1},
        ],
    }
    target = folder / json_at
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(d))


def test_coco_boxes_scaled_classes_from_one(tmp_path):
    _coco(tmp_path)
    ds = load_dataset(f"coco:{tmp_path}", RGB16)
    assert ds.classes == ["background", "car", "dog"]  # by category id: 3 car, 18 dog
    assert ds.images.shape == (2, 16, 16, 3) and ds.labels is None
    # 64x32 stretched to 16x16: x / 4, y / 2
    assert ds.boxes[0].tolist() == [[2, 2, 6, 6], [8, 0, 16, 16]]
    assert ds.box_labels[0].tolist() == [2, 1]
    assert ds.boxes[1].shape == (0, 4) and ds.box_labels[1].shape == (0,)
    assert any("gone.png" in w for w in ds.warnings)


def test_coco_json_in_annotations_folder_and_files_beside(tmp_path):
    _coco(tmp_path, "annotations/instances_val.json", images_sub=".")
    assert len(load_dataset(f"coco:{tmp_path}", RGB16)) == 2


def test_coco_errors(tmp_path):
    with pytest.raises(DataError, match="no COCO annotations"):
        load_dataset(f"coco:{tmp_path}", RGB16)
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "b.json").write_text("{}")
    with pytest.raises(DataError, match="2 JSON files"):
        load_dataset(f"coco:{tmp_path}", RGB16)
    (tmp_path / "b.json").unlink()
    with pytest.raises(DataError, match="'images' list"):
        load_dataset(f"coco:{tmp_path}", RGB16)


# --- audiofolder -----------------------------------------------------------------------------
def _wav(path: Path, x: np.ndarray, rate: int, width: int = 2, channels: int = 1):
    path.parent.mkdir(parents=True, exist_ok=True)
    if width == 1:
        raw = (np.clip(x, -1, 1) * 127 + 128).astype(np.uint8).tobytes()
    else:
        dtype = "<i2" if width == 2 else "<i4"
        raw = (np.clip(x, -1, 1) * (2 ** (8 * width - 1) - 1)).astype(dtype).tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(raw)


def _tone(freq: float, rate: int, seconds: float) -> np.ndarray:
    return 0.5 * np.sin(2 * np.pi * freq * np.arange(int(rate * seconds)) / rate)


def _audio_folder(root: Path) -> None:
    _wav(root / "low" / "a.wav", _tone(200, 8000, 0.5), 8000)
    _wav(root / "low" / "b.wav", _tone(200, 8000, 0.25), 8000, width=1)  # short: padded
    stereo = np.repeat(_tone(1500, 16000, 1.0), 2)  # interleaved L, R
    _wav(root / "high" / "c.wav", stereo, 16000, width=4, channels=2)


def test_audiofolder_waveform_resampled_padded_and_reshaped(tmp_path):
    _audio_folder(tmp_path)
    pre = Preprocess().with_overrides(
        parse_overrides({"audio": {"sample_rate": 8000, "seconds": 0.5}})
    )
    ds = load_dataset(f"audiofolder:{tmp_path}", pre, signature=shorthand([1, 1, 4000]))
    assert not ds.has_images and ds.classes == ["high", "low"]
    assert ds.labels.tolist() == [0, 1, 1]
    assert ds.arrays["input"].shape == (3, 1, 4000) and ds.arrays["input"].dtype == np.float32
    assert ds.waveforms.shape == (3, 4000) and ds.sample_rate == 8000
    assert np.all(ds.waveforms[2, 2001:] == 0)  # 0.25 s padded with zeros
    assert abs(float(np.abs(ds.waveforms[1]).max()) - 0.5) < 0.01  # 16-bit scale
    assert abs(float(np.abs(ds.waveforms[0]).max()) - 0.5) < 0.02  # 32-bit stereo, resampled
    assert ds.preprocess.audio.sample_rate == 8000 and "audio" in ds.preprocess.to_dict()
    x = ds.inputs(np.array([0]))[0]
    assert x.shape == (1, 1, 4000)


def test_audiofolder_log_mel_features(tmp_path):
    _audio_folder(tmp_path)
    audio = {
        "sample_rate": 8000,
        "samples": 4000,
        "log_mel": {"n_mels": 20, "n_fft": 256, "hop": 80},
    }
    pre = Preprocess().with_overrides(parse_overrides({"audio": audio}))
    sig = Signature((InputSpec("mel", (1, 1, 20, 51)),))
    ds = load_dataset(f"audiofolder:{tmp_path}", pre, signature=sig)
    feats = ds.arrays["mel"]
    assert feats.shape == (3, 1, 20, 51) and np.isfinite(feats).all()
    # the 200 Hz tone puts its energy in a lower mel band than the 1500 Hz one
    assert feats[1, 0, :, 10].argmax() < feats[0, 0, :, 10].argmax()
    assert feats[1, 0, :, 40].max() > np.log(1e-6) + 5  # not silence


def test_log_mel_matches_the_torchaudio_convention():
    fb = mel_filterbank(16000, 400, 40, 0.0, None)
    assert fb.shape == (201, 40) and fb.min() >= 0 and (fb.max(axis=0) > 0).all()
    spec = AudioSpec(sample_rate=16000, samples=16000, log_mel={"n_mels": 40})
    out = log_mel(np.zeros((1, 16000), np.float32), spec)
    assert out.shape == (1, 40, 101) and np.allclose(out, np.log(1e-6))
    assert resample(np.arange(4.0)[None], 2, 4).tolist()[0][:5] == [0, 0.5, 1, 1.5, 2]
    import torch

    x = np.random.default_rng(0).standard_normal((1, 16000)).astype(np.float32)
    stft = torch.stft(
        torch.from_numpy(x).double(),
        400,
        hop_length=160,
        window=torch.hann_window(400, dtype=torch.float64),
        center=True,
        pad_mode="reflect",
        return_complex=True,
    )
    power = (stft.abs() ** 2).numpy()  # [1, 201, 101]
    ref = np.log(np.einsum("cft,fm->cmt", power, fb) + 1e-6)
    assert np.allclose(log_mel(x, spec), ref, atol=1e-3)
    # HTK: filter m peaks (at 1) at the mel-spaced centre frequency m + 1
    centres = 700 * (10 ** (np.linspace(0, 2595 * np.log10(1 + 8000 / 700), 42) / 2595) - 1)
    bins = np.linspace(0, 8000, 201)
    assert abs(bins[fb[:, 20].argmax()] - centres[21]) <= 40


def test_audiofolder_errors(tmp_path):
    _audio_folder(tmp_path)
    pre = Preprocess().with_overrides({"audio": {"sample_rate": 8000, "seconds": 0.5}})
    with pytest.raises(DataError, match="features of shape") as e:
        load_dataset(f"audiofolder:{tmp_path}", pre, signature=shorthand([1, 16000]))
    assert "samples = 16000" in e.value.hint
    sig = Signature((InputSpec("mel", (1, 1, 40, 101)),))
    with pytest.raises(DataError) as e:
        load_dataset(f"audiofolder:{tmp_path}", pre, signature=sig)
    assert "n_mels = 40" in e.value.hint and "samples = 16000" in e.value.hint
    (tmp_path / "low" / "bad.wav").write_bytes(b"RIFF....WAVEfmt nonsense")
    with pytest.raises(DataError, match=r"bad\.wav"):
        load_dataset(f"audiofolder:{tmp_path}", pre, signature=shorthand([1, 4000]))


def test_audio_24_bit_is_refused_by_name(tmp_path):
    f = tmp_path / "c" / "deep.wav"
    f.parent.mkdir()
    with wave.open(str(f), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(3)
        w.setframerate(8000)
        w.writeframes(b"\0\0\0" * 100)
    with pytest.raises(DataError, match=r"deep\.wav holds 24-bit"):
        load_dataset(f"audiofolder:{tmp_path}", Preprocess(), signature=shorthand([1, 16000]))


# --- tabular ---------------------------------------------------------------------------------
def test_tabular_string_labels_standardised(tmp_path):
    f = tmp_path / "iris.csv"
    f.write_text("a,b,species\n1,10,setosa\n3,10,virginica\n5,40,setosa\n")
    ds = load_dataset(f"tabular:{f}", Preprocess(), signature=shorthand([1, 2]))
    assert ds.classes == ["setosa", "virginica"] and ds.labels.tolist() == [0, 1, 0]
    assert ds.columns == ["a", "b"] and ds.table.tolist() == [[1, 10], [3, 10], [5, 40]]
    x = ds.arrays["input"]
    assert x.shape == (3, 2) and np.allclose(x.mean(axis=0), 0) and np.allclose(x.std(axis=0), 1)
    spec = ds.preprocess.tabular
    assert (
        spec.label == "species"
        and spec.mean == [3.0, 20.0]
        and "tabular" in ds.preprocess.to_dict()
    )
    assert any("computed over the file" in n for n in ds.notes)


def test_tabular_recipe_spec_and_regression(tmp_path):
    f = tmp_path / "house.csv"
    rows = [f"{i},{i * 2},{i * 0.37:.3f}" for i in range(20)]
    f.write_text("rooms,area,price\n" + "\n".join(rows) + "\n")
    tab = {"label": "price", "columns": ["area"], "mean": [0.0], "std": [2.0]}
    pre = Preprocess().with_overrides(parse_overrides({"tabular": tab}))
    sig = Signature((InputSpec("x", (1, 1)),))
    ds = load_dataset(f"tabular:{f}", pre, signature=sig)
    assert ds.labels is None and ds.values.shape == (20,) and ds.values[1] == pytest.approx(0.37)
    assert ds.arrays["x"][:, 0].tolist() == list(range(20))  # (2i - 0) / 2
    assert any("regression" in n for n in ds.notes) and any("recipe" in n for n in ds.notes)


def test_tabular_default_label_column_and_errors(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("target,f1,f2\n1,0.5,2\n0,1.5,oops\n")
    with pytest.raises(DataError, match="row 3, column 'f2'"):
        load_dataset(f"tabular:{f}", Preprocess(), signature=shorthand([1, 2]))
    f.write_text("target,f1,f2\n1,0.5,2\n0,1.5,3\n")
    ds = load_dataset(f"tabular:{f}", Preprocess(), signature=shorthand([1, 2]))
    assert ds.labels.tolist() == [1, 0] and ds.columns == ["f1", "f2"]
    with pytest.raises(DataError, match=r"2 feature columns.*takes 3 features"):
        load_dataset(f"tabular:{f}", Preprocess(), signature=shorthand([1, 3]))
    pre = Preprocess().with_overrides({"tabular": {"label": "nope"}})
    with pytest.raises(DataError, match="no label column 'nope'"):
        load_dataset(f"tabular:{f}", pre, signature=shorthand([1, 2]))


def test_tabular_last_column_is_the_default_label(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("f1,f2,kind\n0,1,b\n1,0,a\n")
    ds = load_dataset(f"tabular:{f}", Preprocess(), signature=shorthand([1, 2]))
    assert ds.classes == ["a", "b"] and ds.labels.tolist() == [1, 0]


# --- the spec in the recipe ------------------------------------------------------------------
def test_preprocess_audio_and_tabular_round_trip_and_merge():
    o = parse_overrides(
        {"audio": {"sample_rate": 16000, "seconds": 1.0, "log_mel": {"n_mels": 40}}}
    )
    p = Preprocess().with_overrides(o)
    assert p.audio.length == 16000 and p.audio.log_mel["n_fft"] == 400
    assert Preprocess.from_dict(p.to_dict()) == p
    assert "audio" not in Preprocess().to_dict() and "tabular" not in Preprocess().to_dict()
    q = p.with_overrides({"audio": {"samples": 8000}})
    assert q.audio.length == 8000 and q.audio.sample_rate == 16000 and q.audio.log_mel
    assert q.with_overrides({"audio": {"log_mel": False}}).audio.log_mel is None
    t = Preprocess(tabular=TabularSpec(label="y")).with_overrides({"tabular": {"mean": [1.0]}})
    assert t.tabular.label == "y" and t.tabular.mean == [1.0]


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"audio": {"rate": 1}}, "unknown key 'rate'"),
        ({"audio": {"sample_rate": -1}}, "sample_rate"),
        ({"audio": {"log_mel": {"n_mel": 4}}}, "unknown key 'n_mel'"),
        ({"audio": {"seconds": 0.01, "log_mel": {}}}, "does not fit"),
        ({"tabular": {"label": 3}}, "label"),
        ({"tabular": {"mean": ["a"]}}, "mean"),
        ({"tabular": {"columns": ["a"], "std": [1.0, 2.0]}}, "2 values for 1 columns"),
    ],
)
def test_preprocess_audio_tabular_errors(table, match):
    with pytest.raises(RecipeError, match=match):
        parse_overrides(table)


# --- the table of source kinds ---------------------------------------------------------------
def test_source_table_and_array_kinds():
    kinds = [s.kind for s in SOURCES]
    for k in ("builtin", "mnist", "imagefolder", "coco", "audiofolder", "tabular", "npz", "random"):
        assert k in kinds and k in SOURCES_HINT
    assert is_array_source("npz:x.npz") and is_array_source("tabular:t.csv")
    assert is_array_source("audiofolder:d") and not is_array_source("imagefolder:d")
    assert not is_array_source("random") and not is_array_source("coco:d")
    check_source("builtin:digits")
    check_source("random")
    for bad in ("hub:x", "coco:", "tabular", "random:3", "builtin:nope"):
        with pytest.raises(RecipeError, match="not a data source"):
            check_source(bad)


def test_recipe_accepts_and_rebases_every_path_kind(tmp_path):
    (tmp_path / "t.csv").write_text("a,label\n1,0\n")
    (tmp_path / "wavs").mkdir()
    (tmp_path / "c").mkdir()
    for spec, rel in (("tabular", "t.csv"), ("audiofolder", "wavs"), ("coco", "c")):
        r = parse_recipe(
            {"model": {"source": "builtin:digits-cnn"}, "data": {"source": f"{spec}:{rel}"}},
            tmp_path,
        )
        assert r.data.source == f"{spec}:{tmp_path / rel}"
    r = parse_recipe(
        {
            "model": {"source": "builtin:digits-cnn"},
            "preprocess": {"audio": {"sample_rate": 16000, "log_mel": {"n_mels": 40}}},
        }
    )
    assert r.preprocess["audio"]["log_mel"] == {"n_mels": 40}
    assert parse_recipe(r.to_dict()).preprocess == r.preprocess
    with pytest.raises(RecipeError, match="not a data source"):
        parse_recipe({"model": {"source": "builtin:digits-cnn"}, "data": {"source": "coco:"}})
