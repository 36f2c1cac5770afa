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
from deploy_studio.core.models.signature import (  # re-exported: their home before signatures
    describe_outputs,
    dim_name,
    forward_inputs,
    select_output,
)


def _leaf_modules(module: nn.Module):
    return [(n, m) for n, m in module.named_modules() if n and not list(m.children())]


def _shape(t) -> list[int] | None:
    return list(t.shape) if isinstance(t, torch.Tensor) else None


def _as_inputs(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _storage(t) -> int | None:
    try:
        return int(t.untyped_storage().data_ptr()) if isinstance(t, torch.Tensor) else None
    except Exception:  # noqa: BLE001 - tensors without storage (meta, sparse)
        return None


def forward_checked(module, x, raw: bool = False, signature=None):
    """Run ``module(*inputs)`` under no_grad; on failure raise a ShapeMismatchError/ModelLoadError.

    ``x`` is one tensor or a tuple of tensors (one per input of ``signature``, whose names
    the messages use). Returns the output tensor (the logits of a tuple/dict output), or
    with ``raw`` the output as the model returned it.
    """
    xs = _as_inputs(x)
    names = list(signature.input_names) if signature is not None else []
    trail: list[tuple[str, nn.Module, list[int] | None, list[int] | None]] = []
    fed: dict[str, int] = {}  # layer -> the model input it received as is
    ptrs = {p: k for k, t in enumerate(xs) if (p := _storage(t))}
    handles = []
    if isinstance(module, nn.Module) and not isinstance(module, torch.jit.ScriptModule):
        for name, m in _leaf_modules(module):

            def pre(mod, args, _name=name):
                trail.append((_name, mod, _shape(args[0]) if args else None, None))
                k = ptrs.get(_storage(args[0])) if args else None
                if k is not None:
                    fed[_name] = k

            def post(mod, args, out, _name=name):
                if trail and trail[-1][0] == _name:
                    n, md, i, _ = trail[-1]
                    trail[-1] = (n, md, i, _shape(out if not isinstance(out, tuple) else out[0]))

            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
    try:
        with torch.no_grad():
            out = module(*xs)
    except Exception as e:  # noqa: BLE001 - every model error becomes a user message
        described = _described_inputs(xs, names)
        dtype_error = _dtype_problem(e, trail, fed, xs, names)
        if dtype_error is not None:
            raise dtype_error from None
        wanted = forward_inputs(module)
        raise _explain(e, trail, list(xs[0].shape), described, signature, wanted) from None
    finally:
        for h in handles:
            h.remove()
    return out if raw else select_output(out)[0]


def _described_inputs(xs, names: list[str]) -> str | None:
    """``image [1, 1, 28, 28] float32, meta [1, 6] float32`` when there are several inputs
    or one that is not float32 (None for the classic single image input)."""
    if len(xs) == 1 and (not names or names[0] == "input") and xs[0].dtype == torch.float32:
        return None
    return ", ".join(
        f"{names[k] if k < len(names) else k} {list(t.shape)} {str(t.dtype).replace('torch.', '')}"
        for k, t in enumerate(xs)
    )


_DTYPE_WORDS = re.compile(
    r"scalar type|dtype|Long|Float|Half|Bool|Int\b|type \(|should be the same|tensors? of type",
    re.IGNORECASE,
)


def _dtype_problem(err, trail, fed, xs, names) -> ModelLoadError | None:
    """A layer that rejects the dtype of the model input it was fed, named by input."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    failed = next((t for t in reversed(trail) if t[3] is None), None)
    if failed is None or failed[0] not in fed or not _DTYPE_WORDS.search(text):
        return None
    k = fed[failed[0]]
    name = names[k] if k < len(names) else f"#{k}"
    dtype = str(xs[k].dtype).replace("torch.", "")
    want = "float32" if dtype != "float32" else "int64"
    shape = "x".join(str(v) for v in xs[k].shape)
    return ModelLoadError(
        f"input {name!r} is declared {dtype}, but layer '{failed[0]}' "
        f"({type(failed[1]).__name__}) rejects it: {text}",
        f'declare {name!r} with the dtype the model expects, e.g. dtype = "{want}" in '
        f"[model] inputs (CLI: --input {name}:{shape}:{want})",
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
        f"output ({how}) for the task's metric and agreement; every output is run and compared"
    )


class SelectOutput(nn.Module):
    """Makes a model that returns a tuple or dict return only one of its tensors (layer
    names stay under ``inner``). The loader no longer wraps models: every output is kept
    and flattened (see core.models.signature); this stays for callers that want one."""

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


def _missing_inputs(err, text: str, names: list[str] | None, signature) -> tuple[int, str] | None:
    """``(inputs forward() takes, the missing ones as text)`` when it was given too few."""
    given = len(signature.inputs) if signature is not None else 1
    python = re.search(r"forward\(\) missing (\d+) required positional arguments?: (.+)$", text)
    if isinstance(err, TypeError) and python:
        return int(python.group(1)) + given, python.group(2)
    script = re.search(r"forward\(\) is missing value for argument '(\w+)'", text)
    if script:  # TorchScript names the first missing one; its schema names them all
        rest = names[given:] if names and len(names) > given else [script.group(1)]
        return given + len(rest), " and ".join(repr(n) for n in rest)
    return None


def _explain(
    err: Exception,
    trail,
    input_shape: list[int],
    described: str | None = None,
    signature=None,
    names: list[str] | None = None,
) -> Exception:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    missing = _missing_inputs(err, text, names, signature)
    if not trail and missing:
        n, also = missing
        fed = described or f"one input tensor of shape {input_shape}"
        return ModelLoadError(
            f"the model's forward() takes {n} inputs (also {also}); Deploy Studio feeds {fed}",
            "declare every input: [model] inputs = [{ name = ..., shape = ..., dtype = ... }, "
            "...] (CLI: --input NAME:SHAPE:DTYPE, once per input); or wrap the model in a "
            "module whose forward takes fewer tensors and builds or fixes the others",
        )
    failed = next((t for t in reversed(trail) if t[3] is None), None)
    if failed is None:
        where = f" after layer '{trail[-1][0]}'" if trail else ""
        on = f"inputs {described}" if described else f"an input of shape {input_shape}"
        return ModelLoadError(
            f"the forward pass failed{where} on {on}: {text}",
            (
                "check each input's shape and dtype ([model] inputs, --input NAME:SHAPE:DTYPE)"
                if described
                else "check --input-shape (N,C,H,W) against what the model expects"
            )
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


# --- inputs beyond one float image: id ranges and dynamic dimensions -------------------------


def infer_ranges(module, signature, exported_program=None):
    """``signature`` with the id range of every int input that has none and feeds an
    ``nn.Embedding`` as is (``0 .. num_embeddings - 1``); returns ``(signature, notes)``.

    A forward pass with id 0 (always valid) in every int input tells which embedding each
    one reaches; an ExportedProgram is read from its graph instead. Int inputs whose range
    stays unknown are fed id 0 until the recipe gives ``range``.
    """
    from dataclasses import replace

    wanted = [k for k, i in enumerate(signature.inputs) if i.is_int and i.range is None]
    if not wanted:
        return signature, []
    sizes = (
        _exported_embedding_sizes(exported_program, signature)
        if exported_program is not None
        else _module_embedding_sizes(module, signature)
    )
    inputs, notes = list(signature.inputs), []
    for k in wanted:
        found = sizes.get(k)
        if found:
            layer, n = min(found, key=lambda f: f[1])
            inputs[k] = replace(inputs[k], range=(0.0, float(n - 1)))
            notes.append(
                f"input {inputs[k].name!r}: ids 0..{n - 1}, from the embedding '{layer}' it "
                f"feeds ({n} entries)"
            )
    return replace(signature, inputs=tuple(inputs)), notes


def _module_embedding_sizes(module, signature) -> dict[int, list[tuple[str, int]]]:
    if not isinstance(module, nn.Module) or isinstance(module, torch.jit.ScriptModule):
        return {}
    embeddings = [(n, m) for n, m in module.named_modules() if isinstance(m, nn.Embedding)]
    if not embeddings:
        return {}
    xs = tuple(
        torch.zeros(i.shape, dtype=i.torch_dtype) if i.is_int else i.example()
        for i in signature.inputs
    )
    ptrs = {p: k for k, t in enumerate(xs) if signature.inputs[k].is_int and (p := _storage(t))}
    found: dict[int, list[tuple[str, int]]] = {}
    handles = []
    for name, m in embeddings:

        def pre(mod, args, _name=name):
            k = ptrs.get(_storage(args[0])) if args else None
            if k is not None:
                found.setdefault(k, []).append((_name, int(mod.num_embeddings)))

        handles.append(m.register_forward_pre_hook(pre))
    try:
        with torch.no_grad():
            module(*xs)
    except Exception:  # noqa: BLE001 - the checked forward pass explains failures
        return {}
    finally:
        for h in handles:
            h.remove()
    return found


def _exported_embedding_sizes(ep, signature) -> dict[int, list[tuple[str, int]]]:
    names = list(ep.graph_signature.user_inputs)
    found: dict[int, list[tuple[str, int]]] = {}
    for node in ep.graph.nodes:
        if node.op != "call_function" or "embedding" not in str(node.target):
            continue
        weight, indices = (*node.args, None, None)[:2]
        val = getattr(weight, "meta", {}).get("val")
        if getattr(indices, "name", None) in names and val is not None and val.dim() == 2:
            k = names.index(indices.name)
            if k < len(signature.inputs):
                found.setdefault(k, []).append((weight.name, int(val.shape[0])))
    return found


_SPECIALIZED = re.compile(
    r"You marked (\w+) as dynamic but your code specialized it to be a constant \((\d+)\)"
)
_SYMBOL = re.compile(r"\b(\w+_dim\d+)\b")


def dynamic_problem(err: BaseException, signature) -> ModelLoadError | None:
    """A torch.export failure caused by a declared dynamic dimension, named by input and
    dimension (None when the failure is about something else)."""
    text = str(err)
    symbols = {dim_name(i.name, d): (i, d) for i in signature.inputs for d in i.dynamic}
    m = _SPECIALIZED.search(text)
    if m and m.group(1) in symbols:
        spec, d = symbols[m.group(1)]
        detail = f"the model's code fixes it to {m.group(2)}"
    else:
        hit = next((s for s in _SYMBOL.findall(text) if s in symbols), None)
        if hit is None or not any(w in text for w in ("onstraint", "guard", "specializ")):
            return None
        spec, d = symbols[hit]
        line = next((ln.strip() for ln in text.splitlines() if hit in ln), "")
        detail = f"torch.export found a constraint: {line[:200]}"
    lo, hi = spec.dynamic[d]
    return ModelLoadError(
        f"input {spec.name!r}: dimension {d} is declared dynamic [{lo}, {hi}], but torch.export "
        f"cannot hold that range ({detail})",
        f"remove dynamic from input {spec.name!r} (or narrow it to what the model accepts); "
        "recurrent layers (nn.GRU, nn.LSTM) unroll their time loop under torch.export, so "
        "their sequence length cannot vary",
    )


def check_dynamic(module, signature) -> None:
    """Export ``module`` with the signature's dynamic dimensions once, so that a range the
    model cannot hold is refused when it is loaded (before any build)."""
    import warnings

    from deploy_studio.core.errors import ConversionError

    if not signature.has_dynamic or not isinstance(module, nn.Module):
        return
    inputs = signature.export_inputs(signature.example_inputs())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.export.export(module, inputs, dynamic_shapes=signature.dynamic_shapes(module))
    except Exception as e:  # explained below, or left to the export converter
        problem = dynamic_problem(e, signature)
        if problem is not None:
            raise problem from None
        if isinstance(e, ConversionError):
            raise
