"""The worker owns the session: one per run, the model loaded once in it, restarted after a
crash or a cancel; thread counts come back after every measurement."""

from __future__ import annotations

import threading

import pytest
import torch

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import Cancelled
from deploy_studio.core.progress import CancelToken, Reporter
from deploy_studio.core.worker import InlineWorker, Worker
from deploy_studio.core.worker.requests import LoadModel, Prepare
from tests.conftest import run_cli

VARIANTS = [
    {"name": "fp32-eager", "format": "eager"},
    {"name": "fp32-pte", "format": "pte"},
    {"name": "fp32-onnx", "format": "onnx"},
]


def _loads(events) -> int:
    return sum(
        1 for e in events if e.kind == "progress" and e.stage == "load model" and e.fraction == 0.0
    )


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_a_run_starts_one_worker_and_loads_the_model_once_in_it(tiny_recipe, tmp_path):
    events = []
    report = run_recipe(
        tiny_recipe(VARIANTS), tmp_path, reporter=Reporter(events.append), templates=False
    )
    assert [v["error"] for v in report["variants"]] == [None, None, None]
    assert sum(1 for e in events if e.kind == "log" and "worker started" in e.message) == 1
    assert _loads(events) == 1


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_the_cli_run_says_one_worker(tiny_recipe, tmp_path):
    path = tiny_recipe(VARIANTS).save(tmp_path / "r.toml")
    r = run_cli("run", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("worker started") == 1


def test_thread_counts_are_restored_after_measuring(tiny_recipe, tmp_path):
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        recipe = tiny_recipe(VARIANTS, benchmark={"threads": 1, "warmup": 1, "runs": 3})
        run_recipe(recipe, tmp_path, isolate=False, templates=False)  # measured in this process
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_the_worker_restarts_after_a_cancel_and_rebuilds_its_session(tiny_recipe):
    worker = Worker()
    recipe = tiny_recipe(VARIANTS)
    try:
        cancel = CancelToken()
        started = threading.Event()
        threading.Thread(target=lambda: (started.wait(60), cancel.cancel())).start()
        with pytest.raises(Cancelled):
            worker.call(Prepare(recipe), lambda e: started.set(), cancel)
        assert not worker.alive
        info = worker.call(Prepare(recipe))  # a new process, the same answer
        assert (
            worker.starts == 2 and info.model["output_shape"] == [1, 10] and info.model_loads == 1
        )
        assert worker.call(LoadModel(recipe.model))["summary"]["params"] == info.model["params"]
    finally:
        worker.close()


def test_inline_and_process_workers_answer_alike(tiny_recipe):
    recipe = tiny_recipe(VARIANTS)
    worker = Worker()
    try:
        a = worker.call(Prepare(recipe))
    finally:
        worker.close()
    b = InlineWorker().call(Prepare(recipe))
    assert (
        a.baseline_accuracy == b.baseline_accuracy
        and a.warnings == b.warnings
        and a.model == b.model
    )


def test_typed_errors_keep_their_type_and_fields_across_the_process_boundary(tmp_path):
    """A caller recognises an error by its type, never by its wording: the worker sends the
    class name and fields, the parent rebuilds the same class."""
    from deploy_studio.core.errors import InputShapeUnknown, ModelLoadError, UntrustedPickleError
    from deploy_studio.core.models.loaded import ModelSpec
    from deploy_studio.core.worker.process import JobFailed, error_dict, error_from

    weights = error_from(error_dict(UntrustedPickleError("m", "h", trust_helps=False)))
    assert type(weights) is UntrustedPickleError and weights.trust_helps is False
    assert (weights.message, weights.hint) == ("m", "h")
    try:
        raise ValueError("a bug")
    except ValueError as e:
        bug = error_from(error_dict(e))
    assert type(bug) is JobFailed and "ValueError" in bug.traceback_text

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2)).eval()
    archive = tmp_path / "scripted.pt"
    torch.jit.trace(net, torch.zeros(1, 4)).save(str(archive))
    worker = Worker()
    try:
        with pytest.raises(InputShapeUnknown) as e:  # a TorchScript archive does not say
            worker.call(LoadModel(ModelSpec(str(archive))))
        assert isinstance(e.value, ModelLoadError) and "--input-shape" in e.value.hint
        summary = worker.call(LoadModel(ModelSpec(str(archive), input_shape=[1, 4])))["summary"]
        assert summary["output_shape"] == [1, 2]
    finally:
        worker.close()
