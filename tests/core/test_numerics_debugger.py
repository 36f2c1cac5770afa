"""The int8 numerical debugger (``quantize`` step, ``debug = true``) on a model built with one
layer int8 ruins (:class:`~tests.support.models.OneSensitiveLayer`: fc2), between ordinary
layers: every layer is quantized (PT2E, XNNPACKQuantizer) and compared with float on the same
calibration samples, so the layers after fc2 inherit its error; the debugger must still point
at fc2 as where the error enters, and keeping fc2 float must win it back.
"""

from __future__ import annotations

import json

import pytest
import torch

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import RecipeError
from deploy_studio.core.recipe import parse_recipe
from deploy_studio.core.steps._numerics import layer_numerics, worst_layers
from tests.support.models import MODELS_PY, TINY_DIGITS_SHAPE, OneSensitiveLayer
from tests.support.recipes import recipe_dict, variant

DEBUG = {"kind": "quantize", "mode": "int8-static", "debug": True}
LAYERS = ["fc1", "relu1", "fc2", "relu2", "fc3", "relu3", "fc4"]  # graph order


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _digits(n: int = 64) -> torch.Tensor:
    """Real 8x8 digits (the calibration side), as the pipeline preprocesses them."""
    from deploy_studio.core.data.datasets import load_dataset
    from deploy_studio.core.data.preprocess import Preprocess

    dataset = load_dataset("builtin:digits", Preprocess.for_input_shape(TINY_DIGITS_SHAPE))
    train_idx, _ = dataset.split(n, 10)
    return dataset.tensors(train_idx)[0]


@pytest.mark.slow  # two PT2E quantizations
def test_the_worst_layer_is_the_sensitive_one_and_keeping_it_float_wins_it_back():
    model, x = OneSensitiveLayer().eval(), _digits()
    rows = layer_numerics(model, (x[:1],), (x,))
    by = {r["layer"]: r for r in rows}
    assert [r["layer"] for r in rows] == LAYERS
    assert worst_layers(rows)[0]["layer"] == "fc2"
    assert by["fc1"]["snr_db"] > 25 and by["fc1"]["cosine"] > 0.99  # an ordinary layer
    assert by["fc2"]["snr_db"] < 5 and by["fc2"]["local_snr_db"] < 5  # int8 zeroes its output
    # fc3 inherits fc2's error (accumulated, low SNR) but adds little of its own
    assert by["fc3"]["snr_db"] < 15 and by["fc3"]["local_snr_db"] > 20
    kept = {r["layer"]: r for r in layer_numerics(model, (x[:1],), (x,), keep_fp32=["fc2"])}
    assert kept["fc2"]["snr_db"] > 25 and kept["fc4"]["snr_db"] > 25
    assert worst_layers(list(kept.values()))[0]["layer"] != "fc2"


@pytest.mark.slow  # a run: builds the int8 program with the debugger and measures it
def test_a_run_reports_the_numerics_and_suggests_keep_fp32(tmp_path):
    recipe = parse_recipe(
        recipe_dict(
            {"source": f"{MODELS_PY}:OneSensitiveLayer", "input_shape": TINY_DIGITS_SHAPE},
            [
                variant("int8", "pte", DEBUG, convert="export"),
                variant("int8-onnx", "onnx", DEBUG, convert="export"),
            ],
            data={"calibration_samples": 32, "eval_samples": 20},
            benchmark={"warmup": 1, "runs": 3},
        )
    )
    run_recipe(recipe, tmp_path, isolate=False, templates=False)
    on_disk = json.loads((tmp_path / "report.json").read_text())  # validated on write
    row = on_disk["variants"][0]
    assert row["error"] is None, row["error"]
    q = row["step_data"]["quantize"]
    assert [r["layer"] for r in q["numerics"]] == LAYERS
    assert set(q["numerics"][0]) == {"layer", "snr_db", "cosine", "local_snr_db"}
    assert q["numerics_worst"][0] == "fc2" and q["numerics_suggest"] == ["fc2"]
    assert any('try keep_fp32 = ["fc2"]' in n for n in row["notes"])
    assert not any("approximate" in n for n in row["notes"])
    onnx = on_disk["variants"][1]  # ONNX Runtime quantizes it: the figures are PT2E's
    assert onnx["error"] is None and onnx["step_data"]["quantize"]["numerics_worst"][0] == "fc2"
    assert any("not on this onnx variant's own quantizer" in n for n in onnx["notes"])
    html = (tmp_path / "report.html").read_text()
    assert "int8 numerical debugger: int8" in html and '<tr class="bad"><td>fc2</td>' in html


@pytest.mark.parametrize(
    ("fmt", "options", "words"),
    [
        ("pte", {"mode": "int8-dynamic", "debug": True}, ["debug applies to mode 'int8-static'"]),
        ("pte", {"mode": "fp16", "debug": True}, ["debug", "int8-static"]),
        ("pte", {"mode": "int8-static", "debug": "yes"}, ["debug"]),
    ],
)
def test_debug_is_refused_outside_int8_static(fmt, options, words):
    with pytest.raises(RecipeError) as e:
        parse_recipe(
            {
                "name": "r",
                "model": {"source": "builtin:digits-cnn"},
                "variant": [variant("bad", fmt, {"kind": "quantize", **options}, convert="export")],
            }
        )
    for w in words:
        assert w in str(e.value)
