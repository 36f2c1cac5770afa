"""``[benchmark] threads = [1, 2, ...]``: latency at every thread count, by the real pipeline.

Each runnable variant is measured at each count (a fresh runner in its own thread scope), the
first count stays the headline ``latency_ms``, and ``threads_scaling`` on the row records each
count with the thread count the runtime itself reported it ran with (ONNX Runtime's session
options, ExecuTorch's XNNPACK pool size, torch's intra-op count for eager). No timing value
is asserted, only that it was measured.
"""

from __future__ import annotations

import json

import pytest
import torch

from deploy_studio.core.cli import _print_results
from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import RecipeError
from deploy_studio.core.recipe import parse_recipe
from tests.conftest import run_cli
from tests.support.recipes import EAGER, ONNX, PTE, recipe_dict, write_recipe

COUNTS = [1, 2]


def _parse(threads):
    return parse_recipe(
        {"name": "r", "model": {"source": "builtin:digits-cnn"}, "benchmark": {"threads": threads}}
    )


def test_a_list_of_counts_is_read_and_written_back():
    r = _parse([2, 1, 4])
    assert r.benchmark.thread_counts == [2, 1, 4] and r.benchmark.headline_threads == 2
    assert parse_recipe(r.to_dict()).benchmark.threads == [2, 1, 4]
    assert r.benchmark.report_dict() == {
        "threads": 2,
        "warmup": 10,
        "runs": 50,
        "thread_counts": [2, 1, 4],
    }
    one = _parse(3)
    assert one.benchmark.thread_counts == [3] and not one.benchmark.scaling
    assert "thread_counts" not in one.benchmark.report_dict()


def test_the_window_changes_the_headline_count_only():
    r = _parse([1, 2, 4])
    r.benchmark.set_headline_threads(4)
    assert r.benchmark.threads == [4, 1, 2]


@pytest.mark.parametrize(
    ("threads", "words"),
    [
        ([], ["empty list"]),
        ([1, 2, 1], ["1 more than once"]),
        ([0, 2], [">= 1"]),
        ([1, 2.5], ["an integer or a list of integers"]),
        ([1, True], ["an integer or a list of integers"]),
        ("2", ["an integer or a list of integers"]),
        (0, [">= 1"]),
    ],
)
def test_bad_counts_are_refused_with_a_clear_message(threads, words):
    with pytest.raises(RecipeError) as e:
        _parse(threads)
    text = str(e.value)
    assert "[benchmark].threads" in text
    for w in words:
        assert w in text


@pytest.mark.slow  # a CLI subprocess
def test_the_cli_exits_2_on_repeated_counts(tiny_model_file, tmp_path):
    path = write_recipe(
        tmp_path / "r.toml", tiny_model_file, [EAGER], benchmark={"threads": [2, 2]}
    )
    r = run_cli("run", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "[benchmark].threads lists 2 more than once" in r.stderr + r.stdout


@pytest.mark.slow  # builds and measures three variants at two counts each
def test_every_runnable_variant_is_measured_at_every_count(tiny_model_file, tmp_path, capsys):
    recipe = parse_recipe(
        recipe_dict(
            tiny_model_file,
            [EAGER, PTE, ONNX],
            benchmark={"threads": COUNTS, "warmup": 1, "runs": 3},
        )
    )
    before = torch.get_num_threads()
    run_recipe(recipe, tmp_path, isolate=False, templates=False)
    assert torch.get_num_threads() == before  # every scope put torch's count back
    on_disk = json.loads((tmp_path / "report.json").read_text())  # validated on write
    assert on_disk["benchmark"]["threads"] == 1
    assert on_disk["benchmark"]["thread_counts"] == COUNTS
    for v in on_disk["variants"]:
        assert v["error"] is None, v["error"]
        scaling = v["threads_scaling"]
        assert [t["threads"] for t in scaling] == COUNTS
        # the count each runtime reported back, not the one asked for
        assert [t["applied"] for t in scaling] == COUNTS, v["name"]
        assert all(t["p50"] > 0 and t["p90"] >= t["p50"] and t["runs"] >= 3 for t in scaling)
        assert v["latency_ms"]["threads"] == 1
        assert scaling[0]["p50"] == v["latency_ms"]["p50"]  # the headline is the first count
    html = (tmp_path / "report.html").read_text()
    assert html.count("Thread scaling: ") == 3
    _print_results(on_disk, tmp_path)
    out = capsys.readouterr().out
    assert out.count("  threads: 1: p50 ") == 3 and "2: p50 " in out


def test_one_count_leaves_no_scaling_rows(tiny_model_file, tmp_path):
    recipe = parse_recipe(
        recipe_dict(tiny_model_file, [EAGER], benchmark={"threads": 1, "warmup": 1, "runs": 3})
    )
    run_recipe(recipe, tmp_path, isolate=False, templates=False)
    on_disk = json.loads((tmp_path / "report.json").read_text())
    assert "threads_scaling" not in on_disk["variants"][0]
    assert "thread_counts" not in on_disk["benchmark"]
    assert "Thread scaling" not in (tmp_path / "report.html").read_text()


@pytest.mark.parametrize(
    "scaling",
    [
        [],
        [{"threads": 0, "p50": 1.0, "p90": 1.0}],
        [{"threads": 1, "p50": 1.0}],
        [{"threads": 1, "p50": 1.0, "p90": 1.0, "speedup": 2}],
    ],
)
def test_the_schema_refuses_malformed_scaling_rows(scaling):
    from deploy_studio.core.report.model import VariantResult
    from deploy_studio.core.report.validate import ReportSchemaError, validate_variant_row

    row = VariantResult(name="v", format="pte")
    validate_variant_row(row.to_dict())
    row.threads_scaling = scaling
    with pytest.raises(ReportSchemaError, match="threads_scaling"):
        validate_variant_row(row.to_dict())
