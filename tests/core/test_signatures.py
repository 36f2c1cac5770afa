"""Any model, not only single-input image classifiers: named inputs and flattened outputs.

Models (tests/support/models.py): ImageAndVector (a float image and a float vector),
TokenGRU (int64 token ids through an nn.GRU), TokenConv (int64 ids and a bool mask with a
dynamic sequence length), DictHeads (returns {"logits", "embedding"}) and NestedTuple
(returns (logits, (features, {"norm"}))). Each goes through ``deploy-studio inspect`` and a
run in pte, onnx and ptl, every artifact run in its own runtime with parity per output.

What a format cannot hold: torch.export (hence pte and onnx) cannot keep a GRU/LSTM's sequence
length dynamic (it unrolls the time loop: the model is refused at load, exit 2); ptl
(TorchScript) records no dynamic dimensions, so the dynamic-length model is run in pte and
onnx only; Core ML does not run on this host.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from deploy_studio.core.cli import main as cli
from deploy_studio.core.engine import run_recipe
from deploy_studio.core.errors import ModelLoadError, RecipeError
from deploy_studio.core.models import ModelSpec, load_model
from deploy_studio.core.models.signature import parse_input_arg, parse_inputs
from deploy_studio.core.recipe import parse_recipe
from tests.conftest import run_cli
from tests.support.models import MODELS_PY
from tests.support.pipeline import Pipeline
from tests.support.recipes import recipe, recipe_dict, variant, write_recipe

IMAGE = {"name": "image", "shape": [1, 1, 28, 28], "dtype": "float32"}
META = {"name": "meta", "shape": [1, 6], "dtype": "float32"}
TOKENS = {"name": "tokens", "shape": [1, 6], "dtype": "int64"}
DYNAMIC = {"1": [1, 32]}
FORMATS = [variant("e", "eager"), variant("p", "pte"), variant("o", "onnx")]
PTL = variant("l", "ptl", convert="trace")
INT8 = {"kind": "quantize", "mode": "int8-static"}
SMALL = {"calibration_samples": 12, "eval_samples": 10}
FAST = {"warmup": 1, "runs": 2}


def _model(cls: str, *inputs: dict, **extra) -> dict:
    table: dict = {"source": f"{MODELS_PY}:{cls}", **extra}
    if inputs:
        table["inputs"] = [dict(i) for i in inputs]
    return table


def _run(tmp_path, model: dict, variants, data="random", **kw) -> dict:
    r = recipe(model, variants, name="sig", data={"source": data, **SMALL}, benchmark=FAST, **kw)
    return run_recipe(r, tmp_path, isolate=False)


def _rows(report) -> dict:
    rows = {v["name"]: v for v in report["variants"]}
    assert all(v["error"] is None for v in rows.values()), {k: v["error"] for k, v in rows.items()}
    return rows


# --- the recipe and the CLI ------------------------------------------------------------------


def test_inputs_in_the_recipe_round_trip_and_are_validated():
    r = recipe(_model("TokenConv", {**TOKENS, "dynamic": DYNAMIC, "range": [0, 49]}), [])
    assert r.model.inputs == [{**TOKENS, "dynamic": {"1": [1, 32]}, "range": [0, 49]}]
    assert parse_recipe(r.to_dict()).model == r.model  # to_toml and back
    (spec,) = parse_inputs(r.model.inputs)
    assert spec.dynamic == {1: (1, 32)} and spec.int_range() == (0, 49)
    bad = {
        "dtype": ({**TOKENS, "dtype": "int8"}, "'tokens': dtype 'int8' is not one of"),
        "dim": ({**TOKENS, "dynamic": {"2": [1, 8]}}, "'tokens': dynamic dimension '2'"),
        "range": ({**TOKENS, "dynamic": {"1": [8, 16]}}, r"1 <= min <= 6 \(its size"),
        "key": ({**TOKENS, "lenght": 3}, "unknown key 'lenght'"),
        "twice": ([TOKENS, TOKENS], "two inputs are named 'tokens'"),
    }
    for case, (entry, message) in bad.items():
        table = _model("TokenConv", *(entry if isinstance(entry, list) else [entry]))
        with pytest.raises(RecipeError, match=message):
            parse_recipe(recipe_dict(table, []))
        assert case
    with pytest.raises(RecipeError, match="both input_shape and inputs"):
        parse_recipe(recipe_dict(_model("TokenConv", TOKENS, input_shape=[1, 6]), []))


def test_input_argument_is_name_shape_dtype():
    assert parse_input_arg("tokens:1x50:int64") == {
        "name": "tokens",
        "shape": [1, 50],
        "dtype": "int64",
    }
    assert parse_input_arg("image:1x3x8x8")["dtype"] == "float32"
    for text, message in [
        ("tokens", "is not NAME:SHAPE:DTYPE"),
        ("tokens:1xfifty:int64", "shape '1xfifty' of input 'tokens'"),
        ("tokens:1x50:long", "dtype 'long' of input 'tokens'"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_input_arg(text)


def test_malformed_input_argument_exits_2_naming_the_input(capsys):
    with pytest.raises(SystemExit) as e:
        cli(["inspect", f"{MODELS_PY}:TokenGRU", "--input", "tokens:1x6:long"])
    assert e.value.code == 2
    assert "dtype 'long' of input 'tokens'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "cls,args,inputs,outputs",
    [
        (
            "ImageAndVector",
            ["--input", "image:1x1x28x28:float32", "--input", "meta:1x6"],
            ["image", "meta"],
            ["output"],
        ),
        ("TokenGRU", ["--input", "tokens:1x6:int64"], ["tokens"], ["output"]),
        ("DictHeads", ["--input-shape", "1,1,28,28"], ["input"], ["logits", "embedding"]),
        (
            "NestedTuple",
            ["--input-shape", "1,1,28,28"],
            ["input"],
            ["out.0", "out.1.0", "out.1.1.norm"],
        ),
    ],
)
@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_inspect_lists_named_inputs_and_outputs(cls, args, inputs, outputs):
    res = run_cli("inspect", f"{MODELS_PY}:{cls}", *args, "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert info["ok"] and [i["name"] for i in info["inputs"]] == inputs
    assert [o["name"] for o in info["outputs"]] == outputs
    assert [o["name"] for o in info["outputs"] if o.get("task")] == [outputs[0]]
    if cls == "TokenGRU":  # the id range comes from the embedding the ids feed
        assert info["inputs"][0]["range"] == [0, 49]
        assert any("ids 0..49, from the embedding 'emb'" in n for n in info["notes"])
    if cls in ("ImageAndVector", "NestedTuple"):  # the text summary lists them too
        text = run_cli("inspect", f"{MODELS_PY}:{cls}", *args)
        assert text.returncode == 0
        for name in inputs if len(inputs) > 1 else []:
            assert f"input        {name}" in text.stdout
        for name in outputs if len(outputs) > 1 else []:
            assert f"output       {name}" in text.stdout


# --- runs: every artifact in its own runtime, parity per output -------------------------------


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_two_input_model_runs_in_every_format_and_int8(tmp_path):
    report = _run(
        tmp_path,
        _model("ImageAndVector", IMAGE, META),
        [*FORMATS, PTL, variant("p8", "pte", INT8), variant("o8", "onnx", INT8)],
    )
    rows = _rows(report)
    assert [i["name"] for i in report["model"]["inputs"]] == ["image", "meta"]
    for name in ("p", "o", "l"):
        assert rows[name]["parity"]["max_abs_diff"] < 1e-4
    for name in ("p8", "o8"):  # calibrated with both inputs
        assert rows[name]["parity"]["snr_db"] > 15, rows[name]["parity"]
        assert any("calibrated on 12 samples" in n for n in rows[name]["notes"])
    onnx = __import__("onnx").load(str(tmp_path / rows["o"]["artifact"]))
    assert [i.name for i in onnx.graph.input] == ["image", "meta"]


@pytest.mark.parametrize(
    "cls,names,task",
    [
        ("DictHeads", ["logits", "embedding"], "logits"),
        ("NestedTuple", ["out.0", "out.1.0", "out.1.1.norm"], "out.0"),
    ],
)
def test_every_output_of_a_dict_or_nested_tuple_is_compared(tmp_path, cls, names, task):
    report = _run(tmp_path, _model(cls), [*FORMATS, PTL], data="builtin:digits")
    rows = _rows(report)
    assert [o["name"] for o in report["model"]["outputs"]] == names
    assert report["model"]["output_shape"] == [1, 10]
    for row in rows.values():
        per = row["parity"]["outputs"]
        assert list(per) == names
        assert all(p["cosine"] > 0.9999 and p["max_abs_diff"] < 1e-3 for p in per.values()), per
        assert row["parity"]["max_abs_diff"] == per[task]["max_abs_diff"]  # the task output's
        assert row["accuracy"]["samples"] == 10
    onnx = __import__("onnx").load(str(tmp_path / rows["o"]["artifact"]))
    assert [o.name for o in onnx.graph.output] == names
    assert "Parity per output" in (tmp_path / "report.html").read_text()


def test_output_still_chooses_the_task_output_and_keeps_the_others(tmp_path):
    report = _run(tmp_path, _model("DictHeads", output="embedding"), [FORMATS[2]])
    assert report["model"]["output"] == "embedding"
    assert report["model"]["output_shape"] == [1, 32]
    parity = report["variants"][0]["parity"]
    assert parity["max_abs_diff"] == parity["outputs"]["embedding"]["max_abs_diff"]
    nested = load_model(
        ModelSpec(f"{MODELS_PY}:NestedTuple", input_shape=[1, 1, 28, 28], output="out.1.1.norm")
    )
    assert nested.output_shape == [1, 1] and nested.output_key == "out.1.1.norm"


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_token_gru_runs_at_a_fixed_length_in_pte_onnx_and_ptl(tmp_path):
    report = _run(tmp_path, _model("TokenGRU", TOKENS), [*FORMATS, PTL])
    rows = _rows(report)
    assert report["model"]["inputs"] == [{**TOKENS, "range": [0, 49]}]
    for name in ("p", "o", "l"):
        assert rows[name]["parity"]["max_abs_diff"] < 1e-4, rows[name]["parity"]


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_dynamic_sequence_length_runs_at_two_lengths_in_pte_and_onnx(tmp_path):
    import torch

    from deploy_studio.core.runtimes import open_runner, run_scope

    tokens = {**TOKENS, "dynamic": DYNAMIC}
    mask = {"name": "mask", "shape": [1, 6], "dtype": "bool", "dynamic": DYNAMIC}
    fp16 = variant("p16", "pte", {"kind": "quantize", "mode": "fp16"})  # float16 between casts
    r = recipe(
        _model("TokenConv", tokens, mask),
        [*FORMATS[1:], fp16],
        data={"source": "random", **SMALL},
        benchmark=FAST,
    )
    pipeline = Pipeline()
    model = pipeline.session(r).model
    rng = np.random.default_rng(0)
    for name in ("p", "o", "p16"):
        built = pipeline.build(r, name, tmp_path / name)
        assert "dynamic dimensions kept: tokens dim 1 in 1..32, mask dim 1 in 1..32" in built.notes
        with run_scope(built.artifact.runtime, 1):
            runner = open_runner(built.artifact.runtime, built.artifact.path, 1)
            try:
                for length in (6, 17, 1):
                    ids = rng.integers(0, 50, (1, length)).astype(np.int64)
                    keep = np.ones((1, length), dtype=bool)
                    (out,) = runner.run([ids, keep])
                    with torch.no_grad():
                        ref = model.module(torch.from_numpy(ids), torch.from_numpy(keep))
                    tol = 1e-2 if name == "p16" else 1e-4
                    assert np.abs(out - ref.numpy()).max() < tol, (name, length)
            finally:
                runner.close()
    report = run_recipe(r, tmp_path / "run", isolate=False)
    assert all(v["error"] is None for v in report["variants"])
    assert report["model"]["inputs"][1] == {**mask, "dynamic": {"1": [1, 32]}}


def test_npz_data_feeds_two_named_inputs_with_labels(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    np.savez(
        tmp_path / "data.npz",
        image=rng.standard_normal((n, 1, 28, 28)).astype(np.float32),
        meta=rng.standard_normal((n, 1, 6)),  # samples with their batch axis; float64
        labels=rng.integers(0, 10, n),
        extra=np.zeros(n),
    )
    report = _run(
        tmp_path / "out",
        _model("ImageAndVector", IMAGE, META),
        [FORMATS[2]],
        data=f"npz:{tmp_path / 'data.npz'}",
    )
    row = _rows(report)["o"]
    assert report["dataset"]["labelled"] and report["dataset"]["eval_samples"] == 10
    assert row["accuracy"]["top1"] is not None and row["parity"]["top1_agreement"] == 1.0
    assert any("ignored arrays of data.npz that name no input: extra" in n for n in report["notes"])


def test_a_multi_input_model_gets_an_android_tensor_app_and_a_web_page(tmp_path):
    report = _run(
        tmp_path,
        _model("ImageAndVector", IMAGE, META),
        [FORMATS[1]],
        export={"templates": ["android", "web"]},
    )
    android, web = report["templates"]
    assert android.get("error") is None and android["path"] == "apps/android-executorch"
    assets = tmp_path / android["path"] / "app/src/main/assets"
    sample = json.loads((assets / "sample_inputs.json").read_text("utf-8"))
    assert [(i["name"], i["dtype"], i["shape"]) for i in sample["inputs"]] == [
        ("image", "float32", [1, 1, 28, 28]),
        ("meta", "float32", [1, 6]),
    ]
    assert (assets / "model.pte").is_file()
    assert web.get("error") is None and web["path"] == "apps/web-onnxruntime-web"


# --- bad inputs: exit 2 with a message naming the input ---------------------------------------


def _exit_2(tmp_path, capsys, model: dict, data: str = "random") -> str:
    path = write_recipe(
        tmp_path / "r.toml", model, [FORMATS[1]], data={"source": data, **SMALL}, benchmark=FAST
    )
    code = cli(["run", str(path), "--out", str(tmp_path / "out"), "--no-isolate"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    return err


def test_a_dtype_the_model_rejects_names_the_input(tmp_path, capsys):
    err = _exit_2(tmp_path, capsys, _model("TokenGRU", {**TOKENS, "dtype": "float32"}))
    assert "input 'tokens' is declared float32, but layer 'emb' (Embedding) rejects it" in err
    assert 'dtype = "int64"' in err
    with pytest.raises(ModelLoadError, match="input 'tokens' is declared float32"):
        load_model(ModelSpec(f"{MODELS_PY}:TokenGRU", inputs=[{**TOKENS, "dtype": "float32"}]))


def test_a_dynamic_range_the_export_cannot_hold_names_the_input(tmp_path, capsys):
    err = _exit_2(tmp_path, capsys, _model("TokenGRU", {**TOKENS, "dynamic": DYNAMIC}))
    assert "input 'tokens': dimension 1 is declared dynamic [1, 32]" in err
    assert "fixes it to 6" in err and "nn.GRU" in err


def test_an_npz_missing_an_input_names_it(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", image=np.zeros((8, 1, 28, 28), np.float32))
    err = _exit_2(
        tmp_path,
        capsys,
        _model("ImageAndVector", IMAGE, META),
        data=f"npz:{tmp_path / 'd.npz'}",
    )
    assert "d.npz has no array 'meta' for the model's input meta [1, 6] float32" in err
    assert "np.savez(FILE, image=..., meta=..., labels=...)" in err


def test_random_ids_need_a_range_when_no_embedding_tells_it(tmp_path, capsys):
    mask = {"name": "mask", "shape": [1, 6], "dtype": "int64"}  # ids of nothing: a 0/1 mask
    err = _exit_2(tmp_path, capsys, _model("TokenConv", TOKENS, mask))
    assert "cannot make ids for input 'mask' (int64)" in err and "range = [0, 999]" in err


# --- signatures read from the file ------------------------------------------------------------


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_an_exported_program_brings_its_own_inputs(tmp_path):
    import torch

    from tests.support.models import ImageAndVector, TokenConv

    two = tmp_path / "two.pt2"
    example = (torch.randn(1, 1, 28, 28), torch.randn(1, 6))
    torch.export.save(torch.export.export(ImageAndVector().eval(), example), str(two))
    m = load_model(ModelSpec(str(two)))
    assert m.kind == "exported" and m.signature.input_names == ["image", "meta"]
    report = _run(tmp_path / "run", {"source": str(two), "input_shape": None}, FORMATS[1:])
    assert _rows(report) and [i["name"] for i in report["model"]["inputs"]] == ["image", "meta"]
    tokens = tmp_path / "tokens.pt2"
    ids = (torch.randint(0, 50, (1, 6)), torch.ones(1, 6, dtype=torch.bool))
    torch.export.save(torch.export.export(TokenConv().eval(), ids), str(tokens))
    res = run_cli("inspect", str(tokens), "--json")
    assert res.returncode == 0, res.stderr
    info = json.loads(res.stdout)
    assert [(i["name"], i["dtype"]) for i in info["inputs"]] == [
        ("tokens", "int64"),
        ("mask", "bool"),
    ]
    assert info["inputs"][0]["range"] == [0, 49]  # from the embedding in the program's graph


def test_an_exported_program_keeps_its_dynamic_sequence_length(tmp_path):
    import torch
    from torch.export import Dim

    from deploy_studio.core.runtimes import open_runner, run_scope
    from tests.support.models import TokenConv

    path = tmp_path / "dyn.pt2"
    length = Dim("length", min=1, max=40)
    ids = (torch.randint(0, 50, (1, 8)), torch.ones(1, 8, dtype=torch.bool))
    ep = torch.export.export(TokenConv().eval(), ids, dynamic_shapes=({1: length}, {1: length}))
    torch.export.save(ep, str(path))
    m = load_model(ModelSpec(str(path)))
    assert [dict(i.dynamic) for i in m.signature.inputs] == [{1: (1, 40)}, {1: (1, 40)}]
    report = _run(tmp_path / "run", {"source": str(path), "input_shape": None}, FORMATS[1:])
    rows = _rows(report)
    assert report["model"]["inputs"][0]["dynamic"] == {"1": [1, 40]}
    for name, runtime in (("p", "executorch"), ("o", "onnxruntime")):
        artifact = tmp_path / "run" / rows[name]["artifact"]
        with run_scope(runtime, 1):
            runner = open_runner(runtime, artifact, 1, signature=m.signature)
            for n in (3, 17):
                x = [np.arange(n, dtype=np.int64)[None] % 50, np.ones((1, n), dtype=bool)]
                want = m.module(*map(torch.from_numpy, x)).detach().numpy()
                assert np.allclose(runner.run_all(x)[0], want, atol=1e-4), (name, n)
            runner.close()


def test_a_torchscript_archive_names_the_inputs_its_forward_takes(tmp_path):
    import torch

    from deploy_studio.core.errors import InputShapeUnknown
    from tests.support.models import ImageAndVector

    path = tmp_path / "two.pt"
    torch.jit.script(ImageAndVector().eval()).save(str(path))
    with pytest.raises(InputShapeUnknown, match=r"forward\(\) takes 2 inputs: image, meta") as e:
        load_model(ModelSpec(str(path)))
    assert "--input image:SHAPE:DTYPE --input meta:SHAPE:DTYPE" in e.value.hint
    with pytest.raises(ModelLoadError, match=r"forward\(\) takes 2 inputs \(also 'meta'\)"):
        load_model(ModelSpec(str(path), input_shape=[1, 1, 28, 28]))
    m = load_model(ModelSpec(str(path), inputs=[IMAGE, META]))
    assert m.kind == "torchscript" and m.signature.input_names == ["image", "meta"]


def test_a_new_recipe_for_a_multi_input_model_feeds_its_own_inputs():
    import tomli

    from deploy_studio.core.recipe_defaults import new_recipe_for

    summary = {
        "input_shape": [1, 1, 28, 28],
        "output_shape": [1, 10],
        "kind": "module",
        "inputs": [IMAGE, META],
    }
    r = new_recipe_for(ModelSpec("x.py:Net", inputs=[IMAGE, META]), summary)
    assert r.data.source == "random"  # not the digits: they feed one image
    tokens = {**TOKENS, "dynamic": DYNAMIC}
    r.model.inputs = [tokens]
    assert parse_recipe(tomli.loads(r.to_toml())).model.inputs == [tokens]


def test_the_declared_inputs_are_part_of_the_build_cache_key():
    from deploy_studio.core.build_cache import variant_key

    def key(*inputs):
        r = recipe(_model("TokenConv", *inputs), [FORMATS[1]])
        return variant_key(r, r.variants[0], {})

    mask = {"name": "mask", "shape": [1, 6], "dtype": "bool"}
    base = key(TOKENS, mask)
    assert base == key(TOKENS, mask)
    assert base != key({**TOKENS, "range": [0, 9]}, mask)
    assert base != key({**TOKENS, "dynamic": DYNAMIC}, {**mask, "dynamic": DYNAMIC})


def test_outputs_flatten_into_names_and_back():
    import torch

    from deploy_studio.core.models.signature import shorthand

    raw = {"logits": torch.ones(1, 3), "heads": (torch.zeros(1, 2), [torch.ones(1)])}
    sig, key = shorthand([1, 4]).with_outputs(raw)
    assert sig.output_names == ["logits", "heads.0", "heads.1.0"] and key == "logits"
    back = sig.unflatten(sig.flatten(raw))
    assert back.keys() == raw.keys() and isinstance(back["heads"][1], list)
    sig, key = shorthand([1, 4]).with_outputs(raw, "heads.1.0")
    assert sig.task == 2 and key == "heads.1.0"
    with pytest.raises(ModelLoadError, match="every output must be a tensor"):
        shorthand([1, 4]).with_outputs((torch.ones(1), 3))
