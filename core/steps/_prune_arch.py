"""What ``structured-l1`` pruning needs to know about architectures torch-pruning cannot
trace on its own: torchvision's ShuffleNet v2 and VisionTransformer.

* ShuffleNet v2: its channel shuffle (view -> transpose -> view) and channel split
  (``chunk``) confuse torch-pruning 1.6's index mappings (a ZeroDivisionError, then
  wrong split offsets). The channels the shuffle permutes are the blocks' outputs, so those
  are kept: the convs writing them are ignored, and the dependency graph is traced with a
  forward that leaves the shuffle out and splits by slicing. What gets pruned is everything
  the shuffle never sees: each branch's inner width (1x1 -> depthwise -> 1x1), the stem's
  channels, and the final 1x1 conv's width (the classifier's input). The real forward,
  with the shuffle, runs unchanged on the pruned model.
* VisionTransformer: the hidden width couples the patch projection, class token, position
  embedding, every LayerNorm, attention and MLP; torch-pruning prunes all of them together
  (the class token and position embedding on their last dim), keeping the width a multiple
  of the head count, and the MLP's inner width on its own. Its forward reshapes to
  ``self.hidden_dim``, which is updated after pruning.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class PrunePlan:
    """Extra torch-pruning arguments for one architecture, and what to fix afterwards."""

    ignored: list[nn.Module] = field(default_factory=list)
    pruner_kwargs: dict = field(default_factory=dict)
    round_to: int | None = None  # a divisor the pruned widths must keep (e.g. heads)
    tracing: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    after: Callable[[nn.Module], None] = lambda module: None


def plan_for(module: nn.Module) -> PrunePlan:
    """The plan for ``module`` (an empty one for models torch-pruning traces unaided)."""
    from torchvision.models import ShuffleNetV2, VisionTransformer

    if isinstance(module, ShuffleNetV2):
        return _shufflenet_plan(module)
    if isinstance(module, VisionTransformer):
        return _vit_plan(module)
    return PrunePlan()


def _shufflenet_plan(module: nn.Module) -> PrunePlan:
    from torchvision.models.shufflenetv2 import InvertedResidual

    blocks = [b for b in module.modules() if isinstance(b, InvertedResidual)]
    ignored: list[nn.Module] = []
    for block in blocks:  # the last conv of each branch writes what the shuffle permutes
        for branch in (block.branch1, block.branch2):
            ignored.extend([m for m in branch if isinstance(m, nn.Conv2d)][-1:])

    def traced_forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            half = x.shape[1] // 2
            return torch.cat((x[:, :half], self.branch2(x[:, half:])), 1)
        return torch.cat((self.branch1(x), self.branch2(x)), 1)

    @contextlib.contextmanager
    def tracing():
        # per instance, so another ShuffleNet in this process keeps its real forward
        for block in blocks:
            block.forward = types.MethodType(traced_forward, block)
        try:
            yield
        finally:
            for block in blocks:
                del block.forward

    return PrunePlan(ignored=ignored, tracing=tracing)


def _vit_plan(module: Any) -> PrunePlan:
    attention = [m for m in module.modules() if isinstance(m, nn.MultiheadAttention)]
    heads = max((m.num_heads for m in attention), default=1)
    unwrapped = [(module.class_token, 2), (module.encoder.pos_embedding, 2)]

    def after(pruned: Any) -> None:
        pruned.hidden_dim = pruned.conv_proj.out_channels

    return PrunePlan(pruner_kwargs={"unwrapped_parameters": unwrapped}, round_to=heads, after=after)
