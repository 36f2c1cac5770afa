"""Models that used to give silently wrong numbers: a tuple/dict output whose first entry is not
the logits, a trace that froze one branch, and archives saved in training mode."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import ConversionError, ModelLoadError
from deploy_studio.core.models import ModelSpec, load_model
from deploy_studio.core.recipe import parse_recipe

MODELS_SRC = '''
import torch
import torch.nn as nn


class FeaturesFirst(nn.Module):
    """Returns (features, logits): the first tensor is NOT the logits."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 4, 3, stride=2)
        self.fc = nn.Linear(4 * 13 * 13, 10)

    def forward(self, x):
        f = torch.relu(self.conv(x)).flatten(1)
        return f, self.fc(f)


class Scores(FeaturesFirst):
    """A dict without a "logits" key."""

    def forward(self, x):
        f, y = super().forward(x)
        return {"embedding": f, "scores": y}


class Branchy(nn.Module):
    """Control flow on a tensor value: a trace keeps only the branch its example took."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        y = self.fc(x.flatten(1))
        if y.sum() > 0:
            return y * 2
        return -y
'''


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    path = tmp_path_factory.mktemp("traps") / "traps.py"
    path.write_text(MODELS_SRC)
    return path


def _recipe(source, variants, output=None):
    model = {"source": source, "input_shape": [1, 1, 28, 28]}
    if output is not None:
        model["output"] = output
    return parse_recipe(
        {
            "name": "traps",
            "model": model,
            "data": {"source": "builtin:digits", "calibration_samples": 16, "eval_samples": 40},
            "benchmark": {"threads": 1, "warmup": 1, "runs": 3},
            "variant": variants,
        }
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
        _recipe(f"{models}:Branchy", [{"name": "ptl", "format": "ptl", "convert": "trace"}]),
        tmp_path,
        isolate=False,
    )
    err = report["variants"][0]["error"]
    assert "froze one branch" in err and "traps.py" in err and 'convert = "script"' in err


def test_int8_on_data_dependent_control_flow_gives_a_clean_message(models, tmp_path):
    report = run_recipe(
        _recipe(
            f"{models}:Branchy",
            [
                {
                    "name": "int8",
                    "format": "pte",
                    "steps": [{"kind": "quantize", "mode": "int8-static"}],
                }
            ],
        ),
        tmp_path,
        isolate=True,
    )
    err = report["variants"][0]["error"]
    assert "internal error" not in err and "bug in Deploy Studio" not in err
    assert "torch.export (needed by int8-static quantization) could not convert the model" in err
    assert "traceback" not in report["variants"][0]
    with pytest.raises(ConversionError):
        from deploy_studio.core.steps.quantize import capture

        capture(
            load_model(ModelSpec(f"{models}:Branchy", input_shape=[1, 1, 28, 28])).module,
            torch.randn(1, 1, 28, 28),
        )


class _TrainNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return self.fc(self.drop(self.bn(self.conv(x))).flatten(1))


@pytest.mark.parametrize("how", ["pt2", "trace", "script"])
def test_archives_saved_in_training_mode_are_refused_at_load(tmp_path, how):
    torch.manual_seed(0)
    net, x = _TrainNet(), torch.randn(1, 1, 28, 28)
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
