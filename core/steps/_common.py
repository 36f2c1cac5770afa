"""Helpers shared by the optimization steps (not a step: the registry skips ``_`` modules)."""

from __future__ import annotations

import torch
from torch import nn

from deploy_studio.core.errors import RecipeError

WEIGHT_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def working_module(ctx, step: str) -> nn.Module:
    """Return ``ctx.module`` if ``step`` can change it, else raise a RecipeError.

    Optimization steps need a plain ``nn.Module`` (a model loaded from a ``builtin:``,
    ``torchvision:`` or ``file.py:Class`` source); TorchScript and lite archives are frozen.
    """
    module = ctx.module
    if not isinstance(module, nn.Module) or isinstance(module, torch.jit.ScriptModule):
        raise RecipeError(
            f"variant {ctx.variant.name!r}: the {step} step needs a PyTorch nn.Module, but the "
            f"model is a {getattr(ctx.model, 'kind', type(module).__name__)} archive",
            "load the model as file.py:ClassName (+ weights) or builtin:/torchvision:, or drop "
            "the step",
        )
    return module


def labelled_training_data(ctx, step: str) -> tuple[torch.Tensor, torch.Tensor]:
    """The training side's (x, y); a RecipeError when the data has no labels (``random``)."""
    x, y = ctx.training_tensors()
    if y is None:
        raise RecipeError(
            f"variant {ctx.variant.name!r}: {step} trains on labelled samples, but the data "
            f"source {ctx.dataset.name!r} has no labels",
            "use builtin:digits, mnist:DIR or imagefolder:DIR as [data].source"
            + (" (or set finetune_epochs = 0)" if "finetun" in step else ""),
        )
    if len(x) == 0:
        raise RecipeError(
            f"variant {ctx.variant.name!r}: {step} has no training samples",
            "lower [data].eval_samples so the training side keeps some samples",
        )
    return x, y


def eval_data(ctx) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The held-out (x, y) when labelled and not empty, else None."""
    x, y = ctx.eval_tensors()
    if y is None or len(x) == 0:
        return None
    return x, y


def weight_layer_names(module: nn.Module) -> list[str]:
    """Qualified names of the Conv/Linear leaf layers, in definition order."""
    return [n for n, m in module.named_modules() if isinstance(m, WEIGHT_LAYERS)]


def execution_order(module: nn.Module, example: torch.Tensor) -> list[str]:
    """Names of Conv/Linear layers in the order one forward pass calls them."""
    order: list[str] = []
    hooks = []
    for name, m in module.named_modules():
        if isinstance(m, WEIGHT_LAYERS):
            hooks.append(m.register_forward_hook(lambda *_a, _n=name: order.append(_n)))
    try:
        with torch.no_grad():
            module(example)
    finally:
        for h in hooks:
            h.remove()
    return order


def count_params(module: nn.Module) -> int:
    """Number of parameter elements (shared parameters counted once)."""
    return sum(p.numel() for p in module.parameters())


def unknown_layer_error(ctx, key: str, names: list[str], module: nn.Module) -> RecipeError:
    """A RecipeError for layer names that are not in the model, listing real ones."""
    layers = weight_layer_names(module)
    shown = ", ".join(repr(n) for n in layers[:12]) + (" ..." if len(layers) > 12 else "")
    return RecipeError(
        f"variant {ctx.variant.name!r}: {key} names layers the model does not have: "
        f"{', '.join(repr(n) for n in names)}",
        f"use qualified module names such as {shown}",
    )


def batched_outputs(
    fn, x: torch.Tensor, batch1: bool = False, batch_size: int = 256
) -> torch.Tensor:
    """Run ``fn`` over ``x`` (sample by sample when ``batch1``) and stack the outputs."""
    outs = []
    step = 1 if batch1 else batch_size
    with torch.no_grad():
        for i in range(0, len(x), step):
            outs.append(fn(x[i : i + step]).detach().float())
    return torch.cat(outs) if outs else torch.empty(0)
