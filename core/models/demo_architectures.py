"""The architectures of the built-in demos on real data (one per task).

All are small, deterministic to build (seeded by the caller) and export-friendly: no
data-dependent control flow, no NMS or thresholds in any graph.

- :class:`TabularMLP`: ``features`` ``[1, 30]`` float -> logits ``[1, 2]``.
- :class:`DigitRowsLSTM`: ``tokens`` ``[1, 8]`` int64 -> Embedding -> LSTM -> logits ``[1, 10]``.
- :class:`StrokeSegNet`: ``image`` ``[1, 1, 32, 32]`` -> per-pixel logits ``[1, 11, 32, 32]``.
- :class:`DigitSSD`: ``image`` ``[1, 1, 64, 64]`` -> ``{"boxes": [1, A, 4] xyxy pixels,
  "scores": [1, A, 11] softmax}``: anchors decoded inside ``forward``.
"""

from __future__ import annotations

import torch
from torch import nn


class TabularMLP(nn.Module):
    """A two-hidden-layer MLP over standardised features."""

    def __init__(self, features: int = 30, classes: int = 2, hidden: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, classes),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net(features)


class DigitRowsLSTM(nn.Module):
    """Token ids -> nn.Embedding(256, 32) -> nn.LSTM(32, 64) -> the last step -> 10 logits."""

    def __init__(self, vocab: int = 256, embed: int = 32, hidden: int = 64, classes: int = 10):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embed(tokens))
        return self.head(out[:, -1])


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    )


class StrokeSegNet(nn.Module):
    """A tiny encoder-decoder: a full-resolution conv, two stride-2 convs down to 8x8 (the
    digit's context), two convs there, one transposed conv back up to 32x32, a skip
    connection from the full-resolution features, a conv and a 1x1 classifier."""

    def __init__(self, classes: int = 11, width: int = 8):
        super().__init__()
        self.enc = _conv(1, width)
        self.down = nn.Sequential(
            _conv(width, 2 * width, stride=2),
            _conv(2 * width, 4 * width, stride=2),
            _conv(4 * width, 4 * width),
            _conv(4 * width, 4 * width),
        )
        self.up = nn.ConvTranspose2d(4 * width, 2 * width, 4, stride=4)
        self.dec = _conv(3 * width, 2 * width)
        self.classify = nn.Conv2d(2 * width, classes, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        skip = self.enc(image)
        x = self.up(self.down(skip))
        return self.classify(self.dec(torch.cat([x, skip], dim=1)))


SSD_ANCHORS = ((6.0, 17.0), (10.0, 15.0), (12.0, 20.0), (16.0, 22.0), (20.0, 24.0), (9.0, 23.0))
"""Anchor (width, height) in pixels of a 64x64 scene, at every cell of the 8x8 grid."""
SSD_VARIANCES = (0.1, 0.2)  # centre, size: the usual SSD encoding


def ssd_anchors(image: int = 64, grid: int = 8) -> torch.Tensor:
    """``[grid * grid * len(SSD_ANCHORS), 4]`` anchors as ``cx, cy, w, h`` pixels, ordered
    cell-major (row, column) then anchor, as the head's outputs are."""
    stride = image / grid
    centres = (torch.arange(grid, dtype=torch.float32) + 0.5) * stride
    cy, cx = torch.meshgrid(centres, centres, indexing="ij")
    wh = torch.tensor(SSD_ANCHORS, dtype=torch.float32)
    k = len(SSD_ANCHORS)
    cxcy = torch.stack([cx, cy], -1).reshape(-1, 1, 2).expand(-1, k, 2)
    return torch.cat([cxcy, wh.expand(grid * grid, k, 2)], -1).reshape(-1, 4)


class DigitSSD(nn.Module):
    """A single-shot detector: a stride-8 conv backbone to an 8x8 grid, ``len(SSD_ANCHORS)``
    anchors per cell, a 3x3 head of class logits and box offsets, and the offsets decoded
    against the anchors into ``x0, y0, x1, y1`` pixel boxes inside ``forward``."""

    def __init__(self, classes: int = 11, image: int = 64, width: int = 32):
        super().__init__()
        self.classes = classes
        self.backbone = nn.Sequential(
            _conv(1, width // 4, stride=2),  # 32x32
            _conv(width // 4, width // 2),
            _conv(width // 2, width, stride=2),  # 16x16
            _conv(width, width),
            _conv(width, 2 * width, stride=2),  # 8x8
            _conv(2 * width, 2 * width),
        )
        k = len(SSD_ANCHORS)
        self.cls_head = nn.Conv2d(2 * width, k * classes, 3, padding=1)
        self.box_head = nn.Conv2d(2 * width, k * 4, 3, padding=1)
        self.register_buffer("anchors", ssd_anchors(image, image // 8), persistent=False)
        self.image = float(image)

    def raw(self, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(class logits ``[N, A, classes]``, encoded offsets ``[N, A, 4]``): what training
        reads."""
        f = self.backbone(image)
        n = f.shape[0]
        logits = self.cls_head(f).permute(0, 2, 3, 1).reshape(n, -1, self.classes)
        offsets = self.box_head(f).permute(0, 2, 3, 1).reshape(n, -1, 4)
        return logits, offsets

    def decode(self, offsets: torch.Tensor) -> torch.Tensor:
        """Encoded offsets ``[N, A, 4]`` -> ``x0, y0, x1, y1`` pixel boxes (clamped)."""
        a: torch.Tensor = self.anchors  # type: ignore[assignment]
        cxcy = a[:, :2] + offsets[..., :2] * SSD_VARIANCES[0] * a[:, 2:]
        wh = a[:, 2:] * torch.exp(torch.clamp(offsets[..., 2:] * SSD_VARIANCES[1], max=4.0))
        boxes = torch.cat([cxcy - wh / 2, cxcy + wh / 2], -1)
        return torch.clamp(boxes, 0.0, self.image)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        logits, offsets = self.raw(image)
        return {"boxes": self.decode(offsets), "scores": torch.softmax(logits, -1)}


def encode_boxes(boxes: torch.Tensor, anchors: torch.Tensor) -> torch.Tensor:
    """``x0, y0, x1, y1`` boxes ``[A, 4]`` -> offsets against ``anchors`` (``cx, cy, w, h``)."""
    wh = (boxes[:, 2:] - boxes[:, :2]).clamp(min=1e-3)
    cxcy = (boxes[:, :2] + boxes[:, 2:]) / 2
    return torch.cat(
        [
            (cxcy - anchors[:, :2]) / (anchors[:, 2:] * SSD_VARIANCES[0]),
            torch.log(wh / anchors[:, 2:]) / SSD_VARIANCES[1],
        ],
        -1,
    )
