"""Validate a model by a real forward pass, and explain a failure in the user's terms.

When the forward pass fails, forward pre-hooks on every leaf module tell which layer was
running and what it received; for Linear/Conv layers the message names both shapes and the
change that would fix the model (the seed article's SimpleCNN is the classic case).
"""

from __future__ import annotations

import math
import re

import torch
import torch.nn as nn

from deploy_studio.core.errors import ModelLoadError, ShapeMismatchError


def _leaf_modules(module: nn.Module):
    return [(n, m) for n, m in module.named_modules() if n and not list(m.children())]


def _shape(t) -> list[int] | None:
    return list(t.shape) if isinstance(t, torch.Tensor) else None


def forward_checked(module, x: torch.Tensor, raw: bool = False):
    """Run ``module(x)`` under no_grad; on failure raise a ShapeMismatchError/ModelLoadError.

    Returns the output tensor (the logits of a tuple/dict output), or with ``raw`` the
    output as the model returned it.
    """
    trail: list[tuple[str, nn.Module, list[int] | None, list[int] | None]] = []
    handles = []
    if isinstance(module, nn.Module) and not isinstance(module, torch.jit.ScriptModule):
        for name, m in _leaf_modules(module):

            def pre(mod, args, _name=name):
                trail.append((_name, mod, _shape(args[0]) if args else None, None))

            def post(mod, args, out, _name=name):
                if trail and trail[-1][0] == _name:
                    n, md, i, _ = trail[-1]
                    trail[-1] = (n, md, i, _shape(out if not isinstance(out, tuple) else out[0]))

            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
    try:
        with torch.no_grad():
            out = module(x)
    except Exception as e:  # noqa: BLE001 - every model error becomes a user message
        raise _explain(e, trail, list(x.shape)) from None
    finally:
        for h in handles:
            h.remove()
    return out if raw else select_output(out)[0]


def _tensor_entries(out) -> list[tuple[object, torch.Tensor]]:
    """(key, tensor) of a tuple/list (int keys) or dict (str keys) output, in order."""
    if isinstance(out, (tuple, list)):
        return [(i, v) for i, v in enumerate(out) if isinstance(v, torch.Tensor)]
    if isinstance(out, dict):
        return [
            (k, v) for k, v in out.items() if isinstance(v, torch.Tensor) and isinstance(k, str)
        ]
    return []


def describe_outputs(out) -> str:
    """``'logits' [1, 10], 'features' [1, 64]`` for the notes and error messages."""
    return ", ".join(f"{k!r} {list(v.shape)}" for k, v in _tensor_entries(out))


def select_output(out, wanted: str | int | None = None):
    """The model's output tensor and where it was: ``(tensor, key)``.

    ``key`` is None for a plain tensor, an int for a tuple/list and a str for a dict. With
    ``wanted`` (the recipe's ``[model] output``: a dict key, or a tuple index) that entry is
    used; otherwise a dict's ``logits`` entry, else the first tensor (the caller says which
    was used in every run and report). Raises ModelLoadError when the output holds no tensor
    or ``wanted`` is not one of its entries.
    """
    entries = _tensor_entries(out)
    if isinstance(out, torch.Tensor):
        if wanted not in (None, "", 0, "0"):
            raise ModelLoadError(
                f"[model] output = {wanted!r}, but forward() returns a single tensor {list(out.shape)}",
                "remove [model] output",
            )
        return out, None
    if wanted not in (None, ""):
        want = (
            int(wanted)
            if isinstance(out, (tuple, list)) and str(wanted).lstrip("-").isdigit()
            else wanted
        )
        for k, v in entries:
            if k == want:
                return v, k
        raise ModelLoadError(
            f"[model] output = {wanted!r} is not an output of the model; forward() returns "
            f"{type(out).__name__} with {describe_outputs(out) or 'no tensors'}",
            "set [model] output to one of those names (a dict key, or an index for a tuple)",
        )
    if entries:
        if isinstance(out, dict) and "logits" in out and isinstance(out["logits"], torch.Tensor):
            return out["logits"], "logits"
        return entries[0][1], entries[0][0]
    raise ModelLoadError(
        f"the model returned {type(out).__name__}, not a tensor",
        "Deploy Studio handles models that return tensors (alone, or in a tuple or dict); wrap "
        "the model so forward() returns them",
    )


def output_note(out, key, wanted) -> str | None:
    """Which output of a tuple/dict-returning model is used, said in every run and report."""
    if key is None:
        return None
    what = "dict" if isinstance(out, dict) else type(out).__name__
    how = (
        "as [model] output says"
        if wanted not in (None, "")
        else (
            "its 'logits' entry"
            if key == "logits"
            else "the first tensor (set [model] output to choose another)"
        )
    )
    return (
        f"forward() returns a {what} with {describe_outputs(out)}: using {key!r} as the model's "
        f"output ({how})"
    )


class SelectOutput(nn.Module):
    """Makes a model that returns a tuple or dict return only its logits tensor, so every
    converter, runtime and generated app sees one output (layer names stay under ``inner``)."""

    def __init__(self, inner: nn.Module, key) -> None:
        super().__init__()
        self.inner = inner
        self.key = key

    def forward(self, x):
        return self.inner(x)[self.key]


def _factor(features: int, prev_out: list[int] | None) -> str:
    """Show a flat feature count as C*H*W when the previous layer's output explains it."""
    if prev_out and len(prev_out) == 4 and math.prod(prev_out[1:]) == features:
        c, h, w = prev_out[1:]
        return f"{c}*{h}*{w}"
    return str(features)


def _explain(err: Exception, trail, input_shape: list[int]) -> Exception:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if not trail and isinstance(err, TypeError):
        extra = re.search(r"forward\(\) missing (\d+) required positional arguments?: (.+)$", text)
        if extra:
            n = int(extra.group(1)) + 1
            return ModelLoadError(
                f"the model's forward() takes {n} inputs (also {extra.group(2)}); Deploy Studio "
                f"feeds one input tensor of shape {input_shape}",
                "wrap the model in a module whose forward(x) takes one tensor and builds the "
                "other inputs from it (or fixes them), and load that class",
            )
    failed = next((t for t in reversed(trail) if t[3] is None), None)
    if failed is None:
        where = f" after layer '{trail[-1][0]}'" if trail else ""
        return ModelLoadError(
            f"the forward pass failed{where} on an input of shape {input_shape}: {text}",
            "check --input-shape (N,C,H,W) against what the model expects"
            + (" and the code after that layer in forward()" if trail else ""),
        )
    name, mod, got, _ = failed
    prev = next((t for t in reversed(trail[: trail.index(failed)]) if t[3] is not None), None)
    prev_out = prev[3] if prev else None
    if isinstance(mod, nn.Linear) and got and got[-1] != mod.in_features:
        want_f = mod.in_features
        got_f = got[-1]
        # Describe where the flat features came from (the last 4-D output before flatten).
        spatial = next(
            (t[3] for t in reversed(trail[: trail.index(failed)]) if t[3] and len(t[3]) == 4), None
        )
        got_txt = _factor(got_f, spatial)
        want_txt = _factor(want_f, None)
        if spatial and want_f % spatial[1] == 0:
            hw = want_f // spatial[1]
            side = math.isqrt(hw)
            if side * side == hw:
                want_txt = f"{spatial[1]}*{side}*{side}"
        src = f" ({got_txt} from the previous layers)" if got_txt != str(got_f) else ""
        return ShapeMismatchError(
            f"layer '{name}' (Linear) expects {want_f} input features ({want_txt}) but receives "
            f"{got_f}{src}: input {got} for an input image of shape {input_shape}",
            f"change '{name}' to nn.Linear({got_txt}, {mod.out_features}) in the model code, or "
            "use the input size the model was designed for (--input-shape)",
            layer=name,
        )
    if (
        isinstance(mod, nn.modules.conv._ConvNd)
        and got
        and len(got) >= 2
        and got[1] != mod.in_channels
    ):
        return ShapeMismatchError(
            f"layer '{name}' ({type(mod).__name__}) expects {mod.in_channels} input channel(s) "
            f"but receives {got[1]}: input {got}",
            f"use --input-shape {','.join(str(v) for v in [input_shape[0], mod.in_channels, *input_shape[2:]])}"
            f" or change '{name}' to take {got[1]} channel(s)",
            layer=name,
        )
    m = re.search(r"shapes? .*cannot be multiplied|size mismatch|Expected .* got", text)
    return ShapeMismatchError(
        f"layer '{name}' ({type(mod).__name__}) failed on input {got} "
        f"(previous output {prev_out}): {text}",
        "check --input-shape and this layer's sizes" if m else "check this layer's code",
        layer=name,
    )
