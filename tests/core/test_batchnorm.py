"""BatchNorm models keep their accuracy through training, pruning and finetuning.

A BatchNorm layer with torchvision's momentum (0.01) never catches up with weights that
training or pruning moved: evaluated with its stale running statistics, a model that trains
well scores near chance. The studio recalibrates the statistics on real training-side samples
after every step that changes weights. The fast tests use a small BN CNN on the real digits;
the slow one trains torchvision's mobilenet_v3_small on real MNIST.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from deploy_studio.core.data.datasets import load_dataset
from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.training import accuracy, batchnorm_layers, fit, recalibrate_batchnorm
from tests.support.models import TINY_DIGITS_SHAPE, BNNet
from tests.support.pipeline import Pipeline, steps_recipe, tiny_digits_model
from tests.support.recipes import variant

MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


@pytest.fixture(scope="module")
def digits():
    dataset = load_dataset("builtin:digits", Preprocess.for_input_shape(TINY_DIGITS_SHAPE))
    train_idx, eval_idx = dataset.split(128, 500)
    return dataset, dataset.tensors(train_idx), dataset.tensors(eval_idx)


@pytest.fixture(scope="module")
def trained_bn(digits):
    torch.manual_seed(0)
    _, (x, y), (xe, ye) = digits
    model = BNNet()
    with torch.random.fork_rng():
        history = fit(model, x, y, epochs=6, lr=3e-3, eval_data=(xe, ye), seed=0)
    return model, history


@pytest.fixture(scope="module")
def bn_weights(trained_bn, tmp_path_factory):
    """The trained BNNet's state_dict, for the loader (a run loads BNNet from its source)."""
    path = tmp_path_factory.mktemp("bn") / "bn.pth"
    torch.save(trained_bn[0].state_dict(), path)
    return path


def _prune(tmp_path, weights, step, data="builtin:digits", fmt="pte"):
    recipe = steps_recipe(
        variant("p", fmt, step),
        model=tiny_digits_model(weights, cls="BNNet"),
        data=data,
        calibration_samples=128,
        eval_samples=500,
    )
    return Pipeline().build(recipe, "p", tmp_path)


def _stale_statistics_accuracy(model: nn.Module, x, y, xe, ye) -> float:
    """What the model would score if training had not recalibrated the statistics."""
    import copy

    stale = copy.deepcopy(model)
    for m in batchnorm_layers(stale):
        m.reset_running_stats()  # what momentum 0.01 leaves after a few steps: near the init
    return accuracy(stale.eval(), xe, ye)


def test_fit_recalibrates_batchnorm_so_eval_matches_training(trained_bn, digits):
    model, history = trained_bn
    _, (x, y), (xe, ye) = digits
    acc = accuracy(model, xe, ye)
    assert acc >= 0.9, history
    assert history[-1]["eval_accuracy"] == pytest.approx(acc)
    assert _stale_statistics_accuracy(model, x, y, xe, ye) < acc - 0.2  # the bug this prevents
    assert not model.training and all(not m.training for m in model.modules())


def test_recalibration_restores_momentum_mode_and_leaves_weights_and_dropout_alone(
    trained_bn, digits
):
    import copy

    model, _ = trained_bn
    _, (x, _y), (xe, _ye) = digits
    m = copy.deepcopy(model)
    weights = {
        k: v.clone()
        for k, v in m.state_dict().items()
        if "running" not in k and "num_batches" not in k
    }
    n = recalibrate_batchnorm(m, x)
    assert n == 3
    assert all(b.momentum == 0.01 and not b.training for b in batchnorm_layers(m))
    assert all(torch.equal(v, m.state_dict()[k]) for k, v in weights.items())
    with torch.no_grad():
        assert torch.equal(m(xe[:8]), m(xe[:8]))  # dropout is off: deterministic
    assert recalibrate_batchnorm(nn.Linear(3, 2), x) == 0  # no BatchNorm: nothing to do


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_structured_prune_keeps_accuracy_of_a_batchnorm_model(
    trained_bn, bn_weights, digits, tmp_path
):
    model, _ = trained_bn
    _, _, (xe, ye) = digits
    base = accuracy(model, xe, ye)
    built = _prune(
        tmp_path,
        bn_weights,
        {"kind": "prune", "method": "structured-l1", "amount": 0.5, "finetune_epochs": 3},
    )
    assert built.session.baseline_accuracy == pytest.approx(base)  # the same model, loaded
    info = built.state["prune"]
    assert info["batchnorm_recalibrated"] == 3
    assert info["accuracy_after"] == pytest.approx(accuracy(built.module, xe, ye))
    assert info["accuracy_after"] >= base - 0.04, built.notes
    assert any("recalibrated 3 BatchNorm" in n for n in built.notes)
    # the artifact keeps what eager measured: ExecuTorch runs the pruned, recalibrated model
    assert built.agreement(50, against=built.module_outputs(50)) >= 0.98


def test_prune_on_random_data_says_statistics_were_not_recalibrated(bn_weights, tmp_path):
    built = _prune(
        tmp_path,
        bn_weights,
        {"kind": "prune", "method": "l1-unstructured", "amount": 0.3},
        data="random",
        fmt="eager",  # the step's note is the point, not an export
    )
    assert any("NOT recalibrated" in n for n in built.notes)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.skipif(not MNIST.is_dir(), reason="needs ../shared/data/mnist")
def test_mobilenet_v3_small_on_real_mnist_keeps_accuracy_after_structured_prune(tmp_path):
    """The issue's case: torchvision's mobilenet_v3_small (34 BatchNorm layers, momentum 0.01)
    trained on real MNIST, structured-l1 0.5 with one finetune epoch: within 2 points.

    Without recalibration it fell to 13-16% however long it was finetuned. The recipe's
    finetune_lr is 3e-3: half of MobileNet's channels gone, one epoch at the default 1e-3
    recovers to ~3 points below (measured), a larger step to within one."""
    import torchvision

    torch.manual_seed(0)
    shape = [1, 3, 32, 32]
    pp = Preprocess(size=[32, 32], channels=3, mean=[0.5] * 3, std=[0.5] * 3)
    dataset = load_dataset(f"mnist:{MNIST}", pp)
    train_idx, eval_idx = dataset.split(128, 1000)
    (x, y), (xe, ye) = dataset.tensors(train_idx), dataset.tensors(eval_idx)
    model = torchvision.models.mobilenet_v3_small(num_classes=10)
    fit(model, x, y, epochs=2, lr=3e-3, seed=0)
    base = accuracy(model, xe, ye)
    assert base >= 0.9
    whole = tmp_path / "mobilenet.pt"
    torch.save(model.eval(), whole)  # a whole pickled module: the loader needs trust
    recipe = steps_recipe(
        variant(
            "p",
            "pte",
            {
                "kind": "prune",
                "method": "structured-l1",
                "amount": 0.5,
                "finetune_epochs": 1,
                "finetune_lr": 3e-3,
            },
        ),
        model={"source": str(whole), "input_shape": shape, "trust": True},
        data=f"mnist:{MNIST}",
        calibration_samples=128,
        eval_samples=1000,
        preprocess={"resize": "stretch", "mean": [0.5] * 3, "std": [0.5] * 3},  # as trained
    )
    built = Pipeline().build(recipe, "p", tmp_path / "out")
    assert built.session.baseline_accuracy == pytest.approx(base, abs=0.01)
    info = built.state["prune"]
    assert info["params_after"] <= 0.35 * info["params_before"]
    assert info["batchnorm_recalibrated"] == len(batchnorm_layers(built.module)) >= 30
    assert info["accuracy_after"] >= base - 0.02, built.notes
