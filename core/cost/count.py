"""FLOPs and weight bytes of one inference of a built variant.

FLOPs: ``torch.utils.flop_counter.FlopCounterMode`` over one forward pass of the variant's
working module after its steps (a pruned or distilled model counts its own, smaller layers),
or of the converted program when the module cannot be run; a multiply-add is 2 FLOPs and ops
without a formula (activations, pooling, element-wise) count 0, as FlopCounterMode does.

Weight bytes: every parameter, buffer and graph constant of the built module at its stored
dtype (an int8 weight 1 byte an element, fp16 2, fp32 4; tensor subclasses such as torchao's
quantized weights counted by their inner tensors). When the format quantizes the written file
instead of the module (ONNX, LiteRT, Core ML), the module still holds float32 weights: an
ONNX artifact's own initializers are counted, otherwise the module's weight matrices
(2 dimensions or more) are counted at the quantize mode's element size. ``method`` says which.
"""

from __future__ import annotations

from pathlib import Path

import torch

INT8_MODES = ("int8-static", "int8-dynamic", "int8-weight-only")


def count_flops(module, inputs: tuple) -> int | None:
    """FLOPs of ``module(*inputs)`` (FlopCounterMode), None when it cannot run or count."""
    from torch.utils.flop_counter import FlopCounterMode

    if module is None or not callable(module):
        return None
    try:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            module(*inputs)
        return int(counter.get_total_flops())
    except Exception:  # noqa: BLE001 - custom ops without a formula, lite modules
        return None


def _runnable(converted):
    """An ExportedProgram's module, a ScriptModule as is, else None."""
    if converted is None:
        return None
    if hasattr(converted, "graph_signature") and hasattr(converted, "module"):
        try:
            return converted.module()
        except Exception:  # noqa: BLE001
            return None
    return converted if callable(converted) else None


def variant_flops(ctx) -> int | None:
    """FLOPs of one batch-1 inference of the variant built in ``ctx``: its module after the
    steps (before quantization, which keeps the arithmetic), else the converted program."""
    for candidate in (ctx.float_module, ctx.module):
        if candidate is not None and (flops := count_flops(candidate, ctx.inputs)):
            return flops
    return count_flops(_runnable(ctx.converted), ctx.inputs) or None


def _leaves(t: torch.Tensor):
    """The plain tensors that store ``t`` (the inner tensors of a wrapper subclass)."""
    from torch.utils._python_dispatch import is_traceable_wrapper_subclass

    if is_traceable_wrapper_subclass(t):
        names, _ = t.__tensor_flatten__()
        for name in names:
            inner = getattr(t, name)
            if isinstance(inner, torch.Tensor):
                yield from _leaves(inner)
        return
    yield t


def module_tensors(module) -> list[torch.Tensor]:
    """Every tensor ``module`` reads when it runs, each once. A graph module: its ``get_attr``
    constants and parameters (an unused float copy left beside a PT2E-folded int8 weight is
    not read) and the tensors of the submodules it calls; any other module: its state_dict
    (parameters, buffers, torch.ao packed quantized weights)."""
    leaves, seen = [], set()
    for t in _stored(module):
        for leaf in _leaves(t):
            key = id(leaf) if leaf.is_quantized else (leaf.data_ptr(), leaf.dtype, leaf.numel())
            if key not in seen:
                seen.add(key)
                leaves.append(leaf)
    return leaves


def _stored(module):
    if isinstance(module, torch.fx.GraphModule):
        for node in module.graph.nodes:
            if node.op not in ("get_attr", "call_module"):
                continue
            obj = module
            try:
                for part in str(node.target).split("."):
                    obj = getattr(obj, part)
            except AttributeError:
                continue
            if isinstance(obj, torch.Tensor):
                yield obj
            elif node.op == "call_module":
                yield from _stored(obj)
        return
    try:
        state = module.state_dict()
    except Exception:  # noqa: BLE001 - lite modules have none
        return
    for v in state.values():
        if isinstance(v, torch.Tensor):
            yield v
        elif isinstance(v, (tuple, list)):  # torch.ao packed params: (weight, bias)
            yield from (x for x in v if isinstance(x, torch.Tensor))


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


def onnx_initializer_bytes(path: Path) -> int | None:
    """Bytes of an ONNX file's initializers (external ``.data`` included), None if unreadable."""
    try:
        import numpy as np
        import onnx
        from onnx.helper import tensor_dtype_to_np_dtype

        model = onnx.load(str(path), load_external_data=False)
        total = 0
        for init in model.graph.initializer:
            n = int(np.prod(init.dims)) if len(init.dims) else 1
            total += n * np.dtype(tensor_dtype_to_np_dtype(init.data_type)).itemsize
        return total
    except Exception:  # noqa: BLE001
        return None


def weight_bytes(ctx, artifact) -> tuple[int | None, str]:
    """Bytes of weights one inference reads, and how they were counted."""
    tensors = module_tensors(ctx.module)
    mode = (ctx.quantization or {}).get("mode")
    stored = sum(_nbytes(t) for t in tensors)
    # a module the quantizer changed stores something narrower than 4 bytes an element
    narrow = any(t.element_size() < 4 for t in tensors)
    if not mode or narrow:
        return (stored or None), "module tensors at their stored dtype"
    if artifact is not None and artifact.format == "onnx":
        onnx_bytes = onnx_initializer_bytes(artifact.path)
        if onnx_bytes:
            return onnx_bytes, "ONNX initializers at their stored dtype"
    size = 1 if mode in INT8_MODES else 2 if mode == "fp16" else 4
    total = 0
    for t in tensors:
        total += t.numel() * size if t.dim() >= 2 else _nbytes(t)
    return (total or None), f"module tensors, weight matrices at {size} byte(s) ({mode})"
