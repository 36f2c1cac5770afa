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


class ConvBN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())

    def forward(self, x):
        return self.block(x).mean((2, 3))


def test_keep_fp32_finds_a_conv_whose_batchnorm_was_folded_into_it(tmp_path):
    """The exporter folds BatchNorm into the Conv and gives the node the BatchNorm's scope
    (block.1); keep_fp32 = ["block.0"] (the numerical debugger's name) still reaches it."""
    import onnx

    path = tmp_path / "convbn.onnx"
    torch.onnx.export(ConvBN().eval(), (torch.randn(1, 3, 8, 8),), str(path), dynamo=True)
    model = onnx.load(str(path))
    (conv,) = [n for n in model.graph.node if n.op_type == "Conv"]
    assert node_layer(conv) == "block.1"  # the fused node carries the BatchNorm's scope
    assert layer_nodes(path, ["block.0"]) == [conv.name]
