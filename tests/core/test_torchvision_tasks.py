"""torchvision segmentation and detection architectures: what ``torchvision:ARCH`` loads, the
raw SSDlite graph against torchvision's own post-processing, and the refused detectors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from deploy_studio.core.errors import ModelLoadError
from deploy_studio.core.models import torchvision_detection as tvd
from deploy_studio.core.models.loaded import ModelSpec
from deploy_studio.core.models.sources import load_model, source_defaults
from deploy_studio.core.tasks import make_task
from deploy_studio.core.tasks.detection import PostProcess, matched_box_agreement, postprocess

SSDLITE = "ssdlite320_mobilenet_v3_large"


def test_the_list_tells_the_tasks_apart():
    archs = tvd.torchvision_architectures()
    assert archs["resnet18"] == "classification"
    for a in ("lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large", "fcn_resnet50"):
        assert archs[a] == "segmentation"
    for a in (SSDLITE, "retinanet_resnet50_fpn"):
        assert archs[a] == "detection"
    assert "fasterrcnn_mobilenet_v3_large_320_fpn" not in archs  # refused: not deployable
    every = tvd.torchvision_architectures(deployable_only=False)
    assert every["fasterrcnn_mobilenet_v3_large_320_fpn"] == "detection"


def test_defaults_follow_the_torchvision_model():
    d = source_defaults(f"torchvision:{SSDLITE}")
    assert d["task"] == "detection" and d["input_shape"] == [1, 3, 320, 320]
    PostProcess.from_dict(d["postprocess"])  # valid keys and values
    m = torchvision.models.get_model(SSDLITE, weights=None, weights_backbone=None)
    pp = d["postprocess"]
    assert (pp["score_threshold"], pp["iou_threshold"], pp["max_detections"]) == (
        m.score_thresh,
        m.nms_thresh,
        m.detections_per_img,
    )
    assert pp["topk_candidates"] == m.topk_candidates and pp["background"] == 0
    assert list(m.transform.image_mean) == d["preprocess"]["mean"]
    assert list(m.transform.image_std) == d["preprocess"]["std"]
    custom = source_defaults(f"torchvision:{SSDLITE}", {"score_thresh": 0.4})
    assert custom["postprocess"]["score_threshold"] == 0.4
    seg = source_defaults("torchvision:lraspp_mobilenet_v3_large")
    assert (seg["task"], seg["output"]) == ("segmentation", "out")
    assert source_defaults("torchvision:resnet18") is None
    assert source_defaults("builtin:digits-cnn") is None


def test_lraspp_loads_as_segmentation():
    lm = load_model(ModelSpec("torchvision:lraspp_mobilenet_v3_large"))
    names = [o.name for o in lm.signature.outputs]
    assert any("out" in n for n in names)
    assert lm.input_shape == [1, 3, 224, 224]
    assert lm.output_shape == [1, 21, 224, 224]
    assert lm.preprocess.resize == "stretch"
    assert any("segmentation" in n for n in lm.notes)


def _calibrated(model: torch.nn.Module) -> torch.nn.Module:
    """Random weights whose features do not vanish: batch-norm statistics of one batch (a
    random MobileNet's activations shrink to ~1e-14, every class score ties at 1/91)."""
    torch.manual_seed(0)
    for b in model.modules():
        if isinstance(b, torch.nn.modules.batchnorm._BatchNorm):
            b.reset_running_stats()
            b.momentum = None
    model.backbone.train()
    with torch.no_grad():
        model.backbone(torch.rand(2, 3, 320, 320) * 2 - 1)
    return model.eval()


def test_ssdlite_raw_outputs_postprocessed_match_torchvision():
    torch.manual_seed(0)
    model = _calibrated(
        torchvision.models.get_model(SSDLITE, weights=None, **tvd.construct_args(SSDLITE, None))
    )
    raw_model, shape, notes = tvd.deployable(SSDLITE, model)
    assert shape == [1, 3, 320, 320] and "postprocess" in notes[0]
    image = torch.rand(3, 320, 320)
    with torch.no_grad():
        ref = model([image])[0]  # torchvision: normalise, resize (identity at 320), NMS
        raw = raw_model(((image - 0.5) / 0.5)[None])
    assert raw["boxes"].shape == (1, 3234, 4) and raw["scores"].shape == (1, 3234, 91)
    spec = PostProcess.from_dict(source_defaults(f"torchvision:{SSDLITE}")["postprocess"])
    (dets,) = postprocess([raw["boxes"].numpy(), raw["scores"].numpy()], ["boxes", "scores"], spec)
    assert len(dets) == len(ref["boxes"]) == 300
    np.testing.assert_allclose(dets.boxes, ref["boxes"].numpy(), atol=1e-3)
    np.testing.assert_allclose(dets.scores, ref["scores"].numpy(), rtol=1e-5)
    assert (dets.labels == ref["labels"].numpy()).all()
    # the task reads the same outputs: identical outputs agree fully
    task = make_task("detection", 0, {**spec.to_dict(), "output_names": ["boxes", "scores"]})
    outs = [raw["boxes"].numpy(), raw["scores"].numpy()]
    assert task.agreement(outs, outs) == 1.0
    assert matched_box_agreement([dets], [dets]) == 1.0


def test_ssdlite_loads_and_exports_without_nms():
    lm = load_model(ModelSpec(f"torchvision:{SSDLITE}"))
    assert [o.name for o in lm.signature.outputs] == ["boxes", "scores"]
    assert lm.input_shape == [1, 3, 320, 320]
    assert lm.preprocess.mean == [0.5, 0.5, 0.5] and lm.preprocess.resize == "stretch"
    ep = torch.export.export(lm.module, lm.example_inputs())
    ops = {str(n.target) for n in ep.graph.nodes if n.op == "call_function"}
    assert not any("nms" in o or "nonzero" in o for o in ops)


@pytest.mark.parametrize("arch", ["fasterrcnn_mobilenet_v3_large_320_fpn", "fcos_resnet50_fpn"])
def test_refused_detectors_say_why_and_what_to_do(arch):
    with pytest.raises(ModelLoadError) as e:
        load_model(ModelSpec(f"torchvision:{arch}"))
    assert arch in e.value.message and "cannot be deployed" in e.value.message
    assert "ssdlite320_mobilenet_v3_large" in e.value.hint
    if arch.startswith("faster"):
        assert "region proposal network" in e.value.message


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["deeplabv3_mobilenet_v3_large", "fcn_resnet50"])
def test_other_segmentation_archs_load(arch):
    lm = load_model(ModelSpec(f"torchvision:{arch}"))
    assert lm.output_shape == [1, 21, 224, 224]


@pytest.mark.slow
def test_retinanet_loads_as_raw_boxes_and_sigmoid_scores():
    lm = load_model(ModelSpec("torchvision:retinanet_resnet50_fpn"))
    assert [o.name for o in lm.signature.outputs] == ["boxes", "scores"]
    assert lm.input_shape == [1, 3, 512, 512]
    with torch.no_grad():
        out = lm.module(*lm.example_inputs())
    assert out["scores"].min() >= 0 and out["scores"].max() <= 1
    assert source_defaults("torchvision:retinanet_resnet50_fpn")["postprocess"]["background"] == -1
