"""Module paths of ONNX nodes (``pkg.torch.onnx.name_scopes``): the exporter lists full paths
from the root down, so a nested layer is the deepest one, never their concatenation (which
named mobilenet's nodes ``features.features.1.features.1.block...``)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from deploy_studio.core.formats._onnx_quant import layer_nodes
from deploy_studio.core.formats.onnx_scopes import node_layer, scope_path


@pytest.mark.parametrize(
    ("scopes", "path"),
    [
        (["", "features", "features.1", "features.1.block.0", "relu"], "features.1.block.0"),
        (["", "fc2", "linear"], "fc2"),
        (["", "mean"], ""),
        ("not a list", None),
    ],
)
def test_scope_path_is_the_deepest_scope(scopes, path):
    assert scope_path(scopes) == path


class Nested(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Linear(8, 8), nn.ReLU()), nn.Sequential(nn.Linear(8, 8), nn.ReLU())
        )
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        return self.head(self.features(x)).cumsum(-1)


def test_a_nested_models_nodes_map_to_their_layers(tmp_path):
    import onnx

    path = tmp_path / "nested.onnx"
    torch.onnx.export(Nested().eval(), (torch.randn(1, 8),), str(path), dynamo=True)
    layers = {node_layer(n) for n in onnx.load(str(path)).graph.node}
    assert {"features.0.0", "features.1.0", "features.1.1", "head"} <= layers
    assert not any(str(p).startswith("features.features") for p in layers)
    # keep_fp32 = ["features.1"] reaches the nodes of the layers inside it, and only those
    model = onnx.load(str(path))
    by_name = {n.name: node_layer(n) for n in model.graph.node}
    hits = layer_nodes(path, ["features.1"])
    assert hits and all(by_name[h].startswith("features.1.") for h in hits)
    assert not layer_nodes(path, ["features.2"])
