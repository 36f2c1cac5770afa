"""Datasets, the deterministic split and the one preprocessing spec."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deploy_studio.core.data import Preprocess, load_dataset
from deploy_studio.core.errors import DataError

MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
GRAY = Preprocess.for_input_shape([1, 1, 28, 28])


def test_builtin_digits_upsampled_to_model_size():
    ds = load_dataset("builtin:digits", GRAY)
    assert len(ds) == 1797 and ds.images.shape == (1797, 28, 28, 1) and ds.images.dtype == np.uint8
    assert sorted(set(ds.labels.tolist())) == list(range(10))
    x, y = ds.tensors(np.arange(4))
    assert tuple(x.shape) == (4, 1, 28, 28) and y.tolist() == ds.labels[:4].tolist()


def test_split_is_deterministic_and_disjoint():
    ds = load_dataset("builtin:digits", GRAY)
    tr1, ev1 = ds.split(128, 500)
    tr2, ev2 = ds.split(128, 500)
    assert np.array_equal(tr1, tr2) and np.array_equal(ev1, ev2)
    assert len(ev1) == 500 and not set(tr1) & set(ev1) and len(tr1) + len(ev1) == 1797
    # a bigger eval side still contains the smaller one (same held-out samples first)
    _, ev3 = ds.split(128, 800)
    assert set(ev1) <= set(ev3)


@pytest.mark.skipif(not MNIST.exists(), reason="shared MNIST test set not present")
def test_mnist_idx_t10k_pair():
    ds = load_dataset(f"mnist:{MNIST}", GRAY, limit=200)
    assert ds.images.shape == (200, 28, 28, 1) and ds.labels[:3].tolist() == [7, 2, 1]


def test_mnist_errors(tmp_path):
    with pytest.raises(DataError, match="no MNIST IDX files"):
        load_dataset(f"mnist:{tmp_path}", GRAY)
    (tmp_path / "t10k-images-idx3-ubyte").write_bytes(b"garbage!")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"garbage!")
    with pytest.raises(DataError, match="not a readable IDX"):
        load_dataset(f"mnist:{tmp_path}", GRAY)


def test_imagefolder_rgb_center_crop(tmp_path):
    rgb = Preprocess.for_input_shape([1, 3, 32, 32])
    for c, colour in (("cat", (255, 0, 0)), ("dog", (0, 0, 255))):
        (tmp_path / c).mkdir()
        for i in range(3):
            Image.new("RGB", (64, 48), colour).save(tmp_path / c / f"{i}.png")
    (tmp_path / "dog" / "broken.png").write_bytes(b"not an image")
    ds = load_dataset(f"imagefolder:{tmp_path}", rgb)
    assert ds.classes == ["cat", "dog"] and ds.images.shape == (6, 32, 32, 3)
    assert ds.images[0, 16, 16].tolist() == [255, 0, 0] and ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert any("skipped 1" in n for n in ds.warnings)


def test_imagefolder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(f"imagefolder:{tmp_path / 'nope'}", GRAY)
    with pytest.raises(DataError, match="no images"):
        load_dataset(f"imagefolder:{tmp_path}", GRAY)


def test_random_is_unlabelled():
    ds = load_dataset("random", GRAY, limit=10)
    assert len(ds) == 10 and ds.labels is None and not ds.labelled


def test_unknown_source():
    with pytest.raises(DataError, match="unknown data source") as e:
        load_dataset("hub:mnist", GRAY)
    assert "builtin:digits" in e.value.hint


def test_preprocess_maths_and_round_trip():
    p = Preprocess(size=[2, 2], channels=3, mean=[0.5, 0.5, 0.5], std=[0.25, 0.5, 1.0])
    pixels = np.full((2, 2, 3), 255, dtype=np.uint8)
    x = p.apply(pixels)
    assert x.shape == (3, 2, 2) and x.dtype == np.float32
    assert np.allclose(x[:, 0, 0], [(1 - 0.5) / 0.25, (1 - 0.5) / 0.5, 0.5])
    assert Preprocess.from_dict(p.to_dict()) == p
    assert p.to_dict()["grayscale"] is False


def test_preprocess_output_is_plain_contiguous():
    import torch

    x = torch.from_numpy(GRAY.apply(np.zeros((1, 28, 28, 1), np.uint8)))
    assert x.stride() == (784, 784, 28, 1)  # not mistaken for channels-last by torch.export


def test_preprocess_rejects_bad_specs():
    with pytest.raises(DataError):
        Preprocess(channels=2, mean=[0, 0], std=[1, 1])
    with pytest.raises(DataError):
        Preprocess.for_input_shape([1, 10])
