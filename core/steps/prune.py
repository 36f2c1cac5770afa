"""The ``prune`` step: ``structured-l1`` removes channels, ``l1-unstructured`` zeroes weights.

``structured-l1`` (torch-pruning, L1 magnitude importance) removes whole channels of every
Conv/Linear layer except the classifier, following the layers' dependencies (residual
adds, depthwise convs, flatten into Linear), so parameters, artifact size and latency really
drop; torchvision's ShuffleNet v2 and VisionTransformer get the help described in
``_prune_arch.py``. ``l1-unstructured`` (torch.nn.utils.prune) zeroes the smallest ``amount`` of each
layer's weights: the dense artifact keeps its size and speed; only its compressed size
shrinks, and the report says so. Either can be followed by ``finetune_epochs`` of training
on the training side (labelled data only) to win accuracy back.
"""

from __future__ import annotations

import math
import zlib

import torch
from torch import nn
from torch.nn.utils import prune

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.registry import STEPS, Option
from deploy_studio.core.steps._common import (
    WEIGHT_LAYERS,
    count_params,
    eval_data,
    execution_order,
    labelled_training_data,
    working_module,
)

METHODS = ("structured-l1", "l1-unstructured")

OPTIONS = [
    Option(
        "method",
        "str",
        "structured-l1",
        choices=METHODS,
        help="structured-l1 removes channels (fewer params, smaller and faster artifacts); "
        "l1-unstructured zeroes weights (only the compressed size shrinks)",
    ),
    Option(
        "amount",
        "float",
        0.5,
        minimum=0.0,
        maximum=0.95,
        help="fraction of channels (structured-l1) or weights (l1-unstructured) to remove",
    ),
    Option(
        "finetune_epochs",
        "int",
        0,
        minimum=0,
        maximum=1000,
        help="epochs of training on the training side after pruning (needs labelled data)",
    ),
    Option("finetune_lr", "float", 1e-3, minimum=0.0, help="Adam learning rate for finetuning"),
]


@STEPS.register(
    "prune",
    order=20,
    label="Prune",
    help="Remove channels (structured-l1) or zero weights (l1-unstructured), then optionally "
    "finetune.",
    options=OPTIONS,
)
class Prune:
    """The prune step plugin."""

    @staticmethod
    def check(variant, index: int, options: dict) -> None:
        """Reject a zero amount (its place, after distill, is its declared order)."""
        where = f"variant {variant.name!r}"
        if options.get("amount", 0.5) <= 0:
            raise RecipeError(
                f"{where}: prune amount must be > 0, got {options.get('amount')}",
                "e.g. amount = 0.3 (30% of channels) or remove the prune step",
            )

    @staticmethod
    def apply(ctx, options: dict) -> None:
        """Prune ``ctx.module`` in place, finetune if asked, and report what changed.

        A variant whose steps start with the same prune (and distill) steps as an earlier
        one's reuses its result (``core/pipeline/prefix_cache.py``), so ``tune`` prunes and
        finetunes once per amount instead of once per format and quantize mode.
        """
        Prune._apply(ctx, options)

    @staticmethod
    def _apply(ctx, options: dict) -> None:
        module = working_module(ctx, "prune").eval()
        method, amount = options["method"], float(options["amount"])
        data = eval_data(ctx)
        before_params = count_params(module)
        before_acc = _accuracy(module, data)
        zipped_before = _zipped_weights(module) if method == "l1-unstructured" else 0
        ctx.reporter.progress("prune", 0.0, f"{method} {amount:g}")
        if method == "structured-l1":
            module = _structured(ctx, module, amount)
        else:
            masked = _unstructured(module, amount)
        ctx.reporter.progress("prune", 1.0)
        recalibrated = _recalibrate(ctx, module)
        pruned_acc = _accuracy(module, data)
        epochs = int(options.get("finetune_epochs") or 0)
        history = []
        if epochs:
            from deploy_studio.core.training import fit

            x, y = labelled_training_data(ctx, "prune finetuning")
            history = fit(
                module,
                x,
                y,
                epochs=epochs,
                lr=float(options.get("finetune_lr", 1e-3)),
                eval_data=data,
                stage="finetune",
                reporter=ctx.reporter,
            )
        if method == "l1-unstructured":
            for m in masked:
                prune.remove(m, "weight")
        module.eval()
        ctx.module = module
        after_params = count_params(module)
        final_acc = _accuracy(module, data)
        info = {
            "method": method,
            "amount": amount,
            "params_before": before_params,
            "params_after": after_params,
            "accuracy_before": before_acc,
            "accuracy_pruned": pruned_acc,
            "accuracy_after": final_acc,
        }
        if method == "structured-l1":
            ctx.notes.append(
                f"structured-l1 pruning removed {amount:.0%} of channels: parameters "
                f"{before_params:,} -> {after_params:,} ({after_params / before_params:.2f}x)"
            )
        else:
            sparsity = _sparsity(module)
            zipped = _zipped_weights(module) / max(1, zipped_before)
            info["sparsity"] = sparsity
            info["compressed_weight_ratio"] = zipped
            ctx.notes.append(
                f"l1-unstructured pruning: {sparsity:.0%} of Conv/Linear weights are zero, but "
                "the dense artifact is not smaller or faster; only its compressed size shrinks "
                f"(zlib of the weights: {zipped:.2f}x of unpruned). Use structured-l1 to shrink it"
            )
        if recalibrated:
            info["batchnorm_recalibrated"] = recalibrated
        if before_acc is not None:
            msg = f"held-out accuracy {before_acc:.2%} -> {pruned_acc:.2%} after pruning"
            if recalibrated:
                msg += " (BatchNorm statistics recalibrated)"
            if epochs:
                msg += f" -> {final_acc:.2%} after {epochs} finetune epoch(s)"
            ctx.notes.append(msg)
        if history:
            info["history"] = history
        ctx.state["prune"] = info


def _recalibrate(ctx, module: nn.Module) -> int:
    """Recalibrate BatchNorm statistics on training-side samples after pruning.

    Pruning removes the channels each BatchNorm normalises; its running mean/variance then
    describe a network that no longer exists (a BN-heavy model falls to chance). Random data
    would give statistics of noise, so it is skipped there, with a note.
    """
    from deploy_studio.core.training import (
        RECALIBRATION_CAP,
        batchnorm_layers,
        recalibrate_batchnorm,
    )

    if not batchnorm_layers(module):
        return 0
    if ctx.dataset.name == "random":
        ctx.notes.append(
            "BatchNorm statistics were NOT recalibrated after pruning: the 'random' data source "
            "has no real samples to compute them from, so this variant's outputs are unreliable"
        )
        return 0
    x, _ = ctx.training_tensors()
    n = recalibrate_batchnorm(module, x, reporter=ctx.reporter, stage="recalibrate BatchNorm")
    ctx.notes.append(
        f"recalibrated {n} BatchNorm layer(s) on {min(len(x), RECALIBRATION_CAP)} training-side samples after pruning"
    )
    return n


def _accuracy(module: nn.Module, data) -> float | None:
    if data is None:
        return None
    from deploy_studio.core.training import accuracy

    return accuracy(module, *data)


def prunable_classifier(module: nn.Module, example: torch.Tensor) -> list[nn.Module]:
    """The layer(s) whose outputs are the model's outputs: never pruned.

    The last Conv/Linear a forward pass calls is the classifier for the sequential models
    this studio targets.
    """
    order = execution_order(module, example)
    return [module.get_submodule(order[-1])] if order else []


def _structured(ctx, module: nn.Module, amount: float) -> nn.Module:
    import torch_pruning as tp

    from deploy_studio.core.steps._prune_arch import plan_for

    example = ctx.example
    plan = plan_for(module)
    ignored = prunable_classifier(module, example) + plan.ignored
    channels = [
        m.out_channels if isinstance(m, nn.modules.conv._ConvNd) else m.out_features
        for m in module.modules()
        if isinstance(m, WEIGHT_LAYERS) and m not in ignored
    ]
    if not channels:
        raise RecipeError(
            f"variant {ctx.variant.name!r}: structured-l1 found no Conv/Linear layer to prune "
            "besides the classifier",
            "use l1-unstructured, or drop the prune step",
        )
    # XNNPACK's int8 kernels like channel counts in multiples of 8.
    # A ViT's width must stay a multiple of its head count as well.
    round_to = math.lcm(8 if min(channels) >= 16 else 1, plan.round_to or 1)
    before = module(example).shape
    try:
        with plan.tracing():
            pruner = tp.pruner.BasePruner(
                module,
                example,
                importance=tp.importance.MagnitudeImportance(p=1),
                pruning_ratio=amount,
                ignored_layers=ignored,
                round_to=round_to if round_to > 1 else None,
                **plan.pruner_kwargs,
            )
            pruner.step()
        plan.after(module)
    except Exception as e:
        raise RecipeError(
            f"variant {ctx.variant.name!r}: structured pruning could not trace the model's "
            f"channel dependencies ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})",
            'use method = "l1-unstructured", or a smaller amount',
        ) from e
    try:
        with torch.no_grad():
            after = module(example).shape
    except Exception as e:  # noqa: BLE001 - e.g. a reshape to a width fixed at construction
        raise RecipeError(
            f"variant {ctx.variant.name!r}: after structured pruning the model no longer runs "
            f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); its forward "
            "likely assumes the channel counts pruning changed",
            'use method = "l1-unstructured"',
        ) from None
    if after != before:
        raise RecipeError(
            f"variant {ctx.variant.name!r}: structured pruning changed the output shape "
            f"{tuple(before)} -> {tuple(after)}",
            'use method = "l1-unstructured"',
        )
    return module


def _unstructured(module: nn.Module, amount: float) -> list[nn.Module]:
    layers: list[nn.Module] = [m for m in module.modules() if isinstance(m, WEIGHT_LAYERS)]
    for m in layers:
        prune.l1_unstructured(m, "weight", amount=amount)
    return layers


def _weights(module: nn.Module):
    return [m.weight.detach() for m in module.modules() if isinstance(m, WEIGHT_LAYERS)]


def _sparsity(module: nn.Module) -> float:
    """Fraction of Conv/Linear weights that are exactly zero."""
    ws = _weights(module)
    total = sum(w.numel() for w in ws)
    return sum(int((w == 0).sum()) for w in ws) / total if total else 0.0


def _zipped_weights(module: nn.Module) -> int:
    """Bytes of the Conv/Linear weights after zlib (what a zipped app download holds)."""
    return sum(len(zlib.compress(w.contiguous().numpy().tobytes(), 1)) for w in _weights(module))
