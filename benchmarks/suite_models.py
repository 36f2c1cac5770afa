"""Suite architectures that torchvision does not name: a small ViT for 3x64x64 inputs.

Loaded by the engine as ``benchmarks/suite_models.py:SmallViT`` (+ a state_dict ``weights``).
"""

from __future__ import annotations

from torchvision.models import VisionTransformer


class SmallViT(VisionTransformer):
    """torchvision's VisionTransformer at mobile scale: 8x8 patches of a 64x64 image (64
    tokens + class token), 4 layers, 4 heads, width 128, MLP 256 (~0.6M parameters).

    ``width`` scales the hidden width (kept a multiple of the heads) and the MLP width, so
    core/models/narrow.py can build a narrower student of it (``tune``'s distillation
    candidate, ``distill`` with ``width`` < 1)."""

    def __init__(
        self,
        num_classes: int = 10,
        image_size: int = 64,
        patch_size: int = 8,
        num_layers: int = 4,
        num_heads: int = 4,
        hidden_dim: int = 128,
        mlp_dim: int = 256,
        width: float = 1.0,
    ) -> None:
        if width != 1.0:
            hidden_dim = max(1, round(hidden_dim * width / num_heads)) * num_heads
            mlp_dim = max(1, round(mlp_dim * width))
        super().__init__(
            image_size=image_size,
            patch_size=patch_size,
            num_layers=num_layers,
            num_heads=num_heads,
            hidden_dim=hidden_dim,
            mlp_dim=mlp_dim,
            num_classes=num_classes,
        )
