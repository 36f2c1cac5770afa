"""Suite architectures that torchvision does not name: a small ViT for 3x64x64 inputs.

Loaded by the engine as ``benchmarks/suite_models.py:SmallViT`` (+ a state_dict ``weights``).
"""

from __future__ import annotations

from torchvision.models import VisionTransformer


class SmallViT(VisionTransformer):
    """torchvision's VisionTransformer at mobile scale: 8x8 patches of a 64x64 image (64
    tokens + class token), 4 layers, 4 heads, width 128, MLP 256 (~0.6M parameters)."""

    def __init__(
        self,
        num_classes: int = 10,
        image_size: int = 64,
        patch_size: int = 8,
        num_layers: int = 4,
        num_heads: int = 4,
        hidden_dim: int = 128,
        mlp_dim: int = 256,
    ) -> None:
        super().__init__(
            image_size=image_size,
            patch_size=patch_size,
            num_layers=num_layers,
            num_heads=num_heads,
            hidden_dim=hidden_dim,
            mlp_dim=mlp_dim,
            num_classes=num_classes,
        )
