"""Preprocessing is explicit: where it comes from is said, a recipe's ``[preprocess]`` is used
everywhere, and a guessed spec that scores worse than a common one is pointed out.

The model here (the tests' TinyDigitsNet) was trained on the real digits with
``Normalize(0.5, 0.5)`` (inputs -1..1): under the guessed MNIST statistics it reports less
than it really scores.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from deploy_studio.core.data.datasets import load_dataset
from deploy_studio.core.data.preprocess import GUESSED, Preprocess, parse_overrides
from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import DataError, RecipeError
from deploy_studio.core.recipe import parse_recipe
from deploy_studio.core.session import open_session
from deploy_studio.core.training import accuracy, fit
from tests.support.models import TinyDigitsNet, write_models
from tests.support.recipes import ONNX, recipe

OWN = {"mean": [0.5], "std": [0.5]}


@pytest.fixture(scope="module")
def own_normalisation_model(tmp_path_factory):
    """(model.py, weights.pth, true held-out accuracy) of a model trained on -1..1 inputs."""
    folder = tmp_path_factory.mktemp("own-norm")
    model_py = write_models(folder / "net.py", "TinyDigitsNet")
    pp = Preprocess(size=[8, 8], channels=1, **OWN)
    ds = load_dataset("builtin:digits", pp)
    train_idx, eval_idx = ds.split(64, 200)
    torch.manual_seed(0)
    net = TinyDigitsNet()
    fit(net, *ds.tensors(train_idx), epochs=8, lr=3e-3, seed=0)
    torch.save(net.state_dict(), folder / "w.pth")
    return model_py, folder / "w.pth", accuracy(net.eval(), *ds.tensors(eval_idx))


def _recipe(model_py, weights, preprocess=None, **tables):
    if preprocess is not None:
        tables["preprocess"] = preprocess
    return recipe(
        {
            "source": f"{model_py}:TinyDigitsNet",
            "weights": str(weights),
            "input_shape": [1, 1, 8, 8],
        },
        [ONNX],
        name="own-norm",
        data={"calibration_samples": 64, "eval_samples": 200},
        benchmark={"warmup": 1, "runs": 3},
        **tables,
    )


def test_guessed_preprocessing_is_marked_and_a_better_normalisation_is_named(
    own_normalisation_model,
):
    model_py, weights, true_acc = own_normalisation_model
    guessed = _recipe(model_py, weights)
    session = open_session(guessed.model, guessed.data, preprocess=guessed.preprocess)
    assert session.preprocess_origin == GUESSED
    assert (
        session.baseline_accuracy < true_acc - 0.03
    )  # the guess costs points that are not the model's
    text = "\n".join(session.warnings)
    assert "preprocessing was GUESSED" in text
    assert "-1..1 (Normalize(0.5, 0.5))" in text and "mean = [0.5], std = [0.5]" in text


def test_recipe_preprocess_gives_the_true_accuracy_everywhere(own_normalisation_model, tmp_path):
    model_py, weights, true_acc = own_normalisation_model
    own = _recipe(model_py, weights, OWN, export={"templates": ["web"], "app_name": "Own"})
    report = run_recipe(own, tmp_path, isolate=False)
    assert report["baseline"]["accuracy"] == pytest.approx(true_acc)
    assert report["preprocess"]["origin"] == "recipe [preprocess]"
    assert report["preprocess"]["mean"] == [0.5] and report["preprocess"]["std"] == [0.5]
    assert not any("GUESSED" in n for n in report["notes"])
    row = report["variants"][0]
    assert row["accuracy"]["top1"] == pytest.approx(true_acc)
    # the app ships the same spec, and its expected output was computed with it
    app = tmp_path / report["templates"][0]["path"]
    shipped = json.loads((app / "assets" / "preprocess.json").read_text())
    assert shipped["mean"] == [0.5] and shipped["std"] == [0.5]
    assert "f(0.5)" in (app / "preprocess.js").read_text()
    # the recipe round-trips its [preprocess] table
    again = parse_recipe(own.to_dict())
    assert again.preprocess == {"mean": [0.5], "std": [0.5]}


def test_torchvision_architectures_take_their_published_transforms():
    from deploy_studio.core.models import ModelSpec, load_model

    m = load_model(ModelSpec("torchvision:mobilenet_v3_small"))
    assert m.preprocess_origin.startswith("torchvision mobilenet_v3_small IMAGENET1K")
    assert m.preprocess.resize == "center-crop" and m.preprocess.resize_size == 256
    assert m.preprocess.mean == pytest.approx([0.485, 0.456, 0.406])
    small = load_model(ModelSpec("torchvision:mobilenet_v3_small", input_shape=[1, 3, 64, 64]))
    assert (
        small.preprocess_origin == GUESSED
    )  # another input size: the published transforms do not apply


def test_preprocess_table_is_validated():
    assert parse_overrides({"mean": 0.5, "scale": 1, "layout": "NHWC"}) == {
        "mean": [0.5],
        "scale": 1.0,
        "layout": "NHWC",
    }
    for bad, word in [
        ({"size": [3, 3]}, "unknown key 'size'"),
        ({"std": [0.0]}, "std values must be > 0"),
        ({"resize": "zoom"}, "allowed values"),
        ({"resize_size": -1}, "positive int"),
    ]:
        with pytest.raises(RecipeError, match=word):
            parse_overrides(bad)
    with pytest.raises(DataError, match="smaller than the crop"):
        Preprocess(
            size=[32, 32], channels=3, mean=[0.5], std=[0.5], resize="center-crop", resize_size=16
        )


def test_nhwc_layout_and_resize_before_crop():
    from PIL import Image

    pp = Preprocess(
        size=[4, 4],
        channels=3,
        mean=[0.0],
        std=[1.0],
        layout="NHWC",
        resize="center-crop",
        resize_size=8,
        interpolation="nearest",
    )
    img = Image.fromarray(np.arange(16 * 24 * 3, dtype=np.uint8).reshape(16, 24, 3) % 250)
    px = pp.to_uint8(img)
    assert px.shape == (4, 4, 3)
    x = pp.apply(px)
    assert x.shape == (4, 4, 3) and pp.input_shape() == [1, 4, 4, 3]
    assert np.allclose(x, px / 255.0)
    assert Preprocess.image_dims([1, 224, 224, 3]) == ("NHWC", 3, 224, 224)
