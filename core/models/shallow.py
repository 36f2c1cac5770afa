"""A shallower student of the teacher itself (``distill`` with ``depth`` < 1, ``tune``).

Mobile networks are stacks of repeated blocks: ShuffleNet and MobileNet inverted residuals,
ResNet basic / bottleneck blocks, transformer encoder layers. Inside each stage, every block
after the first keeps its input's shape, so it can be left out and the network still runs:
the classic layer-dropping student (DistilBERT keeps every other layer of its teacher). On a
small input, where a network's time is mostly per-operator cost rather than arithmetic,
fewer blocks is what makes it faster; a narrower one barely is.

:func:`shallower` finds those blocks in a copy of the teacher by running it once on an
example input: in every ``nn.Sequential`` (outermost first), the children that have
submodules and parameters, keep their input's shape and share their class with a sibling.
It replaces a share ``1 - depth`` of them with ``nn.Identity``, keeping evenly spaced ones
(the first always), so the student starts from the teacher's own weights, which
distillation then adapts. Sequentials inside a chosen stage's blocks are left alone (a
depthwise convolution inside a block keeps its shape too, but is no block).
"""

from __future__ import annotations

import copy
from typing import Any

from deploy_studio.core.errors import RecipeError


def removable_blocks(module, example) -> dict[str, list[str]]:
    """``{sequential path: [child paths that can be left out]}`` for ``module`` run on
    ``example`` (a tensor or a tuple of tensors)."""
    import torch
    from torch import nn

    shapes: dict[str, tuple] = {}
    hooks = []
    seqs = [(n, m) for n, m in module.named_modules() if isinstance(m, nn.Sequential)]
    for seq_name, seq in seqs:
        for child_name, child in seq.named_children():
            path = f"{seq_name}.{child_name}" if seq_name else child_name

            def hook(_m, args, out, path=path):
                first = args[0] if args else None
                if isinstance(first, torch.Tensor) and isinstance(out, torch.Tensor):
                    shapes[path] = (tuple(first.shape), tuple(out.shape))

            hooks.append(child.register_forward_hook(hook))
    try:
        with torch.no_grad():
            module(*example) if isinstance(example, tuple) else module(example)
    finally:
        for h in hooks:
            h.remove()
    found: dict[str, list[str]] = {}
    for seq_name, seq in seqs:
        if any(seq_name.startswith(f"{stage}.") or not stage for stage in found):
            continue  # inside a chosen stage's blocks: their layers are no blocks
        children = list(seq.named_children())
        kinds = [type(c) for _, c in children]
        picked = []
        for child_name, child in children:
            path = f"{seq_name}.{child_name}" if seq_name else child_name
            ins_outs = shapes.get(path)
            if (
                ins_outs is not None
                and ins_outs[0] == ins_outs[1]
                and any(True for _ in child.children())
                and any(True for _ in child.parameters())
                and kinds.count(type(child)) > 1
            ):
                picked.append(path)
        if picked:
            found[seq_name] = picked
    return found


def keep_evenly(count: int, depth: float) -> list[int]:
    """Indices of the ``count`` removable blocks of a stage to keep at ``depth``: the
    rounded-down share, evenly spaced from the first (a stage's first block, which changes
    the shape, is never among them)."""
    keep = max(0, min(count, int(count * depth + 1e-9)))
    return sorted({int(i * count / keep) for i in range(keep)}) if keep else []


def blocks_to_drop(module, stages: dict[str, list[str]], depth: float) -> list[str]:
    """The paths of ``stages``' blocks (:func:`removable_blocks` of ``module``) a student at
    ``depth`` leaves out; a stage made only of removable blocks keeps one."""
    dropped = []
    for seq_name, blocks in stages.items():
        whole = len(blocks) == len(list(module.get_submodule(seq_name).children()))
        keep = keep_evenly(len(blocks), depth) or ([0] if whole else [])
        dropped += [path for i, path in enumerate(blocks) if i not in keep]
    return dropped


def shallower(teacher, depth: float, example) -> tuple[Any, list[str]]:
    """A deep copy of ``teacher`` with ``1 - depth`` of its removable blocks replaced by
    ``nn.Identity`` (see the module docstring); returns ``(student, left-out block paths)``.

    A RecipeError when ``teacher`` has no repeated shape-keeping blocks to leave out."""
    from torch import nn

    if not 0.0 < depth <= 1.0:
        raise RecipeError(f"depth must be in (0, 1], got {depth}", "e.g. depth = 0.5")
    student = copy.deepcopy(teacher).eval()
    if depth >= 1.0:
        return student, []
    stages = removable_blocks(student, example)
    if not stages:
        raise RecipeError(
            f"{type(teacher).__name__} has no repeated blocks that keep their input's shape, "
            "so no shallower student can be cut from it",
            "leave depth = 1 (use width, or name a smaller student)",
        )
    dropped = blocks_to_drop(student, stages, depth)
    for path in dropped:
        parent, name = path.rsplit(".", 1) if "." in path else ("", path)
        setattr(student.get_submodule(parent), name, nn.Identity())
    return student, dropped
