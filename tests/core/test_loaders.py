"""Every model source loads and is validated by a real forward pass; every bad input is typed."""

from __future__ import annotations

import json
import pickle

import pytest
import torch

from deploy_studio.core.errors import ModelLoadError, ShapeMismatchError, UntrustedPickleError
from deploy_studio.core.models import ModelSpec, load_model
from deploy_studio.core.models.summary import summarize
from tests.conftest import ROOT, run_cli


def _tiny(tiny_model_file):
    return load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 1, 28, 28]))


def test_builtin_digits_cnn_is_trained_and_cached():
    m = load_model(ModelSpec("builtin:digits-cnn"))
    assert m.input_shape == [1, 1, 28, 28] and m.output_shape == [1, 10]
    assert m.params == 32 * 9 + 32 + 32 * 26 * 26 * 128 + 128 + 128 * 10 + 10
    assert "cached" in m.notes[0]


def test_builtin_cache_corruption_retrains():
    from deploy_studio.core.fsutil import cache_dir
    from deploy_studio.core.models.builtin import TRAIN_VERSION

    load_model(ModelSpec("builtin:digits-cnn"))
    weights = cache_dir() / "models" / f"digits-cnn-v{TRAIN_VERSION}.pt"
    good = torch.load(weights, weights_only=True)
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    m = load_model(ModelSpec("builtin:digits-cnn"))
    assert "just now" in m.notes[0]
    again = torch.load(weights, weights_only=True)
    assert all(torch.equal(good[k], again[k]) for k in good)  # deterministic training


def test_builtin_small_student():
    m = load_model(ModelSpec("builtin:digits-cnn-small"))
    assert m.params < 0.25 * 2_770_634 and m.output_shape == [1, 10]


def test_unknown_builtin():
    with pytest.raises(ModelLoadError, match="digits-cnn"):
        load_model(ModelSpec("builtin:nope"))


def test_torchvision_random_and_weights(tmp_path):
    m = load_model(ModelSpec("torchvision:squeezenet1_1", input_shape=[1, 3, 64, 64]))
    assert m.output_shape == [1, 1000] and m.params > 1_000_000
    sd = tmp_path / "sq.pth"
    torch.save(m.module.state_dict(), sd)
    m2 = load_model(
        ModelSpec("torchvision:squeezenet1_1", weights=str(sd), input_shape=[1, 3, 64, 64])
    )
    x = torch.randn(1, 3, 64, 64)
    assert torch.allclose(m.module(x), m2.module(x))


def test_torchvision_unknown_arch():
    with pytest.raises(ModelLoadError, match="no classification architecture"):
        load_model(ModelSpec("torchvision:resnet9000"))


def test_python_class_with_weights(tiny_model_file, tmp_path):
    m = _tiny(tiny_model_file)
    sd = tmp_path / "w.pth"
    torch.save(m.module.state_dict(), sd)
    m2 = load_model(
        ModelSpec(f"{tiny_model_file}:TinyNet", weights=str(sd), input_shape=[1, 1, 28, 28])
    )
    x = torch.randn(1, 1, 28, 28)
    assert torch.equal(m.module(x), m2.module(x))


def test_training_checkpoint_and_dataparallel_prefix(tiny_model_file, tmp_path):
    m = _tiny(tiny_model_file)
    ckpt = tmp_path / "ckpt.pth"
    torch.save(
        {
            "epoch": 3,
            "model_state_dict": {f"module.{k}": v for k, v in m.module.state_dict().items()},
        },
        ckpt,
    )
    m2 = load_model(
        ModelSpec(f"{tiny_model_file}:TinyNet", weights=str(ckpt), input_shape=[1, 1, 28, 28])
    )
    x = torch.randn(1, 1, 28, 28)
    assert torch.equal(m.module(x), m2.module(x))


def test_weights_that_do_not_fit(tiny_model_file, tmp_path):
    sd = tmp_path / "w.pth"
    torch.save({"fc.weight": torch.zeros(3, 3)}, sd)
    with pytest.raises(ModelLoadError, match=r"fc.weight: file \[3, 3\] vs model \[10, 676\]"):
        load_model(
            ModelSpec(f"{tiny_model_file}:TinyNet", weights=str(sd), input_shape=[1, 1, 28, 28])
        )


def test_python_class_errors(tiny_model_file):
    with pytest.raises(ModelLoadError, match=r"no class 'Nope'.*") as e:
        load_model(ModelSpec(f"{tiny_model_file}:Nope", input_shape=[1, 1, 28, 28]))
    assert "TinyNet" in e.value.hint
    with pytest.raises(ModelLoadError, match=r"needs constructor argument.*width"):
        load_model(ModelSpec(f"{tiny_model_file}:NeedsArgs", input_shape=[1, 4]))


def test_seed_simple_cnn_names_layer_and_shapes():
    with pytest.raises(ShapeMismatchError) as e:
        load_model(
            ModelSpec(
                str(ROOT / "resources/examples/seed_simple_cnn.py") + ":SimpleCNN",
                input_shape=[1, 1, 28, 28],
            )
        )
    err = e.value
    assert err.layer == "fc1"
    assert "32*14*14" in err.message and "32*26*26" in err.message
    assert "nn.Linear(32*26*26, 128)" in err.hint


def test_wrong_channel_count_suggests_shape(tiny_model_file):
    with pytest.raises(ShapeMismatchError) as e:
        load_model(ModelSpec(f"{tiny_model_file}:TinyNet", input_shape=[1, 3, 28, 28]))
    assert e.value.layer == "conv" and "1,1,28,28" in e.value.hint


def test_torchscript_lite_and_pt2(tiny_model_file, tmp_path):
    m = _tiny(tiny_model_file)
    x = torch.randn(1, 1, 28, 28)
    ts = tmp_path / "m.pt"
    torch.jit.save(torch.jit.trace(m.module, x), str(ts))
    ptl = tmp_path / "m.ptl"
    torch.jit.trace(m.module, x)._save_for_lite_interpreter(str(ptl))
    pt2 = tmp_path / "m.pt2"
    torch.export.save(torch.export.export(m.module, (x,)), str(pt2))
    ref = m.module(x)
    a = load_model(ModelSpec(str(ts), input_shape=[1, 1, 28, 28]))
    b = load_model(ModelSpec(str(ptl), input_shape=[1, 1, 28, 28]))
    c = load_model(ModelSpec(str(pt2)))  # the shape comes from the ExportedProgram
    assert (a.kind, b.kind, c.kind) == ("torchscript", "lite", "exported")
    assert c.input_shape == [1, 1, 28, 28]
    for loaded in (a, b, c):
        assert torch.allclose(loaded.module(x), ref, atol=1e-5)
    with pytest.raises(ModelLoadError, match="--input-shape"):
        load_model(ModelSpec(str(ts)))


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {_Evil.marker}",))


def test_untrusted_pickle_never_runs_code(tmp_path):
    _Evil.marker = tmp_path / "pwned"
    bad = tmp_path / "evil.pt"
    torch.save(_Evil(), bad)
    with pytest.raises(UntrustedPickleError) as e:
        load_model(ModelSpec(str(bad), input_shape=[1, 1, 28, 28]))
    assert "--trust" in e.value.hint
    assert not _Evil.marker.exists()


def test_pickled_module_only_with_trust(tiny_model_file, tmp_path):
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("tiny_models_for_pickle", tiny_model_file)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["tiny_models_for_pickle"] = mod
    spec.loader.exec_module(mod)
    whole = tmp_path / "whole.pt"
    torch.save(mod.TinyNet(), whole)
    with pytest.raises(UntrustedPickleError):
        load_model(ModelSpec(str(whole), input_shape=[1, 1, 28, 28]))
    m = load_model(ModelSpec(str(whole), input_shape=[1, 1, 28, 28], trust=True))
    assert m.kind == "module" and m.output_shape == [1, 10]


def test_state_dict_given_as_model(tiny_model_file, tmp_path):
    sd = tmp_path / "weights.pth"
    torch.save(_tiny(tiny_model_file).module.state_dict(), sd)
    with pytest.raises(ModelLoadError, match="state_dict") as e:
        load_model(ModelSpec(str(sd), input_shape=[1, 1, 28, 28]))
    assert "--weights" in e.value.hint


@pytest.mark.parametrize(
    "content,expect",
    [
        (b"", "empty"),
        (b"this is not a model at all" * 10, "not a PyTorch archive"),
        ("truncate", "damaged|truncated"),
    ],
)
def test_garbage_truncated_and_empty_files(tiny_model_file, tmp_path, content, expect):
    path = tmp_path / "m.pt"
    if content == "truncate":
        torch.jit.save(
            torch.jit.trace(_tiny(tiny_model_file).module, torch.randn(1, 1, 28, 28)), str(path)
        )
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    else:
        path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=expect) as e:
        load_model(ModelSpec(str(path), input_shape=[1, 1, 28, 28]))
    assert "accepted" in e.value.hint or "re-save" in e.value.hint


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_model(ModelSpec(str(tmp_path / "nope.pt")))
    other = tmp_path / "model.h5"
    other.write_bytes(b"x")
    with pytest.raises(ModelLoadError, match="not a model format") as e:
        load_model(ModelSpec(str(other)))
    assert ".pt2" in e.value.hint


def test_summary_has_layers_and_flops(tiny_model_file):
    s = summarize(_tiny(tiny_model_file))
    assert [r["name"] for r in s["layers"]] == ["conv", "relu", "fc"]
    assert s["layers"][0]["output_shape"] == [1, 4, 13, 13]
    assert s["layers"][2]["params"] == 4 * 13 * 13 * 10 + 10
    # conv: 2*Cin*k*k*Cout*H*W, fc: 2*in*out
    assert s["flops"] == 2 * 1 * 9 * 4 * 13 * 13 + 2 * 676 * 10


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_inspect_cli_json_ok_and_bad(tiny_model_file, tmp_path):
    ok = run_cli("inspect", f"{tiny_model_file}:TinyNet", "--input-shape", "1,1,28,28", "--json")
    assert ok.returncode == 0, ok.stderr
    d = json.loads(ok.stdout)
    assert d["ok"] is True and d["error"] is None and d["params"] == 4 * 9 + 4 + 6770
    assert d["input_shape"] == [1, 1, 28, 28] and d["output_shape"] == [1, 10]
    bad = run_cli(
        "inspect",
        str(ROOT / "resources/examples/seed_simple_cnn.py") + ":SimpleCNN",
        "--input-shape",
        "1,1,28,28",
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "fc1" in bad.stderr and "32*26*26" in bad.stderr
    bad_json = run_cli("inspect", str(tmp_path / "missing.pt"), "--json")
    assert bad_json.returncode == 2 and json.loads(bad_json.stdout)["ok"] is False
    evil = tmp_path / "evil.pt"
    evil.write_bytes(
        pickle.dumps(_Evil.__new__(_Evil), protocol=2)
        if False
        else b"\x80\x02cos\nsystem\nq\x00X\x04\x00\x00\x00trueq\x01\x85q\x02Rq\x03."
    )
    refused = run_cli("inspect", str(evil), "--input-shape", "1,1,28,28")
    assert (
        refused.returncode == 2
        and "--trust" in refused.stderr
        and "Traceback" not in refused.stderr
    )


def test_random_init_is_the_same_in_every_process(tiny_model_file):
    """Parent and build child must see the same weights when no --weights are given."""
    import subprocess
    import sys

    code = (
        "import torch; from deploy_studio.core.models import ModelSpec, load_model; "
        f"m = load_model(ModelSpec('{tiny_model_file}:TinyNet', input_shape=[1, 1, 28, 28])); "
        "print(float(m.module.fc.weight.sum()))"
    )
    here = float(_tiny(tiny_model_file).module.fc.weight.sum())
    there = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout
    )
    assert here == there


class _EvilSampleInput:
    """Pickles to a call of os.system: loading it unsafely would create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_pt2_with_code_running_pickles_inside_is_refused_without_trust(tmp_path):
    """torch.export.load unpickles sample inputs and some weights without the weights-only
    restriction: a .pt2 can carry code. It is refused unless the user trusts it."""
    import io
    import zipfile

    import torch

    from deploy_studio.core.errors import UntrustedPickleError
    from deploy_studio.core.models import ModelSpec, load_model

    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2)).eval()
    good = tmp_path / "good.pt2"
    torch.export.save(torch.export.export(net, (torch.zeros(1, 4),)), str(good))
    assert load_model(ModelSpec(str(good))).output_shape == [1, 2]  # plain tensors only: loads
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt2"
    buf = io.BytesIO()
    torch.save(_EvilSampleInput(marker), buf)
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = (
                buf.getvalue()
                if info.filename.endswith("sample_inputs/model.pt")
                else src.read(info)
            )
            dst.writestr(info, data)
    with pytest.raises(UntrustedPickleError, match=r"posix.system|os.system") as e:
        load_model(ModelSpec(str(evil), input_shape=[1, 4]))
    assert "--trust" in e.value.hint
    assert not marker.exists()
