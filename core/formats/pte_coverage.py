"""Partition coverage of a lowered ExecuTorch program: what went to the delegate, what did not.

Computed on the edge program after ``to_edge_transform_and_lower`` and before
``to_executorch``:

- ``ops_total`` counts the ``call_function`` nodes of the top-level graph (outside any
  delegate, ``executorch_call_delegate`` and the ``getitem`` that unpacks its results left
  out) plus those of every delegated subgraph (``lowered_module.original_module``: the edge
  ops as they were partitioned, before the backend's own rewrites);
  ``ops_delegated`` counts the latter. ``getitem`` nodes (tuple unpacking, no work) are not
  counted anywhere.
- ``flops_delegated_share`` is the share of the multiply-add FLOPs inside delegates. FLOPs are
  counted per node from its input and output shapes (``node.meta["val"]``): convolutions,
  linear layers and matrix products with the formulas of
  ``torch.utils.flop_counter`` (what ``FlopCounterMode`` counts), plus the same formulas
  for ``conv1d/2d/3d`` and ``linear``, which some partitioners keep undecomposed. Every
  other op (activations, pooling, element-wise) counts 0 FLOPs, as in ``FlopCounterMode``.
  None when the program has no such op.
- ``undelegated`` maps the op names left outside to their counts (the most frequent first).

This is the same per-node walk as ``executorch.devtools.backend_debug.get_delegation_info``,
done here to keep op names readable (``aten.hardswish.default``) and to add FLOPs.
"""

from __future__ import annotations

import math
import operator
from collections import Counter

_SKIPPED = {"executorch_call_delegate", "getitem"}


def op_name(target) -> str:
    """A readable name for a node target: ``aten.convolution.default``."""
    import torch

    if target is operator.getitem:
        return "getitem"
    op = getattr(target, "_op", target)  # EdgeOpOverload wraps the aten overload
    if isinstance(op, torch._ops.OpOverload):
        return str(op)
    return getattr(op, "__name__", None) or str(op)


def _shape(v):
    return tuple(v.shape) if hasattr(v, "shape") else None


def _concrete(v):
    """``v`` with symbolic sizes replaced by their hints (a meta tensor), so that a FLOP
    formula never adds a guard to the program's shape environment: a guard there would
    specialise a dynamic dimension of the program being lowered."""
    import torch
    from torch.fx.experimental.symbolic_shapes import optimization_hint

    if not isinstance(v, torch.Tensor):
        return v
    if all(type(d) is int for d in v.shape):
        return v
    shape = [optimization_hint(d, fallback=1) for d in v.shape]
    return torch.empty(shape, dtype=v.dtype, device="meta")


def _arg_vals(node) -> tuple[list, dict]:
    import torch

    def val(a):
        return _concrete(a.meta.get("val")) if isinstance(a, torch.fx.Node) else a

    args = [[val(x) for x in a] if isinstance(a, (list, tuple)) else val(a) for a in node.args]
    return args, {k: val(v) for k, v in node.kwargs.items()}


def node_flops(node) -> int:
    """Multiply-add FLOPs of one edge-program node (0 for ops without a formula)."""
    from torch.utils.flop_counter import flop_registry

    name = op_name(node.target)
    base = name.rsplit(".", 1)[0] if name.count(".") >= 2 else name
    out = _concrete(node.meta.get("val"))
    args, kwargs = _arg_vals(node)
    try:
        if base in ("aten.conv1d", "aten.conv2d", "aten.conv3d"):
            w = _shape(args[1])
            return 2 * math.prod(_shape(out)) * math.prod(w[1:])
        if base == "aten.linear":
            return 2 * math.prod(_shape(out)) * _shape(args[1])[-1]
        if base == "aten.matmul":
            return 2 * math.prod(_shape(out)) * _shape(args[0])[-1]
        op = getattr(node.target, "_op", node.target)
        packet = getattr(op, "overloadpacket", None)
        if packet is None or packet not in flop_registry:
            return 0
        return int(flop_registry[packet](*args, **kwargs, out_val=out))
    except Exception:  # noqa: BLE001 - an op whose shapes we cannot read counts as 0
        return 0


def _count(nodes, ops: Counter) -> int:
    flops = 0
    for n in nodes:
        if n.op != "call_function":
            continue
        name = op_name(n.target)
        if name in _SKIPPED:
            continue
        ops[name] += 1
        flops += node_flops(n)
    return flops


def partition_coverage(edge_program, delegate: str, top: int = 8) -> dict:
    """The coverage dict of a lowered edge program (see the module docstring).

    Parameters
    ----------
    edge_program : ExportedProgram
        ``EdgeProgramManager.exported_program()`` after lowering.
    delegate : str
        The delegate key (``"xnnpack"``), recorded in the result.
    top : int
        How many undelegated op names to keep (most frequent first).
    """
    gm = edge_program.graph_module
    inside: Counter = Counter()
    outside: Counter = Counter()
    flops_in = 0
    for node in gm.graph.nodes:
        if node.op == "get_attr" and node.name.startswith("lowered_module"):
            lowered = getattr(gm, node.target)
            flops_in += _count(lowered.original_module.graph.nodes, inside)
    flops_out = _count(gm.graph.nodes, outside)
    total_flops = flops_in + flops_out
    delegated, total = sum(inside.values()), sum(inside.values()) + sum(outside.values())
    return {
        "delegate": delegate,
        "ops_delegated": delegated,
        "ops_total": total,
        "flops_delegated_share": round(flops_in / total_flops, 4) if total_flops else None,
        "undelegated": dict(outside.most_common(top)),
    }


def coverage_text(coverage: dict | None) -> str:
    """One line for notes and tooltips: ``XNNPACK took 12/14 ops, 99.8% of FLOPs; outside:
    aten.hardswish.default x2``."""
    if not coverage:
        return ""
    share = coverage.get("flops_delegated_share")
    text = (
        f"{coverage.get('delegate')} took {coverage.get('ops_delegated')}/"
        f"{coverage.get('ops_total')} ops"
        + (f", {share * 100:.1f}% of FLOPs" if share is not None else "")
    )
    outside = coverage.get("undelegated") or {}
    if outside:
        text += "; outside: " + ", ".join(f"{k} x{v}" for k, v in outside.items())
    return text
