"""The shallower (layer-dropping) student: which blocks real architectures can leave out, the
student keeps the teacher's weights, and the distill step trains it (``depth`` < 1)."""

from __future__ import annotations

import pytest
import torch
import torchvision

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.models.shallow import keep_evenly, removable_blocks, shallower
from tests.support.models import MODELS_PY, ResidualDigitsNet, TinyDigitsNet
from tests.support.pipeline import Pipeline, steps_recipe
from tests.support.recipes import variant

X64 = torch.zeros(1, 3, 64, 64)


def test_keep_evenly_rounds_down_and_spreads_from_the_first():
    assert keep_evenly(3, 0.5) == [0]
    assert keep_evenly(7, 0.5) == [0, 2, 4]
    assert keep_evenly(4, 0.5) == [0, 2]
    assert keep_evenly(1, 0.5) == []
    assert keep_evenly(5, 1.0) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("arch", "stages"),
    [
        # every stage's first block changes the shape (stride 2, more channels): never listed
        (
            "resnet18",
            {
                "layer1": ["layer1.0", "layer1.1"],
                "layer2": ["layer2.1"],
                "layer3": ["layer3.1"],
                "layer4": ["layer4.1"],
            },
        ),
        (
            "shufflenet_v2_x0_5",
            {
                "stage2": [f"stage2.{i}" for i in range(1, 4)],
                "stage3": [f"stage3.{i}" for i in range(1, 8)],
                "stage4": [f"stage4.{i}" for i in range(1, 4)],
            },
        ),
    ],
)
def test_removable_blocks_of_torchvision_stages(arch, stages):
    model = getattr(torchvision.models, arch)(num_classes=10).eval()
    assert removable_blocks(model, X64) == stages


def test_mobilenet_blocks_inside_a_stage_are_not_cut_up():
    """A depthwise conv keeps its shape too, but it is a layer of a block, not a block."""
    model = torchvision.models.mobilenet_v3_small(num_classes=10).eval()
    found = removable_blocks(model, X64)
    assert list(found) == ["features"]
    assert all(p.count(".") == 1 for p in found["features"])
    assert "features.0" not in found["features"]  # the stem changes the shape


def test_student_keeps_the_teachers_weights_and_runs():
    torch.manual_seed(0)
    teacher = torchvision.models.resnet18(num_classes=10).eval()
    student, dropped = shallower(teacher, 0.5, X64)
    assert dropped == ["layer1.1", "layer2.1", "layer3.1", "layer4.1"]
    assert isinstance(student.layer3[1], torch.nn.Identity)
    assert torch.equal(student.layer3[0].conv1.weight, teacher.layer3[0].conv1.weight)
    assert student.layer3[0].conv1.weight is not teacher.layer3[0].conv1.weight  # a copy
    assert isinstance(teacher.layer3[1], torchvision.models.resnet.BasicBlock)  # untouched
    assert student(torch.randn(2, 3, 64, 64)).shape == (2, 10)
    params = sum(p.numel() for p in student.parameters())
    assert params < 0.5 * sum(p.numel() for p in teacher.parameters())


def test_a_stage_made_only_of_blocks_keeps_one():
    student, dropped = shallower(ResidualDigitsNet().eval(), 0.1, torch.zeros(1, 1, 8, 8))
    assert dropped == ["stage.1", "stage.2", "stage.3"]
    assert not isinstance(student.stage[0], torch.nn.Identity)


def test_no_repeated_blocks_is_a_clear_error():
    with pytest.raises(RecipeError, match="no repeated blocks"):
        shallower(TinyDigitsNet().eval(), 0.5, torch.zeros(1, 1, 8, 8))


def test_distill_step_with_depth_trains_the_layer_dropped_teacher(tmp_path):
    model = {"source": f"{MODELS_PY}:ResidualDigitsNet", "input_shape": [1, 1, 8, 8]}
    step = {
        "kind": "distill",
        "student": f"{MODELS_PY}:ResidualDigitsNet",
        "depth": 0.5,
        "epochs": 1,
        "lr": 0.001,
    }
    recipe = steps_recipe(variant("shallow", "pte", step), model=model)
    built = Pipeline().build(recipe, "shallow", tmp_path)
    state = built.state["distill"]
    assert state["dropped_blocks"] == ["stage.1", "stage.3"]
    assert state["depth"] == 0.5
    assert state["student_params"] < state["teacher_params"]
    assert isinstance(built.module.stage[1], torch.nn.Identity)
    assert any("2 repeated block(s) left out (stage.1, stage.3)" in n for n in built.notes)
    assert built.agreement(50, against=built.module_outputs(50)) >= 0.98  # ExecuTorch = eager


def test_distill_depth_on_a_model_without_blocks_names_the_variant(tmp_path):
    step = {"kind": "distill", "student": f"{MODELS_PY}:TinyDigitsNet", "depth": 0.5}
    recipe = steps_recipe(variant("flat", "pte", step))
    with pytest.raises(RecipeError, match=r"variant .flat.*no repeated blocks"):
        Pipeline().build(recipe, "flat", tmp_path)
