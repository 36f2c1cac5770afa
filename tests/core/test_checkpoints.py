"""Models with constructor arguments (``init_args``) and weights from training checkpoints.

Every checkpoint flavour is written here, from a model whose weights differ from the class's
seeded initialisation, and must load to outputs identical to that model's.
"""

from __future__ import annotations

import json
import tomllib

import pytest
import torch

from deploy_studio.core.errors import InitArgsError, ModelLoadError, RecipeError
from deploy_studio.core.models import ModelSpec, load_model
from tests.conftest import run_cli
from tests.support.models import MODELS_PY, Configurable, TinyNet, write_models
from tests.support.recipes import ONNX, PTE, TINY_SHAPE, recipe, recipe_dict, write_recipe

TINY = f"{MODELS_PY}:TinyNet"
CONFIGURABLE = f"{MODELS_PY}:Configurable"


def _trained(model: torch.nn.Module | None = None, seed: int = 7) -> torch.nn.Module:
    """A model whose weights are not the seeded initialisation (so loading must work)."""
    model = model if model is not None else TinyNet()
    with torch.no_grad():
        g = torch.Generator().manual_seed(seed)
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
    return model.eval()


def _load(path, source: str = TINY, **kw):
    return load_model(ModelSpec(source, weights=str(path), input_shape=list(TINY_SHAPE), **kw))


def _assert_same(loaded, original: torch.nn.Module) -> None:
    x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.equal(loaded.module(x), original(x))
        assert not torch.equal(TinyNet().eval()(x), original(x))  # the weights did load


def _notes(loaded) -> str:
    return "\n".join(loaded.notes)


# --- checkpoint flavours -------------------------------------------------------------------
def test_lightning_checkpoint(tmp_path):
    net = _trained()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net(torch.randn(2, 1, 28, 28)).sum().backward()
    opt.step()  # optimizer state with tensors, as Lightning saves it
    net.eval()
    state = {f"model.{k}": v for k, v in net.state_dict().items()}
    state["criterion.weight"] = torch.ones(10)  # the LightningModule's other modules
    ckpt = tmp_path / "epoch=3-step=120.ckpt"
    torch.save(
        {
            "epoch": 3,
            "global_step": 120,
            "pytorch-lightning_version": "2.4.0",
            "state_dict": state,
            "loops": {"fit_loop": {"epoch_progress": {"current": {"completed": 3}}}},
            "callbacks": {},
            "optimizer_states": [opt.state_dict()],
            "lr_schedulers": [{"last_epoch": 3, "_last_lr": [1e-3]}],
            "hyper_parameters": {"lr": 1e-3, "num_classes": 10, "name": "tiny"},
        },
        ckpt,
    )
    m = _load(ckpt)
    _assert_same(m, net)
    notes = _notes(m)
    assert "'state_dict'" in notes and "'model.'" in notes and "Lightning" in notes
    for ignored in ("epoch", "global_step", "optimizer_states", "hyper_parameters", "criterion"):
        assert ignored in notes


def test_torch_compile_state_dict(tmp_path):
    net = _trained()
    sd = torch.compile(net).state_dict()  # compiled lazily: nothing runs
    assert all(k.startswith("_orig_mod.") for k in sd)
    torch.save(sd, tmp_path / "compiled.pth")
    m = _load(tmp_path / "compiled.pth")
    _assert_same(m, net)
    assert "torch.compile" in _notes(m)


def test_dataparallel_and_compiled_ddp(tmp_path):
    net = _trained()
    torch.save(torch.nn.DataParallel(net).state_dict(), tmp_path / "dp.pth")
    _assert_same(_load(tmp_path / "dp.pth"), net)
    torch.save(
        {"model_state_dict": {f"_orig_mod.module.{k}": v for k, v in net.state_dict().items()}},
        tmp_path / "both.pth",
    )
    m = _load(tmp_path / "both.pth")
    _assert_same(m, net)
    assert "torch.compile, DataParallel" in _notes(m)


def test_ema_weights_are_preferred_and_said(tmp_path):
    raw, ema = _trained(seed=7), _trained(seed=8)
    torch.save(
        {"state_dict": raw.state_dict(), "state_dict_ema": ema.state_dict(), "epoch": 9},
        tmp_path / "timm.pth",
    )
    m = _load(tmp_path / "timm.pth")
    _assert_same(m, ema)
    assert "EMA" in _notes(m) and "raw training weights under 'state_dict'" in _notes(m)

    both = {f"model.{k}": v for k, v in raw.state_dict().items()}
    both |= {f"model_ema.module.{k}": v for k, v in ema.state_dict().items()}
    torch.save({"state_dict": both}, tmp_path / "lightning_ema.ckpt")  # one module holds both
    m = _load(tmp_path / "lightning_ema.ckpt")
    _assert_same(m, ema)
    assert "prefix 'model.'" in _notes(m)


def test_averaged_model_state_dict(tmp_path):
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    net = _trained()
    avg = AveragedModel(net, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    _trained(net, seed=9)
    avg.update_parameters(net)
    torch.save(avg.state_dict(), tmp_path / "swa.pth")  # module.* and n_averaged
    m = _load(tmp_path / "swa.pth")
    _assert_same(m, avg.module)
    assert "n_averaged" in _notes(m)


def test_extra_tensors_loss_and_step(tmp_path):
    net = _trained()
    extra = {"loss": torch.tensor(0.25), "step": torch.tensor(1000)}
    torch.save({"model": net.state_dict(), **extra}, tmp_path / "nested.pth")
    m = _load(tmp_path / "nested.pth")
    _assert_same(m, net)
    assert "loss, step" in _notes(m)
    torch.save({**net.state_dict(), **extra}, tmp_path / "flat.pth")
    m = _load(tmp_path / "flat.pth")
    _assert_same(m, net)
    assert "loss, step" in _notes(m)


def test_a_prefix_is_stripped_only_when_that_makes_the_keys_match(tmp_path):
    path = write_models(tmp_path / "wrapped.py", "TinyNet")
    path.write_text(
        path.read_text()
        + "\n\nclass Wrapped(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.model = TinyNet()\n\n    def forward(self, x):\n        return self.model(x)\n"
    )
    net = _trained()
    wrapped = {f"model.{k}": v for k, v in net.state_dict().items()}
    torch.save(wrapped, tmp_path / "w.pth")
    m = _load(tmp_path / "w.pth", f"{path}:Wrapped")  # its own keys start with model.
    _assert_same(m, net)
    assert "stripped" not in _notes(m)


# --- weights that do not fit ---------------------------------------------------------------
def test_mismatching_checkpoints_name_the_keys_and_the_cause(tmp_path):
    wide = Configurable(10, width=6).state_dict()
    torch.save({"state_dict": {f"model.{k}": v for k, v in wide.items()}}, tmp_path / "w.ckpt")
    with pytest.raises(ModelLoadError) as e:
        _load(tmp_path / "w.ckpt")
    assert "conv.weight: file [6, 1, 3, 3] vs model [4, 1, 3, 3]" in e.value.message
    assert "constructor arguments" in e.value.hint and "init_args" in e.value.hint

    other = torch.nn.Sequential(torch.nn.Linear(4, 4)).state_dict()
    torch.save({"state_dict": other, "epoch": 1}, tmp_path / "other.pth")
    with pytest.raises(ModelLoadError) as e:
        _load(tmp_path / "other.pth")
    assert "missing 4 key(s)" in e.value.message and "'0.weight'" in e.value.message
    assert "another architecture" in e.value.hint

    net = _trained().state_dict()
    torch.save({**net, "head.weight": torch.zeros(2, 2)}, tmp_path / "extra.pth")
    with pytest.raises(ModelLoadError, match=r"unexpected key.*'head.weight'"):
        _load(tmp_path / "extra.pth")

    torch.save({"epoch": 3, "name": "x"}, tmp_path / "empty.pth")
    with pytest.raises(ModelLoadError, match="holds no tensors"):
        _load(tmp_path / "empty.pth")


def test_batchnorm_counters_older_checkpoints_lack(tmp_path):
    path = write_models(tmp_path / "bn.py", "BNNet")
    m = load_model(ModelSpec(f"{path}:BNNet", input_shape=list(TINY_SHAPE)))
    sd = {k: v for k, v in m.module.state_dict().items() if "num_batches_tracked" not in k}
    torch.save(sd, tmp_path / "old.pth")
    load_model(
        ModelSpec(f"{path}:BNNet", weights=str(tmp_path / "old.pth"), input_shape=[1, 1, 28, 28])
    )


# --- init_args -----------------------------------------------------------------------------
def test_init_args_build_the_class():
    m = load_model(
        ModelSpec(CONFIGURABLE, input_shape=list(TINY_SHAPE), init_args={"num_classes": 5})
    )
    assert m.output_shape == [1, 5]
    assert m.spec.init_args == {"num_classes": 5}
    assert "built with num_classes=5" in m.notes


def test_init_args_with_a_checkpoint(tmp_path):
    net = _trained(Configurable(5, width=2))
    torch.save(
        {"state_dict": {f"model.{k}": v for k, v in net.state_dict().items()}}, tmp_path / "c.ckpt"
    )
    m = _load(tmp_path / "c.ckpt", CONFIGURABLE, init_args={"num_classes": 5, "width": 2})
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(m.module(x), net(x))


def test_missing_and_wrong_init_args():
    def load(args):
        return load_model(ModelSpec(CONFIGURABLE, input_shape=list(TINY_SHAPE), init_args=args))

    with pytest.raises(InitArgsError) as e:
        load(None)
    assert "num_classes" in e.value.message and "none were given" in e.value.message
    assert "init_args" in e.value.hint and "--init-args" in e.value.hint
    assert e.value.missing == ["num_classes"]
    assert e.value.signature == "Configurable(num_classes: int, width: int = 4)"
    with pytest.raises(InitArgsError, match="no constructor argument 'num_class'") as e:
        load({"num_class": 5})
    assert "did you mean num_classes" in e.value.hint
    with pytest.raises(InitArgsError, match="num_classes must be an integer, got '5'"):
        load({"num_classes": "5"})
    with pytest.raises(ModelLoadError, match=r"Configurable\(num_classes=-1\) raised RuntimeError"):
        load({"num_classes": -1})


def test_init_args_for_torchvision_and_not_for_built_models(tmp_path):
    m = load_model(
        ModelSpec(
            "torchvision:squeezenet1_1", input_shape=[1, 3, 64, 64], init_args={"num_classes": 5}
        )
    )
    assert m.output_shape == [1, 5]
    with pytest.raises(InitArgsError, match=r"torchvision:squeezenet1_1.*nope"):
        load_model(
            ModelSpec(
                "torchvision:squeezenet1_1", input_shape=[1, 3, 64, 64], init_args={"nope": 1}
            )
        )
    with pytest.raises(ModelLoadError, match=r"init_args apply to file\.py:Class"):
        load_model(ModelSpec("builtin:digits-cnn", init_args={"num_classes": 5}))


def test_recipe_init_args_round_trip_and_cache_key():
    from deploy_studio.core.build_cache import variant_key
    from deploy_studio.core.recipe import parse_recipe

    r = recipe({"source": CONFIGURABLE, "init_args": {"num_classes": 5, "dims": [1, 2]}}, [PTE])
    assert r.model.init_args == {"num_classes": 5, "dims": [1, 2]}
    assert parse_recipe(r.to_dict()) == r
    assert parse_recipe(tomllib.loads(r.to_toml())) == r
    assert ModelSpec.from_dict(r.model.to_dict()) == r.model
    assert "init_args" not in ModelSpec(TINY).to_dict()  # old specs keep their shape
    other = recipe({"source": CONFIGURABLE, "init_args": {"num_classes": 6}}, [PTE])
    assert variant_key(r, r.variants[0], {}) != variant_key(other, other.variants[0], {})
    with pytest.raises(RecipeError, match=r"\[model\].init_args must be a table"):
        recipe({"source": CONFIGURABLE, "init_args": 5})
    import datetime

    with pytest.raises(RecipeError, match=r"init_args.when .* not a plain value"):
        recipe({"source": CONFIGURABLE, "init_args": {"when": datetime.date(2024, 1, 1)}})


# --- the command line ----------------------------------------------------------------------
@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_cli_inspect_with_init_args():
    ok = run_cli(
        "inspect",
        CONFIGURABLE,
        "--input-shape",
        "1,1,28,28",
        "--init-args",
        '{"num_classes": 5}',
        "--json",
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["output_shape"] == [1, 5]
    missing = run_cli("inspect", CONFIGURABLE, "--input-shape", "1,1,28,28")
    assert missing.returncode == 2
    assert "num_classes" in missing.stderr and "--init-args" in missing.stderr
    assert "init_args" in missing.stderr and "Traceback" not in missing.stderr
    for bad, said in (
        ("{num_classes: 5}", "is not JSON"),
        ("[5]", "not an object"),
        ('{"num_class": 5}', "no constructor argument 'num_class'"),
        ('{"num_classes": "five"}', "num_classes must be an integer"),
    ):
        r = run_cli("inspect", CONFIGURABLE, "--input-shape", "1,1,28,28", "--init-args", bad)
        assert r.returncode == 2, (bad, r.stderr)
        assert said in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_cli_run_with_init_args(tmp_path):
    path = write_recipe(
        tmp_path / "r.toml",
        {"source": CONFIGURABLE, "init_args": {"num_classes": 5}},
        [PTE, ONNX],
        data="random",
    )
    r = run_cli("run", str(path), "--out", str(tmp_path / "out"), timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [v["error"] for v in report["variants"]] == [None, None]
    assert report["model"]["output_shape"] == [1, 5]

    bare = write_recipe(tmp_path / "bare.toml", {"source": CONFIGURABLE}, [PTE], data="random")
    r = run_cli("run", str(bare), "--out", str(tmp_path / "bare"))
    assert r.returncode == 2 and "num_classes" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("run", str(bare), "--out", str(tmp_path / "bad"), "--init-args", "5")
    assert r.returncode == 2 and "not an object" in r.stderr


def test_cli_init_args_override_the_recipe(tmp_path):
    from deploy_studio.core.cli import _load_recipe, build_parser

    path = tmp_path / "r.toml"
    path.write_text(
        __import__("tomli_w").dumps(
            recipe_dict({"source": CONFIGURABLE, "init_args": {"num_classes": 3}})
        )
    )
    args = build_parser().parse_args(
        ["run", str(path), "--out", "o", "--init-args", '{"num_classes": 7}']
    )
    assert _load_recipe(args).model.init_args == {"num_classes": 7}
    args = build_parser().parse_args(["tune", str(path), "--out", "o"])
    assert _load_recipe(args).model.init_args == {"num_classes": 3}


def test_missing_init_args_recorded_in_the_checkpoint_are_said(tmp_path):
    net = _trained(Configurable(5))
    ckpt = tmp_path / "last.ckpt"
    torch.save(
        {
            "state_dict": {f"model.{k}": v for k, v in net.state_dict().items()},
            "hyper_parameters": {"num_classes": 5, "lr": 0.01},
        },
        ckpt,
    )
    with pytest.raises(InitArgsError) as e:
        _load(ckpt, CONFIGURABLE)
    assert "last.ckpt records num_classes = 5" in e.value.hint
    assert "init_args = { num_classes = 5 }" in e.value.hint
    _assert_same(_load(ckpt, CONFIGURABLE, init_args={"num_classes": 5}), net)


def test_two_copies_of_the_weights_under_unknown_prefixes_are_not_guessed(tmp_path):
    a, b = _trained(seed=7).state_dict(), _trained(seed=8).state_dict()
    both = {f"teacher.{k}": v for k, v in a.items()} | {f"student.{k}": v for k, v in b.items()}
    torch.save(both, tmp_path / "kd.pth")
    with pytest.raises(ModelLoadError, match="under several prefixes") as e:
        _load(tmp_path / "kd.pth")
    assert "'student.'" in e.value.message and "'teacher.'" in e.value.message


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_every_checkpoint_flavour_through_inspect_and_run(tmp_path):
    from deploy_studio.core.engine import run_recipe
    from tests.support.recipes import recipe, variant

    net = _trained()
    sd = net.state_dict()
    noise = _trained(seed=3).state_dict()
    flavours = {
        "lightning.ckpt": {"state_dict": {f"model.{k}": v for k, v in sd.items()}, "epoch": 3},
        "compiled.pt": {f"_orig_mod.{k}": v for k, v in sd.items()},
        "ddp.pt": {f"module.{k}": v for k, v in sd.items()},
        "ema.pt": {"state_dict": noise, "state_dict_ema": sd},
        "extra.pt": {"model": sd, "loss": torch.tensor(0.3), "step": torch.tensor(5)},
    }
    for name, ckpt in flavours.items():
        torch.save(ckpt, tmp_path / name)
        _assert_same(_load(tmp_path / name), net)
    res = run_cli(
        "inspect", TINY, "--weights", str(tmp_path / "ema.pt"), "--input-shape", "1,1,28,28"
    )
    assert res.returncode == 0 and "EMA" in res.stdout, res.stdout + res.stderr
    model = {"source": TINY, "weights": str(tmp_path / "lightning.ckpt"), "input_shape": TINY_SHAPE}
    variants = [variant("p", "pte"), variant("o8", "onnx", {"kind": "quantize"})]
    report = run_recipe(recipe(model, variants), tmp_path / "out", isolate=False)
    for row in report["variants"]:
        assert row["error"] is None and row["parity"]["top1_agreement"] >= 0.9, row
    reference = _load(tmp_path / "lightning.ckpt")
    assert report["model"]["params"] == sum(p.numel() for p in reference.module.parameters())
