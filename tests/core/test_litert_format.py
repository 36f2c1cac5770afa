"""The LiteRT format: converted with litert-torch, re-run in ai-edge-litert's interpreter and
compared with eager; every quantize mode; the optional extra's absence said plainly.

The artifacts run in the real LiteRT interpreter (ai-edge-litert, XNNPACK delegate); the
row's figures are what a run reports.
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pytest
import torch

from deploy_studio.core.errors import ExportError, RecipeError
from deploy_studio.core.pipeline.build import build_variant
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import DataSpec, VariantSpec, parse_recipe, skip_uninstalled
from deploy_studio.core.registry import FORMATS
from deploy_studio.core.runtimes import open_runner
from deploy_studio.core.session import open_session
from tests.support.pipeline import Pipeline, steps_recipe
from tests.support.recipes import variant

pytest.importorskip(
    "litert_torch", reason='LiteRT is an optional extra: pip install -e ".[litert]"'
)

AGREEMENT = 0.95


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture()
def session(tiny_model_file):
    from deploy_studio.core.models import ModelSpec

    return open_session(
        ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]),
        DataSpec("builtin:digits", 16, 40),
    )


@pytest.fixture(scope="module")
def pipeline():
    return Pipeline()


def _row(pipeline, tmp_path, *steps, name="v-tflite"):
    recipe = steps_recipe(
        variant(name, "tflite", *steps, convert="export"), calibration_samples=64, eval_samples=150
    )
    row = pipeline.measure(recipe, name, tmp_path)
    assert row.error is None, row.error
    return row


def test_fp32_tflite_matches_eager_in_the_litert_interpreter(session, tmp_path):
    artifact, _ = build_variant(
        session, VariantSpec("t", "tflite", "export"), tmp_path, 16, Reporter()
    )
    assert artifact.path.suffix == ".tflite" and artifact.runtime == "litert"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing half-written
    runner = open_runner("litert", artifact.path, threads=1)
    try:
        outs = np.stack([runner.run(session.eval_x[i : i + 1])[0] for i in range(40)])
    finally:
        runner.close()
    assert np.abs(outs - session.reference).max() <= 1e-4
    assert (outs.argmax(1) == session.reference.argmax(1)).all()


@pytest.mark.slow  # > 6 s on two cores (two conversions and a calibration)
def test_int8_static_is_a_full_integer_model_the_runner_feeds_and_reads(pipeline, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    float_row = _row(pipeline, tmp_path / "f")
    row = _row(pipeline, tmp_path / "q", {"kind": "quantize", "mode": "int8-static"})
    interp = Interpreter(model_path=str(tmp_path / "q" / row.artifact))
    (inp,) = interp.get_input_details()
    (out,) = interp.get_output_details()
    # int8 in and out, with the scales the runner (and the apps) use to convert
    assert inp["dtype"] == np.int8 and inp["quantization"][0] > 0
    assert out["dtype"] == np.int8 and out["quantization"][0] > 0
    assert row.size_bytes < 0.5 * float_row.size_bytes
    assert row.parity.top1_agreement >= AGREEMENT
    assert any("litert-torch per-channel int8" in n for n in row.notes)


@pytest.mark.slow  # > 6 s each on two cores (two conversions)
@pytest.mark.parametrize(
    "mode,ratio",
    [("int8-dynamic", 0.5), ("int8-weight-only", 0.5), ("fp16", 0.75)],
)
def test_file_quantizers_shrink_the_model_and_keep_its_answers(pipeline, tmp_path, mode, ratio):
    float_row = _row(pipeline, tmp_path / "f")
    row = _row(pipeline, tmp_path / "q", {"kind": "quantize", "mode": mode})
    assert row.size_bytes < ratio * float_row.size_bytes
    assert row.parity.top1_agreement >= AGREEMENT
    assert row.latency_ms.p50 > 0 and row.runtime == "litert"


def test_keep_fp32_is_refused_for_tflite_naming_the_formats_that_keep_layers():
    recipe = {
        "name": "r",
        "model": {"source": "builtin:digits-cnn", "input_shape": [1, 1, 28, 28]},
        "variant": [
            variant(
                "t",
                "tflite",
                {"kind": "quantize", "mode": "int8-static", "keep_fp32": ["fc1"]},
                convert="export",
            )
        ],
    }
    with pytest.raises(RecipeError) as e:
        parse_recipe(recipe)
    assert "keep_fp32 is not supported for format 'tflite'" in e.value.message
    assert "pte" in e.value.hint and "onnx" in e.value.hint


def test_tflite_variants_are_checked_before_any_work():
    base = {
        "name": "r",
        "model": {"source": "builtin:digits-cnn", "input_shape": [1, 1, 28, 28]},
    }
    with pytest.raises(RecipeError) as e:
        parse_recipe({**base, "variant": [{"name": "t", "format": "tflite", "convert": "trace"}]})
    assert "for tflite use convert = 'export'" in (e.value.hint or "")
    with pytest.raises(RecipeError) as e:
        parse_recipe(
            {
                **base,
                "variant": [{"name": "t", "format": "tflite", "format_options": {"delegate": "x"}}],
            }
        )
    assert "takes no format_options" in e.value.message


@pytest.fixture()
def litert_absent(monkeypatch):
    """This process as if `pip install -e .` had run without the litert extra."""
    real = metadata.version

    def version(dist):
        if dist in FORMATS.get("tflite").obj.packages:
            raise metadata.PackageNotFoundError(dist)
        return real(dist)

    monkeypatch.setattr(metadata, "version", version)


def test_without_the_extra_the_format_says_how_to_install_it(litert_absent, session, tmp_path):
    from deploy_studio.core.tune import tune_formats

    with pytest.raises(ExportError) as e:
        build_variant(session, VariantSpec("t", "tflite", "export"), tmp_path, 16, Reporter())
    assert 'pip install -e ".[litert]"' in e.value.message + (e.value.hint or "")
    assert not list(tmp_path.iterdir())  # refused before any work
    assert "tflite" not in tune_formats() and "onnx" in tune_formats()


def test_the_demo_skips_its_litert_variant_without_the_extra(litert_absent):
    from deploy_studio.core.fsutil import resource_path
    from deploy_studio.core.recipe import load_recipe

    demo = load_recipe(resource_path("recipes", "demo.toml"))
    skipped = skip_uninstalled(demo)
    assert len(skipped) == 1 and "'fp32-tflite'" in skipped[0] and "[litert]" in skipped[0]
    assert [v.name for v in demo.variants if not v.enabled] == ["fp32-tflite"]


def test_the_demo_keeps_its_litert_variant_with_the_extra():
    from deploy_studio.core.fsutil import resource_path
    from deploy_studio.core.recipe import load_recipe

    demo = load_recipe(resource_path("recipes", "demo.toml"))
    assert skip_uninstalled(demo) == []
    assert "fp32-tflite" in [v.name for v in demo.enabled_variants()]


@pytest.mark.slow  # trains (or loads) the digits demo and converts it twice
def test_litert_int8_keeps_the_digits_demo_within_one_point_of_fp32(pipeline, tmp_path):
    recipe = parse_recipe(
        {
            "name": "digits litert",
            "model": {"source": "builtin:digits-cnn", "input_shape": [1, 1, 28, 28]},
            "data": {"source": "builtin:digits", "calibration_samples": 128, "eval_samples": 500},
            "benchmark": {"threads": 1, "warmup": 3, "runs": 10},
            "variant": [
                variant("fp32-tflite", "tflite", convert="export"),
                variant(
                    "int8-tflite",
                    "tflite",
                    {"kind": "quantize", "mode": "int8-static"},
                    convert="export",
                ),
            ],
        }
    )
    fp32 = pipeline.measure(recipe, "fp32-tflite", tmp_path / "f")
    int8 = pipeline.measure(recipe, "int8-tflite", tmp_path / "q")
    assert fp32.error is None and int8.error is None
    assert fp32.parity.max_abs_diff <= 1e-3  # the artifact re-run in ai-edge-litert = eager
    assert fp32.accuracy.top1 >= 0.95
    assert int8.accuracy.top1 >= fp32.accuracy.top1 - 0.01
    assert int8.size_bytes <= 0.3 * fp32.size_bytes


@pytest.mark.slow  # resnet18 converts in ~20 s per variant
@pytest.mark.parametrize("mode", [None, "int8-static"])
def test_a_torchvision_model_converts_and_runs_in_litert(pipeline, tmp_path, mode):
    steps = [{"kind": "quantize", "mode": mode}] if mode else []
    recipe = parse_recipe(
        {
            "name": "resnet litert",
            "model": {"source": "torchvision:resnet18", "input_shape": [1, 3, 64, 64]},
            "data": {"source": "random", "calibration_samples": 16, "eval_samples": 8},
            "benchmark": {"threads": 1, "warmup": 2, "runs": 5},
            "variant": [variant("v", "tflite", *steps, convert="export")],
        }
    )
    row = pipeline.measure(recipe, "v", tmp_path)
    assert row.error is None, row.error
    assert row.runtime == "litert" and row.latency_ms.p50 > 0
    if mode is None:
        assert row.parity.max_abs_diff <= 1e-4  # random weights, as eager
    else:  # random weights: the cosine says the int8 graph computes the same function
        assert row.parity.cosine >= 0.9
