"""Recipe parsing: exact keys, typed values, early rejection of impossible variants, round trip."""

from __future__ import annotations

import pytest

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.recipe import load_recipe, parse_recipe
from tests.conftest import ROOT

BASE = {"model": {"source": "builtin:digits-cnn"}}


def recipe(**kw):
    d = {**BASE, **kw}
    return parse_recipe(d)


def test_demo_recipe_parses_with_defaults():
    r = load_recipe(ROOT / "resources/recipes/demo.toml")
    assert [v.name for v in r.variants][:4] == ["fp32-eager", "fp32-pte", "fp32-ptl", "fp32-onnx"]
    assert r.data.eval_samples == 500 and r.benchmark.threads == [1, 2, 4]
    assert r.benchmark.headline_threads == 1 and r.benchmark.profile is True
    assert [t.platform for t in r.export.templates] == ["android", "ios", "web"]


@pytest.mark.parametrize(
    "d,match,hint",
    [
        ({"modle": {}}, "unknown key 'modle'", "model"),
        (
            {"data": {"source": "builtin:digits", "eval": 5}},
            "unknown key 'eval' in \\[data\\]",
            "eval_samples",
        ),
        ({"data": {"source": "hub:x"}}, "not a data source", "mnist:DIR"),
        ({"benchmark": {"threads": "two"}}, "threads must be an integer", None),
        ({"benchmark": {"runs": 0}}, "runs must be >= 1", None),
        ({"gates": {"min_top1_agreement": 1.5}}, "min_top1_agreement must be <= 1", None),
        ({"gates": {"max_latency_ms": 0}}, "max_latency_ms must be > 0", None),
        (
            {"model": {"source": "builtin:digits-cnn", "output": [1]}},
            "output must be text or an integer",
            None,
        ),
        (
            {"variant": [{"name": "a", "format": "tensorflow"}]},
            "unknown format 'tensorflow'",
            "tflite",
        ),
        (
            {"variant": [{"name": "a", "format": "pte", "convert": "trace"}]},
            "cannot be made with convert = 'trace'",
            "export",
        ),
        (
            {"variant": [{"name": "a", "format": "ptl", "convert": "export"}]},
            "cannot be made with convert = 'export'",
            "trace",
        ),
        ({"variant": [{"name": "a"}, {"name": "a"}]}, "two variants are named 'a'", None),
        ({"variant": [{"name": "a", "colour": 1}]}, "unknown key 'colour'", "format"),
        (
            {"variant": [{"name": "a", "format": "pte", "steps": [{"kind": "sparsify"}]}]},
            "unknown step kind 'sparsify'",
            None,
        ),
        ({"export": {"templates": ["symbian"]}}, "unknown platform 'symbian'", "android"),
        (
            {"export": {"templates": [{"platform": "web", "runtime": "executorch"}]}},
            "web has no runtime 'executorch'",
            "onnxruntime-web",
        ),
        ({"gates": {"max_acc_drop": 0.1}}, "unknown key 'max_acc_drop'", "max_accuracy_drop"),
        ({"model": {"source": "builtin:digits-cnn", "input_shape": [1, -1]}}, "input_shape", None),
    ],
)
def test_bad_recipes_name_the_key_and_alternatives(d, match, hint):
    with pytest.raises(RecipeError, match=match) as e:
        recipe(**d)
    if hint:
        assert hint in e.value.hint or hint in e.value.message


def test_invalid_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x\n[model")
    with pytest.raises(RecipeError, match="not valid TOML"):
        load_recipe(bad)
    with pytest.raises(RecipeError, match="does not exist"):
        load_recipe(tmp_path / "nope.toml")


def test_round_trip_and_relative_paths(tmp_path, tiny_model_file):
    (tmp_path / "m.py").write_text(tiny_model_file.read_text())
    (tmp_path / "r.toml").write_text(
        'name = "t"\n[model]\nsource = "m.py:TinyNet"\ninput_shape = [1, 1, 28, 28]\n'
        '[[variant]]\nname = "e"\nformat = "eager"\n[[variant]]\nname = "p"\nformat = "pte"\n'
        '[export]\ntemplates = ["web", { platform = "android", runtime = "pytorch-lite" }]\n[gates]\nmax_latency_ms = 5.0\n'
    )
    r = load_recipe(tmp_path / "r.toml")
    assert r.model.source == f"{tmp_path / 'm.py'}:TinyNet"
    saved = r.save(tmp_path / "again.toml")
    r2 = load_recipe(saved)
    assert r2.to_dict() == r.to_dict()
    assert r2.export.templates[1].runtime == "pytorch-lite" and r2.gates.max_latency_ms == 5.0


DESIGN = ROOT.parent / "shared" / "DESIGN.md"


@pytest.mark.skipif(not DESIGN.exists(), reason="../shared/DESIGN.md not present")
def test_the_design_documents_recipe_parses_verbatim(tmp_path):
    text = DESIGN.read_text()
    block = text.split("```toml", 1)[1].split("```", 1)[0]
    (tmp_path / "design.toml").write_text(block)
    r = load_recipe(tmp_path / "design.toml")
    assert [v.name for v in r.variants] == [
        "fp32-eager",
        "int8-pte",
        "pruned-int8-pte",
        "student-pte",
    ]
    assert r.variants[2].steps[0].options["amount"] == 0.5
    assert r.gates.max_latency_ms == 5.0


def test_to_dict_and_parse_are_symmetric():
    from deploy_studio.core.recipe import parse_recipe

    demo = load_recipe(ROOT / "resources/recipes/demo.toml")
    again = parse_recipe(demo.to_dict())
    again.path = demo.path
    assert again == demo
    custom = parse_recipe(
        {
            "name": "all keys",
            "model": {"source": "builtin:digits-cnn", "input_shape": [1, 1, 28, 28], "output": "0"},
            "data": {"source": "random", "calibration_samples": 3, "eval_samples": 4},
            "preprocess": {"mean": [0.5], "std": [0.5]},
            "benchmark": {"threads": 2, "warmup": 0, "runs": 7},
            "variant": [
                {
                    "name": "a",
                    "format": "pte",
                    "enabled": False,
                    "steps": [{"kind": "quantize", "mode": "int8-static"}],
                }
            ],
            "export": {
                "templates": [
                    "web",
                    {"platform": "android", "runtime": "executorch", "variant": "a"},
                ],
                "app_name": "X",
                "ios_branch": "swiftpm-1.5.1",
            },
            "gates": {"max_accuracy_drop": 0.02, "min_snr_db": False, "min_top1_agreement": 0.8},
        }
    )
    assert parse_recipe(custom.to_dict()) == custom
    assert custom.gates.min_snr_db is False and custom.to_dict()["gates"]["min_snr_db"] is False
