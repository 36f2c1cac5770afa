"""The distill step: a much smaller student learns from the tiny trained CNN (the teacher),
reports loss and held-out accuracy per epoch, can be cancelled, and bad setups are errors."""

from __future__ import annotations

import pytest
import torch

from deploy_studio.core.errors import Cancelled, ModelLoadError, RecipeError
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.recipe import parse_recipe
from deploy_studio.core.steps import _harness as h
from deploy_studio.core.training import accuracy

STUDENT_SRC = '''
import torch.nn as nn


class Student(nn.Module):
    """About 1/9 of the tiny teacher's parameters."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 3 * 3, 10)

    def forward(self, x):
        return self.fc(self.pool(self.relu(self.conv(x))).flatten(1))


class WrongClasses(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 3)

    def forward(self, x):
        return self.fc(x.flatten(1))
'''


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny():
    return h.trained_tiny_model()


@pytest.fixture(scope="module")
def student_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("students") / "students.py"
    path.write_text(STUDENT_SRC)
    return path


def _ctx(tiny, tmp_path, step, data=None, reporter=None):
    model, dataset = tiny
    return h.make_context(
        model,
        h.variant("student", "pte", step),
        tmp_path,
        data=data or dataset,
        eval_samples=300,
        **({"reporter": reporter} if reporter else {}),
    )


def test_student_is_small_accurate_and_reports_each_epoch(tiny, tmp_path, student_file):
    model, _ = tiny
    events = []
    ctx = _ctx(
        tiny,
        tmp_path,
        {
            "kind": "distill",
            "student": f"{student_file}:Student",
            "epochs": 8,
            "temperature": 4.0,
            "alpha": 0.7,
            "lr": 0.005,
        },
        reporter=Reporter(events.append),
    )
    h.run_steps(ctx)
    student_params = sum(p.numel() for p in ctx.module.parameters())
    assert student_params <= 0.15 * model.params
    x, y = ctx.eval_tensors()
    assert accuracy(ctx.module, x, y) >= 0.85  # a 750-parameter student, 8 epochs

    history = ctx.state["distill"]["history"]
    assert [r["epoch"] for r in history] == list(range(1, 9))
    assert all(r["loss"] > 0 and 0 <= r["eval_accuracy"] <= 1 for r in history)
    assert history[-1]["loss"] < history[0]["loss"]
    epoch_logs = [e.message for e in events if e.kind == "log" and e.stage == "distill"]
    assert len(epoch_logs) == 8 and "held-out accuracy" in epoch_logs[-1]
    assert any(e.kind == "progress" and e.stage == "distill" for e in events)
    assert ctx.state["distill"]["student_params"] == student_params
    assert any("distilled" in n and "teacher" in n for n in ctx.notes)

    art = h.write_artifact(ctx)  # the student goes through the normal export path
    out = h.outputs(h.runner(art), x[:50])
    assert float((out.argmax(1) == h.outputs(ctx.module, x[:50]).argmax(1)).float().mean()) >= 0.98


def test_distill_on_random_data_is_a_clear_error(tiny, tmp_path, student_file):
    ctx = _ctx(
        tiny, tmp_path, {"kind": "distill", "student": f"{student_file}:Student"}, data="random"
    )
    with pytest.raises(RecipeError, match="no labels"):
        h.run_steps(ctx)


def test_student_with_other_classes_is_rejected(tiny, tmp_path, student_file):
    ctx = _ctx(tiny, tmp_path, {"kind": "distill", "student": f"{student_file}:WrongClasses"})
    with pytest.raises(RecipeError, match="same number of classes"):
        h.run_steps(ctx)


def test_missing_student_is_a_load_error(tiny, tmp_path):
    ctx = _ctx(tiny, tmp_path, {"kind": "distill", "student": "builtin:no-such-model"})
    with pytest.raises(ModelLoadError):
        h.run_steps(ctx)


def test_cancel_stops_distillation(tiny, tmp_path, student_file):
    token = CancelToken()

    def on_event(e):
        if e.kind == "progress" and e.stage == "distill" and (e.fraction or 0) > 0.1:
            token.cancel()

    ctx = _ctx(
        tiny,
        tmp_path,
        {"kind": "distill", "student": f"{student_file}:Student", "epochs": 20},
        reporter=Reporter(on_event, token),
    )
    with pytest.raises(Cancelled):
        h.run_steps(ctx)


def test_recipe_errors():
    base = {"name": "r", "model": {"source": "builtin:digits-cnn"}}

    def variant(*steps):
        return {**base, "variant": [{"name": "a", "format": "pte", "steps": list(steps)}]}

    with pytest.raises(RecipeError, match="needs the option 'student'"):
        parse_recipe(variant({"kind": "distill"}))
    d = {"kind": "distill", "student": "builtin:digits-cnn-small"}
    with pytest.raises(RecipeError, match="distills twice"):
        parse_recipe(variant(d, d))
    with pytest.raises(RecipeError, match="quantize must come after prune and distill"):
        parse_recipe(variant({"kind": "quantize", "mode": "fp16"}, d))
    with pytest.raises(RecipeError, match="alpha must be <= 1.0"):
        parse_recipe(
            variant({"kind": "distill", "student": "builtin:digits-cnn-small", "alpha": 1.5})
        )
    with pytest.raises(RecipeError, match="unknown option 'teacher'"):
        parse_recipe(
            variant({"kind": "distill", "student": "builtin:digits-cnn-small", "teacher": "x"})
        )
