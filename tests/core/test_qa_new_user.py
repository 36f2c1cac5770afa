"""Regressions found by trying the product as a new user would, on unseen models and files."""

from __future__ import annotations

import os
import pickle
import stat
import zipfile

import numpy as np
import pytest
import torch

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import ModelLoadError, RecipeError, StudioError, UntrustedPickleError
from deploy_studio.core.models import ModelSpec, load_model
from deploy_studio.core.recipe import parse_recipe
from tests.support.models import write_models
from tests.support.recipes import recipe


@pytest.fixture(scope="module")
def models_file(tmp_path_factory):
    return write_models(
        tmp_path_factory.mktemp("qa") / "qa_models.py",
        "ReturnsTuple",
        "ReturnsDict",
        "TwoInputs",
        "Tabular",
    )


def _recipe(source, variants, data="builtin:digits", shape=(1, 1, 28, 28)):
    return recipe(
        {"source": source, "input_shape": list(shape)},
        variants,
        name="qa",
        data={"source": data, "calibration_samples": 8, "eval_samples": 12},
        benchmark={"warmup": 1, "runs": 2},
    )


@pytest.mark.parametrize("cls", ["ReturnsTuple", "ReturnsDict"])
def test_tuple_and_dict_outputs_are_kept_and_the_logits_are_the_task_output(models_file, cls):
    # Every output runs as the model returns it (flattened into named outputs); the logits
    # are the task output (accuracy, agreement), not "features".
    m = load_model(ModelSpec(f"{models_file}:{cls}", input_shape=[1, 1, 28, 28]))
    assert m.output_shape == [1, 10]
    out = m.module(torch.zeros(1, 1, 28, 28))
    assert isinstance(out, tuple if cls == "ReturnsTuple" else dict)
    names = ["out.0", "out.1"] if cls == "ReturnsTuple" else ["features", "logits"]
    assert m.signature.output_names == names
    assert m.signature.output_names[m.signature.task] == (
        "out.0" if cls == "ReturnsTuple" else "logits"
    )
    assert m.output_key == (0 if cls == "ReturnsTuple" else "logits")
    assert any(f"using {m.output_key!r} as the model's output" in n for n in m.notes), m.notes
    from deploy_studio.core.models.summary import layer_table

    assert [r["name"] for r in layer_table(m)] == ["conv", "relu", "fc"]  # the user's layer names


def test_dict_output_model_runs_end_to_end(models_file, tmp_path):
    # Used to crash the eager runtime with "float() argument must be ... not 'dict'".
    recipe = _recipe(
        f"{models_file}:ReturnsDict",
        [{"name": "e", "format": "eager"}, {"name": "o", "format": "onnx"}],
    )
    report = run_recipe(recipe, tmp_path / "out", isolate=False)
    assert [v["error"] for v in report["variants"]] == [None, None]
    assert report["variants"][1]["parity"]["top1_agreement"] == 1.0


def test_two_input_model_says_so(models_file):
    with pytest.raises(ModelLoadError, match=r"forward\(\) takes 2 inputs \(also 'y'\)") as e:
        load_model(ModelSpec(f"{models_file}:TwoInputs", input_shape=[1, 20]))
    assert "--input-shape" not in e.value.hint and "wrap" in e.value.hint


def test_non_image_model_on_image_data_is_a_user_error(models_file, tmp_path):
    # Used to end in a traceback from inside the eager runtime (28x28 pixels fed to Linear(20)).
    recipe = _recipe(
        f"{models_file}:Tabular",
        [{"name": "e", "format": "eager"}],
        data="builtin:digits",
        shape=(1, 20),
    )
    with pytest.raises(StudioError, match=r"not an image") as e:
        run_recipe(recipe, tmp_path / "out", isolate=False)
    assert e.value.exit_code == 2
    assert "npz:FILE" in e.value.hint
    assert not (tmp_path / "out").exists()  # bad input leaves no output folder behind


def test_non_image_model_runs_on_random_inputs(models_file, tmp_path):
    # random data makes inputs of the declared shape and dtype: latency and parity, no accuracy
    recipe = _recipe(
        f"{models_file}:Tabular", [{"name": "e", "format": "eager"}], data="random", shape=(1, 20)
    )
    report = run_recipe(recipe, tmp_path / "out", isolate=False)
    row = report["variants"][0]
    assert row["error"] is None and row["accuracy"]["top1"] is None
    assert row["parity"]["max_abs_diff"] == 0.0


def test_state_dict_errors_name_the_real_problem(tmp_path, tiny_model_file):
    tiny = load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))
    ts = tmp_path / "ts.pt"
    torch.jit.trace(tiny.module, torch.zeros(1, 1, 28, 28)).save(str(ts))
    with pytest.raises(ModelLoadError, match=r"TorchScript archive .* not a state_dict") as e:
        load_model(
            ModelSpec(f"{tiny_model_file}:TinyNet", weights=str(ts), input_shape=[1, 1, 28, 28])
        )
    assert "without --weights" in e.value.hint
    not_torch = tmp_path / "photos.pt"
    with zipfile.ZipFile(not_torch, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(
        ModelLoadError, match=r"zip archive but not a PyTorch file \(it holds hello.txt\)"
    ):
        load_model(ModelSpec(str(not_torch), input_shape=[1, 1, 28, 28]))


class _WritesAFile:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_code_running_pickles_never_run_and_the_message_says_why(tmp_path, tiny_model_file):
    marker = tmp_path / "PWNED"
    weights = tmp_path / "w.pth"
    torch.save({"fc.weight": _WritesAFile(str(marker))}, weights)
    raw = tmp_path / "raw.pt"
    raw.write_bytes(pickle.dumps(_WritesAFile(str(marker))))
    with pytest.raises(UntrustedPickleError) as e:
        load_model(
            ModelSpec(
                f"{tiny_model_file}:TinyNet", weights=str(weights), input_shape=[1, 1, 28, 28]
            )
        )
    assert "references io.open" in e.value.message
    assert (
        "weights_only" not in e.value.message and "\x1b" not in e.value.message
    )  # not torch's advice
    with pytest.raises(UntrustedPickleError, match="It was not loaded"):
        load_model(ModelSpec(str(raw), input_shape=[1, 1, 28, 28]))
    assert not marker.exists()


def test_pt2_with_dynamic_batch_is_measured_at_batch_1(tmp_path, tiny_model_file):
    tiny = load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))
    ep = torch.export.export(
        tiny.module,
        (torch.zeros(4, 1, 28, 28),),
        dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=64)},),
    )
    path = tmp_path / "dyn.pt2"
    torch.export.save(ep, str(path))
    m = load_model(ModelSpec(str(path)))
    assert m.input_shape == [1, 1, 28, 28] and m.output_shape == [1, 10]
    assert any("dynamic" in n for n in m.notes)


def test_pt2_with_steps_or_script_fails_before_any_build(tmp_path, tiny_model_file):
    from deploy_studio.core.errors import RecipeError

    tiny = load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))
    path = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(tiny.module, (torch.zeros(1, 1, 28, 28),)), str(path))
    recipe = _recipe(
        str(path),
        [
            {"name": "e", "format": "eager"},
            {"name": "q", "format": "pte", "steps": [{"kind": "quantize", "mode": "int8-static"}]},
            {"name": "s", "format": "ptl", "convert": "script"},
        ],
    )
    with pytest.raises(RecipeError) as e:  # all problems at once, before minutes of other builds
        run_recipe(recipe, tmp_path / "out", isolate=False)
    assert "2 problems found before building anything" in e.value.message
    assert (
        "frozen graph; the quantize step needs" in e.value.message
    )  # was "internal error: ... eval()"
    assert "torch.jit.script cannot compile a .pt2" in e.value.message
    assert not (tmp_path / "out" / "artifacts").exists()


def test_atomic_writes_keep_normal_permissions(tmp_path):
    from deploy_studio.core.fsutil import atomic_dir, write_bytes_atomic

    old = os.umask(0o022)
    try:
        f = write_bytes_atomic(tmp_path / "a.bin", b"x")
        with atomic_dir(tmp_path / "d") as d:
            (d / "inner.txt").write_text("y")
    finally:
        os.umask(old)
    assert (
        stat.S_IMODE(f.stat().st_mode) == 0o644
    )  # was 0600 (mkstemp): unreadable to CI/web servers
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == 0o755


def test_output_folder_problems_are_user_errors(tmp_path, tiny_model_file):
    recipe = _recipe(f"{tiny_model_file}:TinyNet", [{"name": "e", "format": "eager"}])
    a_file = tmp_path / "afile"
    a_file.write_text("")
    for out, msg in ((a_file, "is a file"), (a_file / "sub", "cannot be created: .* is a file")):
        with pytest.raises(StudioError, match=msg) as e:
            run_recipe(recipe, out, isolate=False)
        assert e.value.exit_code == 2


def test_recipe_shape_mistakes(tiny_model_file, tmp_path):
    with pytest.raises(RecipeError, match=r"\[export\].templates must be a list"):
        parse_recipe(
            {"model": {"source": "builtin:digits-cnn"}, "export": {"templates": "android"}}
        )
    empty = parse_recipe(
        {"model": {"source": f"{tiny_model_file}:TinyNet", "input_shape": [1, 1, 28, 28]}}
    )
    with pytest.raises(RecipeError, match="no enabled variant"):
        run_recipe(empty, tmp_path / "out", isolate=False)
    from deploy_studio.core.recipe import load_recipe

    with pytest.raises(RecipeError, match="is a folder"):
        load_recipe(tmp_path)


def test_select_output_plain_tensor_is_untouched():
    from deploy_studio.core.models.validate import select_output

    t = torch.from_numpy(np.zeros((1, 3), np.float32))
    assert select_output(t) == (t, None)
    assert select_output((None, t))[1] == 1


def test_fewer_data_classes_than_outputs_is_said_in_the_report(tmp_path, tiny_model_file):
    from PIL import Image

    from deploy_studio.core.session import open_session

    for c in ("a", "b"):
        (tmp_path / "imgs" / c).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (40, 30), (i * 60, 10, 200)).save(tmp_path / "imgs" / c / f"{i}.png")
    recipe = _recipe(
        f"{tiny_model_file}:TinyNet",
        [{"name": "e", "format": "eager"}],
        data=f"imagefolder:{tmp_path / 'imgs'}",
    )
    session = open_session(recipe.model, recipe.data)
    assert any("2 classes and the model 10 outputs" in n for n in session.warnings)


def test_trusted_whole_module_finds_its_class_beside_the_file(tmp_path):
    import importlib
    import sys

    write_models(tmp_path / "qa_sibling_net.py", "TinyNet")
    sys.path.insert(0, str(tmp_path))
    try:
        net = importlib.import_module("qa_sibling_net").TinyNet()
        torch.save(net, tmp_path / "whole.pt")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("qa_sibling_net", None)
    m = load_model(ModelSpec(str(tmp_path / "whole.pt"), input_shape=[1, 1, 28, 28], trust=True))
    assert m.output_shape == [1, 10] and str(tmp_path) not in sys.path
    sys.modules.pop("qa_sibling_net", None)


def test_lite_archive_reports_its_real_parameter_count(tmp_path, tiny_model_file):
    tiny = load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))
    path = tmp_path / "m.ptl"
    torch.jit.trace(tiny.module, torch.zeros(1, 1, 28, 28))._save_for_lite_interpreter(str(path))
    m = load_model(ModelSpec(str(path), input_shape=[1, 1, 28, 28]))
    assert m.kind == "lite" and m.params == tiny.params  # was 0
