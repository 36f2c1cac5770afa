"""Engine rules live once, in core, and the window calls them: step order (declared by each
step's registration), the Pareto front, the latency-noise rule, the exit code, gate labels,
sample counts, new-recipe defaults, and errors a caller must recognise (typed, never by
their wording)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from deploy_studio.core.errors import InputShapeUnknown, ModelLoadError, RecipeError
from deploy_studio.core.report.model import GateVerdict, Latency, Report, VariantResult


def _row(name, p50, size, top1=None, ci=None, **kw) -> VariantResult:
    from deploy_studio.core.report.model import Accuracy

    return VariantResult(
        name,
        "pte",
        latency_ms=Latency(None, p50, None, None, 5, 1, 1, p50_ci=ci),
        size_bytes=size,
        accuracy=Accuracy(top1, 10) if top1 is not None else None,
        artifact=f"artifacts/{name}.pte",
        **kw,
    )


# --- step order: declared metadata of each step -----------------------------------------
def test_each_step_declares_its_order_and_recipes_and_the_window_derive_it():
    from deploy_studio.core.recipe import StepSpec, step_insert_index, step_order
    from deploy_studio.core.registry import STEPS

    declared = {e.key: e.extra.get("order") for e in STEPS.entries()}
    assert all(isinstance(o, int) for o in declared.values()), declared
    assert step_order("distill") < step_order("prune") < step_order("quantize")
    steps = [StepSpec("distill"), StepSpec("quantize")]
    assert step_insert_index(steps, "prune") == 1  # between distill and quantize
    assert step_insert_index([StepSpec("prune")], "distill") == 0
    assert step_insert_index([StepSpec("prune")], "quantize") == 1


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (["quantize", "prune"], "quantize must come after prune and distill"),
        (["prune", "distill"], "prune must come after distill"),
        (["quantize", "distill"], "quantize must come after prune and distill"),
    ],
)
def test_steps_out_of_their_declared_order_are_refused(steps, message):
    from deploy_studio.core.recipe import parse_recipe

    options = {
        "distill": {"student": "builtin:digits-cnn-small"},
        "quantize": {"mode": "int8-static"},
        "prune": {},
    }
    recipe = {
        "name": "r",
        "model": {"source": "builtin:digits-cnn"},
        "variant": [
            {"name": "a", "format": "pte", "steps": [{"kind": k, **options[k]} for k in steps]}
        ],
    }
    with pytest.raises(RecipeError, match=message) as e:
        parse_recipe(recipe)
    assert "distill → prune → quantize" in e.value.hint


# --- Pareto front and the latency noise rule -------------------------------------------
def test_pareto_front_over_chosen_objectives():
    from deploy_studio.core.pareto import pareto_front

    rows = [
        _row("fast", 1.0, 4000, 0.90),
        _row("small-slow", 3.0, 1000, 0.80),  # on the 3-objective front (smallest)...
        _row("accurate", 2.0, 9000, 0.99),
    ]
    assert pareto_front(rows) == ["fast", "accurate", "small-slow"]
    # ...but not on the latency-vs-accuracy chart's front
    assert pareto_front(rows, ("latency", "accuracy")) == ["fast", "accurate"]
    assert pareto_front([r.to_dict() for r in rows], ("latency", "accuracy")) == [
        "fast",
        "accurate",
    ]


def test_latency_change_is_within_noise_when_the_intervals_overlap():
    from deploy_studio.core.pareto import NOISE_FALLBACK, latency_change

    a = _row("a", 1.0, 1, ci=[0.9, 1.1])
    assert latency_change(a, _row("a", 1.05, 1, ci=[1.0, 1.2])) == (pytest.approx(0.05), True)
    assert latency_change(a, _row("a", 1.5, 1, ci=[1.4, 1.6]))[1] is False
    # no intervals: a change under NOISE_FALLBACK is noise
    assert latency_change(_row("a", 1.0, 1), _row("a", 1.0 + NOISE_FALLBACK / 2, 1))[1] is True
    assert latency_change(_row("a", 1.0, 1), _row("a", 1.2, 1))[1] is False
    assert latency_change(None, a) is None and latency_change(a, VariantResult("a", "pte")) is None


# --- exit code ---------------------------------------------------------------------------
def test_report_exit_code_counts_failed_variants_gates_and_apps_but_not_uncertain():
    from deploy_studio.core.engine import report_exit_code
    from deploy_studio.core.report.model import AppResult, DatasetInfo, ModelInfo

    def report(variants=(), gates=(), apps=()):
        return Report(
            "r",
            "",
            {},
            ModelInfo("m", None, 1, [1], [1], "module"),
            DatasetInfo("d", 1, 1, True),
            None,
            {},
            {},
            variants=list(variants),
            gates=list(gates),
            templates=list(apps),
        )

    ok = _row("a", 1.0, 1)
    verdict = GateVerdict("g:a", "max_latency_ms", "a", 1.0, 1.0, None, "uncertain")
    assert report_exit_code(report([ok], [verdict])) == 0
    assert report_exit_code(report([ok], [GateVerdict("g:a", "x", "a", 1, 2, False, "failed")]))
    assert report_exit_code(report([VariantResult("b", "pte", error="boom")])) == 1
    assert report_exit_code(report([ok], apps=[AppResult("ios", "coreml", error="no")])) == 1
    assert report_exit_code(report([ok]).to_dict()) == 0  # plain data too


# --- labels ------------------------------------------------------------------------------
def test_every_gate_has_its_labels_in_core():
    from deploy_studio.core.gates import DEFAULT_LIMITS, GATE_KEYS, RULES

    assert set(DEFAULT_LIMITS) <= set(GATE_KEYS)
    for key in GATE_KEYS:
        assert RULES[key].label and RULES[key].short, key


# --- sample counts -----------------------------------------------------------------------
def test_sample_counts_are_named_once():
    from deploy_studio.core.data.datasets import RANDOM_SAMPLES, random_sample_count
    from deploy_studio.core.worker.requests import SAMPLES_SHOWN, LoadSamples

    assert random_sample_count(8, 8) == RANDOM_SAMPLES
    assert random_sample_count(128, 500) == 628
    assert LoadSamples.__dataclass_fields__["limit"].default == SAMPLES_SHOWN


# --- new-recipe defaults -------------------------------------------------------------------
DIGITS = {
    "spec": "x.py:Net",
    "kind": "module",
    "input_shape": [1, 1, 28, 28],
    "output_shape": [1, 10],
}
IMAGENET = {
    "spec": "torchvision:resnet18",
    "kind": "module",
    "input_shape": [1, 3, 224, 224],
    "output_shape": [1, 1000],
}


def test_a_new_recipe_fits_its_model():
    from deploy_studio.core.models.loaded import ModelSpec
    from deploy_studio.core.recipe import parse_recipe
    from deploy_studio.core.recipe_defaults import new_recipe_for, new_step, student_for

    r = new_recipe_for(ModelSpec("x.py:Net"), DIGITS)
    assert r.name == "x" and r.data.source == "builtin:digits"
    assert [v.name for v in r.variants] == ["fp32-eager", "fp32-pte", "int8-pte"]
    assert parse_recipe(r.to_dict()).to_dict() == r.to_dict()  # a valid recipe
    r = new_recipe_for(ModelSpec("torchvision:resnet18"), IMAGENET)
    assert r.name == "resnet18" and r.data.source == "random"
    scripted = {**DIGITS, "kind": "torchscript"}
    assert [v.name for v in new_recipe_for(ModelSpec("m.pt"), scripted).variants] == [
        "fp32-eager",
        "fp32-ptl",
    ]
    assert student_for(DIGITS) == "builtin:digits-cnn-small"
    assert student_for(IMAGENET) == "torchvision:mobilenet_v3_small"
    assert student_for({**IMAGENET, "output_shape": [1, 7]}) == ""
    assert new_step("distill", IMAGENET).options["student"] == "torchvision:mobilenet_v3_small"
    assert new_step("quantize").options["mode"] == "int8-static"


# --- typed errors --------------------------------------------------------------------------
def test_errors_a_caller_must_recognise_are_typed(tmp_path):
    import torch

    from deploy_studio.core.errors import UntrustedPickleError
    from deploy_studio.core.models import ModelSpec, load_model

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2)).eval()
    archive = tmp_path / "scripted.pt"
    torch.jit.trace(net, torch.zeros(1, 4)).save(str(archive))
    with pytest.raises(InputShapeUnknown) as e:
        load_model(ModelSpec(str(archive)))
    assert isinstance(e.value, ModelLoadError)
    whole = tmp_path / "whole.pt"
    torch.save(net, whole)
    with pytest.raises(UntrustedPickleError) as e:
        load_model(ModelSpec(str(whole), input_shape=[1, 4]))
    assert e.value.trust_helps  # loading it again with trust would load it
    (tmp_path / "net.py").write_text(
        "import torch\nclass Net(torch.nn.Sequential):\n"
        "    def __init__(self):\n        super().__init__(torch.nn.Flatten(), torch.nn.Linear(4, 2))\n"
    )
    with pytest.raises(UntrustedPickleError) as e:  # weights are never read by running code
        load_model(ModelSpec(f"{tmp_path / 'net.py'}:Net", weights=str(whole), input_shape=[1, 4]))
    assert not e.value.trust_helps


# --- the window calls these rules instead of its own copies --------------------------------
GUI_COPIES = {
    r"def pareto_front\(": "the Pareto front (core.pareto.pareto_front)",
    r"NOISE_FALLBACK\s*=": "the latency noise rule (core.pareto.latency_change)",
    r"in message|in str\(e": "errors recognised by their wording (core.errors types)",
    r"def new_recipe_for|def starting_variants|def student_for": "new-recipe defaults",
    r"steps\.insert\(0": "step order (core.recipe.step_insert_index)",
    r"GATE_LABELS\s*=": "gate labels (core.gates.RULES)",
    r"limit: int = \d+": "the number of samples shown (core.worker.requests.SAMPLES_SHOWN)",
}


def test_the_window_holds_no_copy_of_an_engine_rule():
    spec = importlib.util.find_spec("deploy_studio.gui")  # located, not imported (no Qt here)
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern, rule in GUI_COPIES.items():
            if re.search(pattern, text):
                found.append(f"{path.relative_to(root)}: {rule}")
    assert found == []
