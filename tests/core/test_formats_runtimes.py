"""Each converter + format on a tiny model, run in its own runtime, compared with eager.

Chained like ExecuTorch's Tester: convert -> export -> run in the artifact's runtime -> compare.
"""

from __future__ import annotations

import numpy as np
import pytest

from deploy_studio.core.errors import ConversionError, RecipeError
from deploy_studio.core.pipeline.build import build_variant
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import DataSpec, VariantSpec
from deploy_studio.core.runtimes import open_runner
from deploy_studio.core.session import open_session


@pytest.fixture()
def session(tiny_model_file):
    from deploy_studio.core.models import ModelSpec

    return open_session(
        ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]),
        DataSpec("builtin:digits", 16, 40),
    )


@pytest.mark.parametrize(
    "fmt,convert,runtime,tol",
    [
        ("eager", "export", "eager", 0.0),
        ("pte", "export", "executorch", 1e-4),
        ("ptl", "trace", "torchscript-lite", 1e-5),
        ("ptl", "script", "torchscript-lite", 1e-5),
        ("onnx", "export", "onnxruntime", 1e-4),
    ],
)
def test_artifact_matches_eager_in_its_runtime(session, tmp_path, fmt, convert, runtime, tol):
    artifact, ctx = build_variant(session, VariantSpec("v", fmt, convert), tmp_path, 16, Reporter())
    assert artifact.path.exists() and artifact.size_bytes > 0 and artifact.runtime == runtime
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing half-written
    runner = open_runner(runtime, artifact.path, threads=1, module=ctx.module)
    outs = np.stack([runner.run(session.eval_x[i : i + 1])[0] for i in range(len(session.eval_x))])
    assert np.abs(outs - session.reference).max() <= tol
    assert (outs.argmax(1) == session.reference.argmax(1)).all()


def test_onnx_size_counts_every_shipped_file(session, tmp_path):
    artifact, _ = build_variant(
        session, VariantSpec("o", "onnx", "export"), tmp_path, 16, Reporter()
    )
    assert artifact.size_bytes == sum(f.stat().st_size for f in artifact.files)
    assert all(f.exists() for f in artifact.files)


def test_coreml_is_converted_and_validated_not_run(session, tmp_path):
    artifact, _ = build_variant(
        session, VariantSpec("c", "coreml", "export"), tmp_path, 16, Reporter()
    )
    assert artifact.path.suffix == ".mlpackage" and (artifact.path / "Manifest.json").exists()
    assert artifact.runtime is None and any("not run" in n for n in artifact.notes)
    from deploy_studio.core.formats.coreml import validate_mlpackage

    info = validate_mlpackage(artifact.path, [1, 1, 28, 28])
    assert info["outputs"]


def test_export_failure_names_user_line_and_suggests_other_converters(tiny_model_file, tmp_path):
    from deploy_studio.core.models import ModelSpec

    s = open_session(
        ModelSpec(f"{tiny_model_file}:DataDependent", input_shape=[1, 1, 28, 28]),
        DataSpec("builtin:digits", 8, 10),
    )
    with pytest.raises(ConversionError) as e:
        build_variant(s, VariantSpec("x", "pte", "export"), tmp_path, 8, Reporter())
    assert "tiny.py" in e.value.message and "if y.sum() > 0" in e.value.message
    assert "trace" in e.value.hint and "script" in e.value.hint
    assert not list(tmp_path.iterdir())


def test_script_failure_names_the_line_and_suggests_trace(tiny_model_file, tmp_path):
    from deploy_studio.core.models import ModelSpec

    s = open_session(
        ModelSpec(f"{tiny_model_file}:Unscriptable", input_shape=[1, 1, 28, 28]),
        DataSpec("builtin:digits", 8, 10),
    )
    with pytest.raises(ConversionError) as e:
        build_variant(s, VariantSpec("x", "ptl", "script"), tmp_path, 8, Reporter())
    assert "torch.jit.script" in e.value.message and "tiny.py" in e.value.message
    assert "trace" in e.value.hint
    artifact, _ = build_variant(s, VariantSpec("y", "ptl", "trace"), tmp_path, 8, Reporter())
    assert artifact.path.exists()


def test_lite_model_cannot_be_converted(tiny_model_file, tmp_path):
    import torch

    from deploy_studio.core.models import ModelSpec, load_model

    m = load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))
    ptl = tmp_path / "m.ptl"
    torch.jit.trace(m.module, torch.randn(1, 1, 28, 28))._save_for_lite_interpreter(str(ptl))
    s = open_session(
        ModelSpec(str(ptl), input_shape=[1, 1, 28, 28]), DataSpec("builtin:digits", 8, 10)
    )
    with pytest.raises(RecipeError, match="can only be run and measured as is"):
        build_variant(s, VariantSpec("x", "pte", "export"), tmp_path, 8, Reporter())
    artifact, _ = build_variant(s, VariantSpec("e", "eager"), tmp_path, 8, Reporter())
    assert artifact.size_bytes == ptl.stat().st_size


def test_thread_count_reaches_the_runtime(session, tmp_path):
    artifact, _ = build_variant(
        session, VariantSpec("o", "onnx", "export"), tmp_path, 16, Reporter()
    )
    runner = open_runner("onnxruntime", artifact.path, threads=2)
    assert runner.session.get_session_options().intra_op_num_threads == 2
