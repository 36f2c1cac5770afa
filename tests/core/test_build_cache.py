"""Unchanged variants are not rebuilt: the next run reuses their artifacts and measurements,
and only what changed is built again."""

from __future__ import annotations

import json

import pytest

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.progress import Reporter


@pytest.fixture()
def cache_on(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPLOY_STUDIO_BUILD_CACHE", "1")
    monkeypatch.setenv("DEPLOY_STUDIO_CACHE", str(tmp_path / "user-cache"))


VARIANTS = [
    {"name": "fp32-onnx", "format": "onnx"},
    {
        "name": "int8-onnx",
        "format": "onnx",
        "steps": [{"kind": "quantize", "mode": "int8-dynamic"}],
    },
]


def _run(recipe, out):
    events = []
    report = run_recipe(
        recipe, out, reporter=Reporter(events.append), isolate=False, templates=False
    )
    built = {
        e.variant
        for e in events
        if e.kind == "progress" and e.variant and e.stage.startswith("export")
    }
    return report, built


def test_second_run_reuses_unchanged_variants_and_rebuilds_what_changed(
    cache_on, tiny_recipe, tmp_path
):
    first, built1 = _run(tiny_recipe(VARIANTS), tmp_path / "a")
    assert built1 == {"fp32-onnx", "int8-onnx"} and not any(
        r.get("cached") for r in first["variants"]
    )
    second, built2 = _run(tiny_recipe(VARIANTS), tmp_path / "b")
    assert built2 == set()
    for a, b in zip(first["variants"], second["variants"], strict=True):
        assert b["cached"]["key"] and (tmp_path / "b" / b["artifact"]).is_file()
        assert (a["size_bytes"], a["latency_ms"]["p50"], a["accuracy"], a["parity"]) == (
            b["size_bytes"],
            b["latency_ms"]["p50"],
            b["accuracy"],
            b["parity"],
        )
    changed = [VARIANTS[0], {**VARIANTS[1], "steps": [{"kind": "quantize", "mode": "fp16"}]}]
    third, built3 = _run(tiny_recipe(changed), tmp_path / "c")
    assert built3 == {"int8-onnx"}  # only the edited variant
    assert third["variants"][0].get("cached") and not third["variants"][1].get("cached")
    saved = json.loads((tmp_path / "c" / "report.json").read_text())
    assert saved["variants"][0]["cached"]["key"] == second["variants"][0]["cached"]["key"]


def test_changed_weights_or_no_cache_rebuild(cache_on, tiny_recipe, tmp_path, tiny_model_file):
    import torch

    _run(tiny_recipe(VARIANTS[:1]), tmp_path / "a")
    report = run_recipe(
        tiny_recipe(VARIANTS[:1]), tmp_path / "n", isolate=False, templates=False, cache=False
    )
    assert not report["variants"][0].get("cached")
    from deploy_studio.core.models import ModelSpec, load_model

    m = load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))
    torch.save(m.module.state_dict(), tmp_path / "w.pth")
    with_weights = tiny_recipe(VARIANTS[:1])
    with_weights.model.weights = str(tmp_path / "w.pth")
    _r, built = _run(with_weights, tmp_path / "w1")
    assert built == {"fp32-onnx"}
    torch.save({k: v + 1 for k, v in m.module.state_dict().items()}, tmp_path / "w.pth")
    _r, built = _run(with_weights, tmp_path / "w2")
    assert built == {"fp32-onnx"}  # new weights, same path: rebuilt
