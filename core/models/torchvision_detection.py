"""torchvision's segmentation and detection architectures as deployable graphs.

Segmentation models (``lraspp_mobilenet_v3_large``, ``deeplabv3_*``, ``fcn_*``) load as they
are: their forward returns ``{"out": logits, "aux"?: ...}``, flattened to outputs ``out``
(and ``aux``); task ``segmentation``, output ``out``. They are built at 224x224 (torchvision
resizes to 520; 224 keeps loading and building fast) and fed stretched images normalised with
ImageNet's mean and std, as their weights' transforms do.

Single-stage detectors (SSD, SSDlite, RetinaNet) load as :class:`RawDetector`: the
torchvision model's backbone, head, anchors and box coder, without its transform and its
post-processing. Its forward takes an image already resized (stretched) to the model's size
and normalised as the torchvision transform does (``(x - image_mean) / image_std`` on 0..1
pixels; the preprocessing spec says so), and returns ``{"boxes": [1, A, 4], "scores": [1, A,
C]}``: every anchor's decoded ``x0, y0, x1, y1`` box in input pixels (clipped to the image)
and its class scores (softmax for SSD, sigmoid for RetinaNet, in the graph). The score
threshold, the NMS and the cap run outside the graph (``[model] postprocess``, see
:mod:`deploy_studio.core.tasks.detection`), with the thresholds of the torchvision model.

Two-stage detectors (Faster/Mask/Keypoint R-CNN) and FCOS are refused with the reason.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from deploy_studio.core.errors import ModelLoadError

IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
SEGMENTATION_SIZE = 224

# arch -> input size, normalisation, score activation, background column, and the torchvision
# model's own post-processing (score_thresh, nms_thresh, detections_per_img, topk_candidates)
DETECTORS: dict[str, dict[str, Any]] = {
    "ssdlite320_mobilenet_v3_large": {
        "size": 320,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.5, 0.5, 0.5],
        "activation": "softmax",
        "background": 0,
        "thresholds": (0.001, 0.55, 300, 300),
    },
    "ssd300_vgg16": {
        "size": 300,
        "mean": [0.48235, 0.45882, 0.40784],
        "std": [1.0 / 255.0] * 3,
        "activation": "softmax",
        "background": 0,
        "thresholds": (0.01, 0.45, 200, 400),
    },
    "retinanet_resnet50_fpn": {
        "size": 512,  # torchvision resizes to 800; 512 keeps a ResNet-50 FPN affordable
        "mean": IMAGENET[0],
        "std": IMAGENET[1],
        "activation": "sigmoid",
        "background": -1,  # RetinaNet scores every column, as torchvision does
        "thresholds": (0.05, 0.5, 300, 1000),
    },
}
DETECTORS["retinanet_resnet50_fpn_v2"] = DETECTORS["retinanet_resnet50_fpn"]

_TWO_STAGE = (
    "torch.export cannot hold the region proposal network's data-dependent top-k and NMS "
    "between its two stages (the proposals' count depends on the image)"
)
_FCOS = "its centerness-weighted post-processing is not wrapped yet (only SSD and RetinaNet are)"
_WAY_OUT = (
    "use torchvision:ssdlite320_mobilenet_v3_large (or ssd300_vgg16, retinanet_resnet50_fpn): "
    "they load as raw per-anchor boxes and scores with the post-processing outside the graph; "
    "or load your own file.py:Class whose forward returns raw boxes [1, A, 4] and scores "
    "[1, A, C] and declare [model] postprocess"
)


def torchvision_task(arch: str) -> str | None:
    """``classification``, ``segmentation`` or ``detection`` for a torchvision architecture
    (None when torchvision has no such model)."""
    return torchvision_architectures(deployable_only=False).get(arch)


def torchvision_architectures(deployable_only: bool = True) -> dict[str, str]:
    """Every torchvision architecture ``torchvision:ARCH`` offers, with its task (the
    Built-in menu groups them by it). ``deployable_only``: without the detectors that are
    refused (two-stage, FCOS)."""
    import torchvision.models as tvm

    out = {a: "classification" for a in tvm.list_models(module=tvm)}
    out.update({a: "segmentation" for a in tvm.list_models(module=tvm.segmentation)})
    for a in tvm.list_models(module=tvm.detection):
        if a in DETECTORS or not deployable_only:
            out[a] = "detection"
    return out


def unsupported(arch: str) -> str | None:
    """Why ``arch`` (a torchvision detector) cannot be deployed, or None."""
    if torchvision_task(arch) != "detection" or arch in DETECTORS:
        return None
    return _FCOS if arch.startswith("fcos") else _TWO_STAGE


def torchvision_defaults(arch: str, init_args: dict | None = None) -> dict[str, Any] | None:
    """What the recipe of ``torchvision:ARCH`` should say, for a segmentation or detection
    architecture (None otherwise): ``task``, ``output`` (the task output's name),
    ``input_shape``, ``postprocess`` (detection: the ``[model] postprocess`` keys, from the
    torchvision model's own thresholds, overridden by the same ``init_args``) and
    ``preprocess`` (the ``[preprocess]`` keys of its transform's normalisation)."""
    task = torchvision_task(arch)
    if task == "segmentation":
        return {
            "task": "segmentation",
            "output": "out",
            "input_shape": [1, 3, SEGMENTATION_SIZE, SEGMENTATION_SIZE],
            "preprocess": {"resize": "stretch", "mean": IMAGENET[0], "std": IMAGENET[1]},
        }
    if arch not in DETECTORS:
        return None
    d = DETECTORS[arch]
    args = init_args or {}
    score, nms, per_img, topk = d["thresholds"]
    return {
        "task": "detection",
        "output": "boxes",
        "input_shape": [1, 3, d["size"], d["size"]],
        "postprocess": {
            "boxes": "boxes",
            "scores": "scores",
            "score_threshold": float(args.get("score_thresh", score)),
            "iou_threshold": float(args.get("nms_thresh", nms)),
            "max_detections": int(args.get("detections_per_img", per_img)),
            "background": d["background"],
            "activation": "none",  # softmax / sigmoid run in the graph
            "class_agnostic": False,
            "topk_candidates": int(args.get("topk_candidates", topk)),
        },
        "preprocess": {"resize": "stretch", "mean": list(d["mean"]), "std": list(d["std"])},
    }


def construct_args(arch: str, init_args: dict | None) -> dict[str, Any]:
    """``get_model`` keyword arguments: no pretrained backbone for segmentation and detection
    models (torchvision would download one), unless ``init_args`` say otherwise."""
    args = dict(init_args or {})
    if torchvision_task(arch) in ("segmentation", "detection"):
        args.setdefault("weights_backbone", None)
    return args


def refuse(arch: str) -> None:
    """Raise ModelLoadError for a torchvision detector that cannot be deployed."""
    why = unsupported(arch)
    if why:
        raise ModelLoadError(f"torchvision:{arch} cannot be deployed: {why}", _WAY_OUT)


def deployable(arch: str, model: nn.Module) -> tuple[nn.Module, list[int] | None, list[str]]:
    """The module to deploy for torchvision ``model`` (its weights loaded), its input shape
    (None: the caller's default) and notes."""
    defaults = torchvision_defaults(arch)
    if defaults is None:
        return model, None, []
    if defaults["task"] == "segmentation":
        return (
            model,
            defaults["input_shape"],
            [
                f"segmentation: task output 'out'; built at {SEGMENTATION_SIZE}x{SEGMENTATION_SIZE} "
                "(torchvision resizes to 520)"
            ],
        )
    size = DETECTORS[arch]["size"]
    wrapped = RawDetector(model, (size, size), DETECTORS[arch]["activation"])
    pp = ", ".join(f"{k} = {v!r}" for k, v in defaults["postprocess"].items())
    return (
        wrapped,
        defaults["input_shape"],
        [
            f"detection: raw per-anchor boxes and scores ({wrapped.num_anchors} anchors), no "
            f"NMS in the graph; post-processing outside it: [model] postprocess = {{ {pp} }}"
        ],
    )


class RawDetector(nn.Module):
    """A single-stage torchvision detector (SSD, SSDlite, RetinaNet) without its transform
    and post-processing: normalised ``[N, 3, H, W]`` images at ``size`` to ``{"boxes":
    [N, A, 4], "scores": [N, A, C]}`` (see the module docstring). The anchors are computed
    once, for ``size``, and kept as a buffer."""

    def __init__(self, model: Any, size: tuple[int, int], activation: str) -> None:
        super().__init__()
        from torchvision.models.detection.image_list import ImageList

        self.backbone = model.backbone
        self.head = model.head
        self.box_coder = model.box_coder
        self.activation = activation
        self.size = (int(size[0]), int(size[1]))
        was_training = model.training
        model.eval()
        with torch.no_grad():
            x = torch.zeros(1, 3, *self.size)
            features = self._features(x)
            anchors = model.anchor_generator(ImageList(x, [self.size]), features)[0]
        model.train(was_training)
        self.register_buffer("anchors", anchors.detach().clone(), persistent=False)

    @property
    def num_anchors(self) -> int:
        anchors: torch.Tensor = self.anchors  # type: ignore[assignment]
        return int(anchors.shape[0])

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = self.backbone(x)
        if isinstance(features, torch.Tensor):
            return [features]
        return list(features.values())

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        head = self.head(self._features(x))
        logits, deltas = head["cls_logits"], head["bbox_regression"]
        n = deltas.shape[0]
        anchors = self.anchors.repeat(n, 1)  # type: ignore[operator]
        boxes = self.box_coder.decode_single(deltas.reshape(-1, 4), anchors).reshape(n, -1, 4)
        h, w = self.size
        boxes = torch.stack(
            (
                boxes[..., 0].clamp(0, w),
                boxes[..., 1].clamp(0, h),
                boxes[..., 2].clamp(0, w),
                boxes[..., 3].clamp(0, h),
            ),
            dim=-1,
        )
        scores = logits.softmax(-1) if self.activation == "softmax" else logits.sigmoid()
        return {"boxes": boxes, "scores": scores}
