"""Models that used to give silently wrong numbers: a tuple/dict output whose first entry is not
the logits, a trace that froze one branch, and archives saved in training mode."""

from __future__ import annotations

import pytest
import torch

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import ConversionError, ModelLoadError
from deploy_studio.core.models import ModelSpec, load_model
from tests.support.models import TrainModeNet, write_models
from tests.support.pipeline import Pipeline
from tests.support.recipes import recipe, variant


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return write_models(
        tmp_path_factory.mktemp("traps") / "traps.py", "FeaturesFirst", "Scores", "DataDependent"
    )


def _recipe(source, variants, output=None):
    model = {"source": source}
    if output is not None:
        model["output"] = output
    return recipe(
        model,
        variants,
        name="traps",
        data={"calibration_samples": 16, "eval_samples": 40},
        benchmark={"warmup": 1, "runs": 3},
    )


def test_first_tensor_of_a_tuple_is_said_and_output_chooses_another(models, tmp_path):
    first = load_model(ModelSpec(f"{models}:FeaturesFirst", input_shape=[1, 1, 28, 28]))
    assert first.output_key == 0 and first.output_shape == [1, 676]
    assert "using 0 as the model's output (the first tensor" in first.output_note
    chosen = load_model(
        ModelSpec(f"{models}:FeaturesFirst", input_shape=[1, 1, 28, 28], output="1")
    )
    assert chosen.output_key == 1 and chosen.output_shape == [1, 10]
    report = run_recipe(
        _recipe(f"{models}:Scores", [{"name": "onnx", "format": "onnx"}], output="scores"),
        tmp_path,
        isolate=False,
    )
    assert report["model"]["output"] == "scores" and report["model"]["output_shape"] == [1, 10]
    assert any("using 'scores'" in n and "'embedding' [1, 676]" in n for n in report["notes"])
    assert report["variants"][0]["parity"]["top1_agreement"] == 1.0


def test_a_wrong_output_name_lists_the_real_ones(models):
    with pytest.raises(ModelLoadError, match=r"'embedding' \[1, 676\], 'scores' \[1, 10\]"):
        load_model(ModelSpec(f"{models}:Scores", input_shape=[1, 1, 28, 28], output="logits"))


def test_a_trace_that_froze_a_branch_fails_with_the_users_line(models, tmp_path):
    report = run_recipe(
        _recipe(f"{models}:DataDependent", [{"name": "ptl", "format": "ptl", "convert": "trace"}]),
        tmp_path,
        isolate=False,
    )
    err = report["variants"][0]["error"]
    assert "froze one branch" in err and "traps.py" in err and 'convert = "script"' in err


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_int8_on_data_dependent_control_flow_gives_a_clean_message(models, tmp_path):
    int8 = _recipe(
        f"{models}:DataDependent",
        [variant("int8", "pte", {"kind": "quantize", "mode": "int8-static"})],
    )
    report = run_recipe(int8, tmp_path, isolate=True)
    err = report["variants"][0]["error"]
    assert "internal error" not in err and "bug in Deploy Studio" not in err
    assert "torch.export (needed by int8-static quantization) could not convert the model" in err
    assert "traceback" not in report["variants"][0]
    with pytest.raises(ConversionError):  # a typed error, in this process too
        Pipeline().build(int8, "int8", tmp_path / "inline")


@pytest.mark.parametrize("how", ["pt2", "trace", "script"])
def test_archives_saved_in_training_mode_are_refused_at_load(tmp_path, how):
    torch.manual_seed(0)
    net, x = TrainModeNet(), torch.randn(1, 1, 28, 28)
    for train in (True, False):
        net.train(train)
        path = tmp_path / f"{how}-{train}.{'pt2' if how == 'pt2' else 'pt'}"
        if how == "pt2":
            torch.export.save(torch.export.export(net, (x,)), str(path))
        else:
            (
                torch.jit.trace(net, x, check_trace=False)
                if how == "trace"
                else torch.jit.script(net)
            ).save(str(path))
        if train:
            with pytest.raises(ModelLoadError, match="training mode") as e:
                load_model(ModelSpec(str(path), input_shape=[1, 1, 28, 28]))
            assert "model.eval()" in e.value.hint
        else:
            assert load_model(ModelSpec(str(path), input_shape=[1, 1, 28, 28])).output_shape == [
                1,
                10,
            ]
