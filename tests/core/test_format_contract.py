"""The format contract: every format keeps it, and a new format is one class.

The throwaway TorchScript format below (one class, plus a runtime that runs it on this host)
is the worked example of docs/adding-a-format.md. Registered by a fixture, with no other
edit, recipe validation, the quantize step's checks, tune's search space and the pipeline all
pick it up. ExecuTorch delegates are a registry of their own inside the pte format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pytest

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.formats.contract import (
    FLOAT16,
    QUANTIZE_MODES,
    Artifact,
    Format,
    QuantizerPlan,
)
from deploy_studio.core.fsutil import atomic_path
from deploy_studio.core.registry import CONVERTERS, FORMATS, RUNTIMES, Option
from deploy_studio.core.runtimes.base import Runner, as_numpy

BUILTIN = ("coreml", "eager", "onnx", "pte", "ptl", "tflite")


# --- the worked example: a full TorchScript archive and the runtime that runs it ----------


class TorchScriptRunner(Runner):
    """Runs a ``.pt`` TorchScript archive with ``torch.jit.load``."""

    runtime = "torchscript"

    def __init__(self, path, threads: int, module=None) -> None:
        import torch

        self.module = torch.jit.load(str(path)).eval()

    def run(self, x: np.ndarray) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return as_numpy(self.module(torch.from_numpy(x)))


class TorchScriptFormat(Format):
    label = "TorchScript (.pt)"
    help = "a full TorchScript archive, for apps that link libtorch"
    suffix = ".pt"
    runtime = "torchscript"
    converters = ("trace", "script")
    options = (
        Option("freeze", "bool", True, help="torch.jit.freeze: fold weights into the graph"),
    )
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {"fp16": FLOAT16}
    unsupported: ClassVar[Mapping[str, str]] = {
        "int8-static": "TorchScript has no kernels for PT2E int8 graphs"
    }

    def write(self, ctx, path) -> Artifact:
        import torch

        module = ctx.converted
        if self.options_for(ctx.variant)["freeze"]:
            module = torch.jit.freeze(module.eval())
        with atomic_path(path) as tmp:
            torch.jit.save(module, str(tmp))
        return Artifact(self.key, path, [path], self.runtime)


@pytest.fixture(scope="module")
def torchscript():
    """The TorchScript format and runtime, registered for this module's tests only."""
    RUNTIMES.register("torchscript", label="TorchScript")(TorchScriptRunner)
    FORMATS.register("torchscript")(TorchScriptFormat)
    yield FORMATS.get("torchscript").obj
    FORMATS.unregister("torchscript")
    RUNTIMES.unregister("torchscript")


BASE = {"name": "r", "model": {"source": "builtin:digits-cnn"}}


def _parse(*variants: dict):
    from deploy_studio.core.recipe import parse_recipe

    return parse_recipe({**BASE, "variant": list(variants)})


def _rejected(*variants: dict) -> RecipeError:
    with pytest.raises(RecipeError) as e:
        _parse(*variants)
    return e.value


# --- every format keeps the contract ------------------------------------------------------


def test_every_registered_format_keeps_the_contract():
    from deploy_studio.core.templates import PLATFORMS
    from deploy_studio.core.templates.manifest import format_suffix

    assert set(BUILTIN) <= set(FORMATS.keys())
    for entry in FORMATS.entries():
        fmt = entry.obj
        assert isinstance(fmt, Format) and fmt.key == entry.key
        assert entry.options == fmt.options and entry.label == fmt.label
        assert fmt.runtime in RUNTIMES.keys() or (fmt.runtime is None and fmt.not_runnable_reason)
        assert set(fmt.converters) <= set(CONVERTERS.keys())
        assert fmt.default_converter == (fmt.converters[0] if fmt.converters else None)
        assert set(fmt.quantization) <= set(QUANTIZE_MODES)
        if entry.key in BUILTIN:  # every mode is either implemented or explained
            for mode in QUANTIZE_MODES:
                assert fmt.quantizer(mode) or fmt.unsupported_reason(mode), (entry.key, mode)
    # the app templates name formats by key; their suffixes come from the formats
    used = {fmt for runtimes in PLATFORMS.values() for fmt in runtimes.values()}
    assert used <= set(FORMATS.keys())
    assert {f: format_suffix(f) for f in sorted(used)} == {
        "coreml": ".mlpackage",
        "onnx": ".onnx",
        "pte": ".pte",
        "ptl": ".ptl",
        "tflite": ".tflite",
    }


def _broken(**attrs):
    def write(self, ctx, path):
        raise AssertionError

    base = {"label": "Broken", "suffix": ".brk", "runtime": "eager", "write": write}
    return type("Broken", (Format,), {**base, **attrs})


@pytest.mark.parametrize(
    ("cls", "words"),
    [
        (type("NotAFormat", (), {}), "deriving from Format"),
        (_broken(suffix=""), "one file suffix"),
        (_broken(suffix=".tar.gz"), "one file suffix"),
        (_broken(runtime=None), "not_runnable_reason"),
        (_broken(converters=["trace"]), "converters must be a tuple"),
        (_broken(quantization={"int4": FLOAT16}), "unknown quantize mode 'int4'"),
        (_broken(quantization={"fp16": FLOAT16}, unsupported={"fp16": "no"}), "unsupported"),
        (_broken(write=Format.write), "must implement write"),
    ],
)
def test_registration_checks_the_contract(cls, words):
    with pytest.raises(TypeError, match=words):
        FORMATS.register("broken")(cls)
    assert "broken" not in FORMATS.keys()


def test_register_takes_no_declarations_that_belong_on_the_class():
    with pytest.raises(TypeError, match="class attributes"):
        FORMATS.register("broken", label="Broken")(_broken())
    assert "broken" not in FORMATS.keys()


# --- mode x format and delegates, rejected before any work -------------------------------


def test_unsupported_mode_is_rejected_naming_why_and_the_formats_that_do_it():
    e = _rejected(
        {
            "name": "a",
            "format": "ptl",
            "convert": "trace",
            "steps": [{"kind": "quantize", "mode": "int8-static"}],
        }
    )
    assert "'int8-static' is not supported for format 'ptl'" in e.message
    assert "lite interpreter has no kernels" in e.message
    assert "int8-static works with format onnx, pte" in e.hint
    assert "for ptl use mode int8-dynamic, fp16" in e.hint
    e = _rejected(
        {"name": "a", "format": "coreml", "steps": [{"kind": "quantize", "mode": "int8-dynamic"}]}
    )
    assert "Core ML has no dynamic activation quantization" in e.message
    assert "int8-dynamic works with format eager, onnx, pte, ptl" in e.hint


def test_pte_delegate_is_a_typed_format_option():
    e = _rejected({"name": "a", "format": "pte", "format_options": {"delegate": "qnn"}})
    assert "delegate = 'qnn' is not allowed" in e.message
    assert "xnnpack, coreml, vulkan" in e.hint
    e = _rejected({"name": "a", "format": "onnx", "format_options": {"delegate": "xnnpack"}})
    assert "takes no format_options" in e.message
    explicit = _parse({"name": "a", "format": "pte", "format_options": {"delegate": "xnnpack"}})
    assert explicit.variants[0].to_dict()["format_options"] == {"delegate": "xnnpack"}
    default = _parse({"name": "a", "format": "pte"}).variants[0]
    assert "format_options" not in default.to_dict()  # the recipe keeps what the user wrote
    assert FORMATS.get("pte").obj.options_for(default) == {"delegate": "xnnpack"}


def test_a_new_delegate_is_one_registration():
    from deploy_studio.core.formats.pte_delegates import DELEGATES, Delegate, register_delegate
    from deploy_studio.core.templates.context import ios_context

    @register_delegate("fake")
    class FakeDelegate(Delegate):
        label = "Fake"
        modes = ("fp16",)
        app_libraries: ClassVar[Mapping[str, tuple[str, ...]]] = {"ios": ("backend_fake",)}

        def partitioners(self, ctx):
            return []

    try:
        pte = {"name": "a", "format": "pte", "format_options": {"delegate": "fake"}}
        _parse({**pte, "steps": [{"kind": "quantize", "mode": "fp16"}]})
        e = _rejected({**pte, "steps": [{"kind": "quantize", "mode": "int8-static"}]})
        assert "the Fake delegate does not lower int8-static graphs" in e.message
        assert "for pte use mode fp16" in e.hint
        fmt = FORMATS.get("pte").obj
        assert fmt.app_libraries("ios", ["xnnpack", "fake"]) == ["backend_xnnpack", "backend_fake"]
        assert fmt.app_libraries("android", ["xnnpack"]) == []
        # the iOS project links the template's products plus what the delegates need
        ctx = {
            "type_name": "App",
            "runtime": "executorch",
            "executorch_products": ["executorch", "backend_xnnpack", "kernels_optimized"],
            "delegate_libraries": fmt.app_libraries("ios", ["xnnpack", "fake"]),
        }
        assert [p["name"] for p in ios_context(ctx, [])["packages"]] == [
            "executorch",
            "backend_xnnpack",
            "kernels_optimized",
            "backend_fake",
        ]
    finally:
        DELEGATES.pop("fake")
    assert "allowed values: xnnpack, coreml, vulkan" in _rejected(pte).hint


# --- a new format: one class, picked up everywhere ---------------------------------------


def test_recipe_validation_and_quantize_checks_read_the_new_format(torchscript):
    r = _parse(
        {"name": "ts", "format": "torchscript", "convert": "trace"},
        {"name": "ts-script", "format": "torchscript", "convert": "script"},
        {
            "name": "ts-fp16",
            "format": "torchscript",
            "convert": "trace",
            "format_options": {"freeze": False},
            "steps": [{"kind": "quantize", "mode": "fp16"}],
        },
    )
    assert [v.format for v in r.variants] == ["torchscript"] * 3
    assert r.variants[2].format_options == {"freeze": False}
    e = _rejected({"name": "a", "format": "torchscript", "convert": "export"})
    assert "cannot be made with convert = 'export'" in e.message
    assert "'trace' or 'script'" in e.hint
    e = _rejected({"name": "a", "format": "torchscript", "format_options": {"freeze": "yes"}})
    assert "freeze must be bool" in e.message
    e = _rejected(
        {
            "name": "a",
            "format": "torchscript",
            "convert": "trace",
            "steps": [{"kind": "quantize", "mode": "int8-static"}],
        }
    )
    assert "TorchScript has no kernels for PT2E int8 graphs" in e.message
    assert "for torchscript use mode fp16" in e.hint
    e = _rejected({"name": "a", "format": "tensorflow"})
    assert "torchscript" in e.hint  # the allowed formats name it


def test_tune_searches_the_new_format(torchscript):
    from deploy_studio.core.tune import search_space, tune_formats

    assert sorted(tune_formats()) == ["onnx", "pte", "ptl", "tflite", "torchscript"]
    space = search_space(
        _parse({"name": "ts", "format": "torchscript", "convert": "trace"}),
        modes=(None, "fp16", "int8-static"),
        amounts=(0.0,),
        distill=False,
    )
    assert [(v.name, v.format, v.convert) for v in space] == [
        ("original-eager", "eager", "export"),
        ("torchscript-fp32", "torchscript", "trace"),  # the default converter
        ("torchscript-fp16", "torchscript", "trace"),  # int8-static is skipped
    ]


def test_the_pipeline_builds_and_measures_the_new_format(torchscript, tiny_recipe, tmp_path):
    from deploy_studio.core.engine import run_recipe

    recipe = tiny_recipe(
        [
            {"name": "ts", "format": "torchscript", "convert": "trace"},
            {
                "name": "ts-fp16",
                "format": "torchscript",
                "convert": "trace",
                "format_options": {"freeze": False},
                "steps": [{"kind": "quantize", "mode": "fp16"}],
            },
            {"name": "pte", "format": "pte"},
        ]
    )
    report = run_recipe(recipe, tmp_path, isolate=False, templates=False, cache=False)
    rows = {r["name"]: r for r in json.loads((tmp_path / "report.json").read_text())["variants"]}
    assert rows.keys() == {r["name"] for r in report["variants"]}
    ts, fp16, pte = rows["ts"], rows["ts-fp16"], rows["pte"]
    for row in (ts, fp16):
        assert row["error"] is None and row["runtime"] == "torchscript"
        assert row["artifact"].endswith(".pt") and (tmp_path / row["artifact"]).is_file()
        assert row["latency_ms"]["p50"] > 0 and row["parity"]["top1_agreement"] >= 0.95
    assert ts["parity"]["max_abs_diff"] < 1e-4 and "format_options" not in ts
    assert fp16["format_options"] == {"freeze": False}
    assert fp16["size_bytes"] < ts["size_bytes"]  # float16 weights (archive overhead aside)
    assert any(n.startswith("fp16: weights and compute in float16") for n in fp16["notes"])
    # ExecuTorch artifacts record their delegate; other formats have none
    assert pte["delegates"] == ["xnnpack"] and "lowered to XNNPACK" in pte["notes"]
    assert "delegates" not in ts
