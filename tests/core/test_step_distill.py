"""The distill step: a much smaller student learns from the tiny trained CNN (the teacher),
reports loss and held-out accuracy per epoch, can be cancelled, and bad setups are errors."""

from __future__ import annotations

import pytest
import torch

from deploy_studio.core.errors import Cancelled, ModelLoadError, RecipeError
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.recipe import parse_recipe
from tests.support.models import write_models
from tests.support.pipeline import Pipeline, steps_recipe
from tests.support.recipes import variant


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline()


@pytest.fixture(scope="module")
def student_file(tmp_path_factory):
    return write_models(
        tmp_path_factory.mktemp("students") / "students.py", "Student", "WrongClasses"
    )


def _build(pipeline, tmp_path, step, data="builtin:digits", reporter=None):
    recipe = steps_recipe(variant("student", "pte", step), data=data)
    return pipeline.build(recipe, "student", tmp_path, reporter)


def test_student_is_small_accurate_and_reports_each_epoch(pipeline, tmp_path, student_file):
    events = []
    built = _build(
        pipeline,
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
    student_params = sum(p.numel() for p in built.module.parameters())
    assert student_params <= 0.15 * built.session.model.params
    assert built.ctx.params == student_params  # what the report's params column says
    assert built.accuracy(eager=True) >= 0.85  # an 810-parameter student, 8 epochs

    history = built.state["distill"]["history"]
    assert [r["epoch"] for r in history] == list(range(1, 9))
    assert all(r["loss"] > 0 and 0 <= r["eval_accuracy"] <= 1 for r in history)
    assert history[-1]["loss"] < history[0]["loss"]
    epoch_logs = [e.message for e in events if e.kind == "log" and e.stage == "distill"]
    assert len(epoch_logs) == 8 and "held-out accuracy" in epoch_logs[-1]
    assert any(e.kind == "progress" and e.stage == "distill" for e in events)
    assert built.state["distill"]["student_params"] == student_params
    assert any("distilled" in n and "teacher" in n for n in built.notes)

    # the student went through the normal export path: ExecuTorch runs what eager measured
    assert built.artifact.runtime is not None  # it runs on this host
    assert built.agreement(50, against=built.module_outputs(50)) >= 0.98


def test_distill_on_random_data_is_a_clear_error(pipeline, tmp_path, student_file):
    with pytest.raises(RecipeError, match="no labels"):
        _build(
            pipeline,
            tmp_path,
            {"kind": "distill", "student": f"{student_file}:Student"},
            data="random",
        )


def test_student_with_other_classes_is_rejected(pipeline, tmp_path, student_file):
    with pytest.raises(RecipeError, match="same number of classes"):
        _build(pipeline, tmp_path, {"kind": "distill", "student": f"{student_file}:WrongClasses"})


def test_missing_student_is_a_load_error(pipeline, tmp_path):
    with pytest.raises(ModelLoadError):
        _build(pipeline, tmp_path, {"kind": "distill", "student": "builtin:no-such-model"})


def test_cancel_stops_distillation(pipeline, tmp_path, student_file):
    token = CancelToken()

    def on_event(e):
        if e.kind == "progress" and e.stage == "distill" and (e.fraction or 0) > 0.1:
            token.cancel()

    with pytest.raises(Cancelled):
        _build(
            pipeline,
            tmp_path,
            {"kind": "distill", "student": f"{student_file}:Student", "epochs": 20},
            reporter=Reporter(on_event, token),
        )
    assert not list(tmp_path.glob("*.pte"))


def test_recipe_errors():
    base = {"name": "r", "model": {"source": "builtin:digits-cnn"}}

    def recipe_with(*steps):
        return {**base, "variant": [variant("a", "pte", *steps)]}

    with pytest.raises(RecipeError, match="needs the option 'student'"):
        parse_recipe(recipe_with({"kind": "distill"}))
    d = {"kind": "distill", "student": "builtin:digits-cnn-small"}
    with pytest.raises(RecipeError, match="distills twice"):
        parse_recipe(recipe_with(d, d))
    with pytest.raises(RecipeError, match="quantize must come after prune and distill"):
        parse_recipe(recipe_with({"kind": "quantize", "mode": "fp16"}, d))
    with pytest.raises(RecipeError, match=r"alpha must be <= 1.0"):
        parse_recipe(
            recipe_with({"kind": "distill", "student": "builtin:digits-cnn-small", "alpha": 1.5})
        )
    with pytest.raises(RecipeError, match="unknown option 'teacher'"):
        parse_recipe(
            recipe_with({"kind": "distill", "student": "builtin:digits-cnn-small", "teacher": "x"})
        )
