"""Everything a recipe can get wrong is found before the first build, not after minutes of others."""

from __future__ import annotations

import pytest

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import RecipeError
from deploy_studio.core.recipe import load_recipe, parse_recipe
from tests.conftest import run_cli

STUDENT_SRC = """
import torch.nn as nn


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1))


class WrongClasses(Student):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 3)
"""


def _write(folder, tiny_model_file, variants: str, data: str = "builtin:digits"):
    (folder / "student.py").write_text(STUDENT_SRC)
    path = folder / "r.toml"
    path.write_text(
        f'name = "p"\n[model]\nsource = "{tiny_model_file}:TinyNet"\ninput_shape = [1, 1, 28, 28]\n'
        f'[data]\nsource = "{data}"\ncalibration_samples = 16\neval_samples = 40\n'
        "[benchmark]\nthreads = 1\nwarmup = 1\nruns = 3\n"
        '[[variant]]\nname = "fp32-onnx"\nformat = "onnx"\n' + variants
    )
    return path


def test_a_student_path_relative_to_the_recipe_is_found(tmp_path, tiny_model_file, monkeypatch):
    path = _write(
        tmp_path,
        tiny_model_file,
        '[[variant]]\nname = "student"\nformat = "onnx"\n'
        'steps = [{ kind = "distill", student = "student.py:Student", epochs = 1 }]\n',
    )
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
        '[[variant]]\nname = "keep"\nformat = "pte"\n'
        'steps = [{ kind = "quantize", mode = "int8-static", keep_fp32 = ["fc9"] }]\n'
        '[[variant]]\nname = "wrong-student"\nformat = "onnx"\n'
        'steps = [{ kind = "distill", student = "student.py:WrongClasses", epochs = 1 }]\n'
        '[[variant]]\nname = "missing-student"\nformat = "onnx"\n'
        'steps = [{ kind = "distill", student = "nowhere.py:Net", epochs = 1 }]\n',
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
    recipe = parse_recipe(
        {
            "name": "p",
            "model": {"source": f"{tiny_model_file}:TinyNet", "input_shape": [1, 1, 28, 28]},
            "data": {"source": "random", "calibration_samples": 8, "eval_samples": 8},
            "variant": [
                {
                    "name": "pruned",
                    "format": "onnx",
                    "steps": [{"kind": "prune", "amount": 0.3, "finetune_epochs": 1}],
                }
            ],
        }
    )
    with pytest.raises(RecipeError, match="has no labels"):
        run_recipe(recipe, tmp_path / "out", isolate=False)
