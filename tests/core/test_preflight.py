"""Everything a recipe can get wrong is found before the first build, not after minutes of others."""

from __future__ import annotations

import pytest

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import RecipeError
from deploy_studio.core.recipe import load_recipe
from tests.conftest import run_cli
from tests.support.models import write_models
from tests.support.recipes import ONNX, recipe, variant, write_recipe


def _write(folder, tiny_model_file, *variants: dict):
    """A recipe file beside student.py (Student, WrongClasses) with fp32-onnx and ``variants``."""
    write_models(folder / "student.py", "Student", "WrongClasses")
    return write_recipe(
        folder / "r.toml",
        tiny_model_file,
        [ONNX, *variants],
        name="p",
        data={"calibration_samples": 16, "eval_samples": 40},
        benchmark={"warmup": 1, "runs": 3},
    )


def _distill(name: str, student: str) -> dict:
    return variant(name, "onnx", {"kind": "distill", "student": student, "epochs": 1})


def test_a_student_path_relative_to_the_recipe_is_found(tmp_path, tiny_model_file, monkeypatch):
    path = _write(tmp_path, tiny_model_file, _distill("student", "student.py:Student"))
    monkeypatch.chdir(tmp_path.parent)  # the recipe's folder, not the working folder, resolves it
    recipe = load_recipe(path)
    assert recipe.variants[1].steps[0].options["student"] == f"{tmp_path / 'student.py'}:Student"
    report = run_recipe(recipe, tmp_path / "out", isolate=False)
    assert [r["error"] for r in report["variants"]] == [None, None]
    assert "student.py:Student" in " ".join(report["variants"][1]["notes"])


def test_every_problem_is_reported_at_once_before_any_build(tmp_path, tiny_model_file):
    path = _write(
        tmp_path,
        tiny_model_file,
        variant("keep", "pte", {"kind": "quantize", "mode": "int8-static", "keep_fp32": ["fc9"]}),
        _distill("wrong-student", "student.py:WrongClasses"),
        _distill("missing-student", "nowhere.py:Net"),
    )
    with pytest.raises(RecipeError) as e:
        run_recipe(load_recipe(path), tmp_path / "out", isolate=False)
    msg = e.value.message
    assert "3 problems found before building anything" in msg
    assert "keep_fp32 names layers the model does not have: 'fc9'" in msg
    assert "outputs [1, 3], the teacher [1, 10]" in msg
    assert "nowhere.py does not exist" in msg
    assert not (tmp_path / "out" / "artifacts").exists()  # nothing was built
    r = run_cli("run", str(path), "--out", str(tmp_path / "cli"))
    assert r.returncode == 2 and "3 problems found" in r.stderr and "Traceback" not in r.stderr


def test_training_steps_on_unlabelled_data_fail_before_building(tmp_path, tiny_model_file):
    pruned = recipe(
        tiny_model_file,
        [variant("pruned", "onnx", {"kind": "prune", "amount": 0.3, "finetune_epochs": 1})],
        name="p",
        data={"source": "random", "calibration_samples": 8, "eval_samples": 8},
    )
    with pytest.raises(RecipeError, match="has no labels"):
        run_recipe(pruned, tmp_path / "out", isolate=False)


def test_preflight_loads_the_student_the_build_trains():
    """A narrower student of the teacher's own torchvision source keeps its init_args
    (num_classes = 10), in preflight as in the distill step: both use ``student_spec``."""

    from deploy_studio.core.models import ModelSpec, load_model
    from deploy_studio.core.models.narrow import student_spec

    teacher = ModelSpec(
        "torchvision:mobilenet_v3_small", input_shape=[1, 3, 64, 64], init_args={"num_classes": 10}
    )
    source, init_args = student_spec(teacher, {"student": teacher.source, "width": 0.5})
    assert source == teacher.source and init_args == {"num_classes": 10, "width_mult": 0.5}
    student = load_model(ModelSpec(source, input_shape=[1, 3, 64, 64], init_args=init_args))
    assert list(student.output_shape) == [1, 10]
