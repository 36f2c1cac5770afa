"""The module path of an ONNX node from the metadata torch.onnx's exporter writes.

``pkg.torch.onnx.name_scopes`` lists the enclosing scopes from the root down, each a full
module path, then the op: ``['', 'features', 'features.1', 'features.1.block.0.2', 'relu']``.
The node's layer is the deepest of them (``features.1.block.0.2``); ``""`` is the root module.
"""

from __future__ import annotations

import ast

NAME_SCOPES = "pkg.torch.onnx.name_scopes"


def scope_path(scopes) -> str | None:
    """The deepest module path in a ``name_scopes`` list (``None``: not a list)."""
    if not isinstance(scopes, (list, tuple)):
        return None
    paths = [str(s) for s in scopes[1:-1] if s]
    return paths[-1] if paths else ""


def node_layer(node) -> str | None:
    """The module path of an ONNX ``NodeProto`` (``None`` when the exporter left no scopes)."""
    for p in node.metadata_props:
        if p.key == NAME_SCOPES:
            try:
                return scope_path(ast.literal_eval(p.value))
            except (ValueError, SyntaxError):
                return None
    return None
