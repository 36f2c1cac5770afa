"""``tune --workers N`` / ``--ray ADDRESS``: the search space is built in parallel (local
worker processes, or tasks on a real local Ray with two CPUs), then measured one at a time,
and the report is the serial one apart from timings: same variants, same artifact bytes,
same sizes, accuracies and parity, and the same Pareto front and recommendation once the
serial run's latencies are put in (those two rank by latency)."""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import sys
import threading
from pathlib import Path

import pytest

from deploy_studio.core.errors import Cancelled, StudioError
from deploy_studio.core.gates import failed_variants
from deploy_studio.core.pareto import pareto_front, recommend
from deploy_studio.core.progress import Reporter
from deploy_studio.core.scaleout.prebuild import make_executor
from deploy_studio.core.tune import tune
from tests.support.pipeline import tiny_digits_model
from tests.support.recipes import recipe as make_recipe
from tests.support.recipes import variant

SPACE = {
    "formats": ["pte", "onnx"],
    "modes": [None, "int8-static"],
    "amounts": [0.5],
    "distill": False,
}
BUDGET = 0.02
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def recipe():
    return make_recipe(
        tiny_digits_model(),
        [variant("a", "pte"), variant("b", "onnx")],
        name="tiny scale-out",
        data={"calibration_samples": 32, "eval_samples": 200},
        benchmark={"warmup": 2, "runs": 5},
    )


@pytest.fixture(scope="module")
def serial(recipe, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return out, tune(recipe, out, max_accuracy_drop=BUDGET, **SPACE)


def _digests(out: Path, report: dict) -> dict[str, dict[str, str]]:
    return {
        r["name"]: {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in r["files"]}
        for r in report["variants"]
        if r["format"] != "eager"
    }


def _decisions(report: dict, timed: dict) -> tuple[list[str], str | None]:
    """The Pareto front and the recommendation of ``report``'s rows with ``timed``'s latencies
    (over ``timed``'s survivors of stage 1: the halving ranks by latency too)."""
    latency = {r["name"]: r["latency_ms"] for r in timed["variants"]}
    kept = set(timed["tune"]["stages"][0]["kept"])
    rows = [
        {**r, "latency_ms": latency[r["name"]]} for r in report["variants"] if r["name"] in kept
    ]
    failed = failed_variants(timed["gates"])
    return pareto_front(rows), recommend(rows, report["baseline"]["accuracy"], BUDGET, failed)


def assert_same_as_serial(serial, out: Path, report: dict) -> None:
    s_out, s = serial
    assert [r["name"] for r in report["variants"]] == [r["name"] for r in s["variants"]]
    for got, want in zip(report["variants"], s["variants"], strict=True):
        assert not got["error"], got["error"]
        for key in ("format", "files", "size_bytes", "params", "accuracy", "parity", "steps"):
            assert got[key] == want[key], (got["name"], key)
        counted = ("flops", "weight_bytes", "intensity", "method")  # the cost's untimed part
        assert {k: (got["cost"] or {}).get(k) for k in counted} == {
            k: (want["cost"] or {}).get(k) for k in counted
        }, got["name"]
    assert _digests(out, report) == _digests(s_out, s)  # the same bytes
    assert _decisions(report, s) == (s["pareto"], s["recommended"])
    assert report["tune"]["variants"] == s["tune"]["variants"]
    assert report["tune"]["basis"] == s["tune"]["basis"] == "accuracy"
    assert not (out / ".prebuilt").exists()  # the hand-off is cleaned up


@pytest.mark.slow  # several builds in two worker processes, then the serial measurements
def test_two_local_workers_give_the_serial_report(recipe, serial, tmp_path):
    logs = []
    reporter = Reporter(lambda e: logs.append(e.message) if e.kind == "log" else None)
    report = tune(
        recipe,
        tmp_path,
        max_accuracy_drop=BUDGET,
        executor=make_executor(2),
        reporter=reporter,
        **SPACE,
    )
    assert_same_as_serial(serial, tmp_path, report)
    assert any("2 local worker processes" in m for m in logs)
    taken = sum("built by a parallel worker" in m for m in logs)
    assert 0 < taken <= len(report["variants"]) - 1  # a blocked prefix leaves its builds unused


@pytest.mark.slow  # a real Ray with two CPUs: its start, then the builds as tasks
def test_a_local_ray_with_two_cpus_gives_the_serial_report(recipe, serial, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        executor = make_executor(ray="auto")  # Ray is initialised here: that one is used
        report = tune(recipe, tmp_path, max_accuracy_drop=BUDGET, executor=executor, **SPACE)
        executor.close()
        assert ray.is_initialized()  # the test's Ray is the test's to end
    finally:
        ray.shutdown()
    assert_same_as_serial(serial, tmp_path, report)


@pytest.mark.slow  # starts two build workers
def test_cancel_stops_the_build_workers(recipe, tmp_path):
    reporter = Reporter()

    def cancel_on_first_build_step(event) -> None:
        if event.kind == "progress" and event.stage.startswith(("step", "export")):
            reporter.cancel.cancel()

    reporter.callback = cancel_on_first_build_step
    with pytest.raises(Cancelled):
        tune(recipe, tmp_path, executor=make_executor(2), reporter=reporter, **SPACE)
    threading.Event().wait(0.5)
    assert not [p for p in mp.active_children() if p.is_alive()]
    assert not (tmp_path / ".prebuilt").exists()
    assert (
        not list((tmp_path / "artifacts").glob("*")) if (tmp_path / "artifacts").exists() else True
    )


@pytest.mark.slow  # starts two build workers
def test_a_time_budget_stops_building_ahead(recipe, tmp_path):
    """Past 60 % of --time-budget no build is started ahead and those in flight are ended;
    the serial stage then skips what does not fit, and the report says so."""
    logs: list[str] = []
    reporter = Reporter(lambda e: logs.append(e.message or "") if e.kind == "log" else None)
    report = tune(
        recipe,
        tmp_path,
        executor=make_executor(2),
        reporter=reporter,
        time_budget=1.0,
        **SPACE,
    )
    stopped = [m for m in logs if m.startswith("time budget: building ahead stopped after")]
    assert len(stopped) == 1, logs
    assert report["tune"]["skipped"], report["tune"]
    threading.Event().wait(0.5)
    assert not [p for p in mp.active_children() if p.is_alive()]
    assert not (tmp_path / ".prebuilt").exists()


def test_executor_flags():
    assert make_executor() is None and make_executor(1) is None  # today's serial path
    assert make_executor(3).workers == 3
    with pytest.raises(StudioError, match="at least 1"):
        make_executor(0)
    with pytest.raises(StudioError, match="exclude each other"):
        make_executor(2, "auto")


def test_ray_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an install without the extra has
    with pytest.raises(StudioError) as e:
        make_executor(ray="auto")
    assert 'pip install -e ".[ray]"' in e.value.hint


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--workers", "-2"], "--workers must be at least 1"),
        (["--workers", "2", "--ray", "auto"], "--workers and --ray exclude each other"),
        (["--ray", " "], "--ray needs an address"),
    ],
)
def test_cli_rejects_bad_scaleout_flags(flags, said, tmp_path, capsys):
    from deploy_studio.core.cli import main

    recipe = str(ROOT / "resources" / "recipes" / "demo.toml")
    code = main(["tune", recipe, "--out", str(tmp_path / "out"), *flags])
    err = capsys.readouterr().err
    assert code == 2 and said in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_without_ray_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    from deploy_studio.core.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)
    recipe = str(ROOT / "resources" / "recipes" / "demo.toml")
    code = main(["tune", recipe, "--out", str(tmp_path / "out"), "--ray", "auto"])
    err = capsys.readouterr().err
    assert code == 2 and 'pip install -e ".[ray]"' in err


def test_cli_without_a_ray_cluster_says_how_to_start_one(tmp_path, capsys, monkeypatch):
    pytest.importorskip("ray")
    from deploy_studio.core.cli import main

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    recipe = str(ROOT / "resources" / "recipes" / "demo.toml")
    code = main(["tune", recipe, "--out", str(tmp_path / "out"), "--ray", "127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot connect to a Ray cluster" in err and "ray start --head" in err
    assert not (tmp_path / "out").exists()
