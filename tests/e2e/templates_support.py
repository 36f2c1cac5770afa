"""Shared pieces of the template tests: a tiny trained digits model, its artifacts, bundles.

The model is the tests' TinyNet (tests/support/models.py) trained for a few seconds on
scikit-learn's real handwritten digits (upsampled to 28x28); the sample is a real digit.
Expected outputs come from onnxruntime on the desktop, exactly as core computes them for a
variant.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("DEPLOY_STUDIO_TOOLS") or REPO / ".tools")
NODE_MODULES = TOOLS / "node_modules"
INSTALL_HINT = (
    "run `bash scripts/install-verify-tools.sh` (installs the offline verification tools)"
)

DIGIT_LABELS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
HOSTILE_APP_NAME = "Digit \"Reader\" \\ ${x}\n</string> Zähler ✓ 'quoted' @home"
HOSTILE_LABELS = [
    'zero "0"',
    "one \\ backslash",
    "two ${x} $y",
    "three\nnewline",
    "Zähler ✓ vier",
    "</string><b>five</b>",
    "six 'single' & amp;",
    "seven \\u0041 \\n",
    "  eight  spaced  ",
    "@nine?",
]


def require_tool(path: str | os.PathLike, what: str) -> Path:
    """Fail (not skip) with the install hint when a verification tool is missing."""
    import pytest

    found = Path(path) if os.path.isabs(str(path)) else shutil.which(str(path))
    if not found or not Path(found).exists():
        pytest.fail(f"{what} not found at {path}: {INSTALL_HINT}", pytrace=False)
    return Path(found)


def _digits_28():
    from PIL import Image
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = []
    for img in digits.images:
        arr = np.clip(img * (255.0 / 16.0), 0, 255).astype(np.uint8)
        big = Image.fromarray(arr, mode="L").resize((28, 28), Image.Resampling.BILINEAR)
        images.append(np.asarray(big))
    return np.stack(images), digits.target.astype(np.int64)


@functools.cache
def trained_model_and_sample():
    """(model, preprocess, sample uint8 HxWx1 array, true label) — trained once per session."""
    import torch

    from deploy_studio.core.data.preprocess import Preprocess
    from tests.support.models import TinyNet

    torch.manual_seed(0)
    pp = Preprocess.for_input_shape([1, 1, 28, 28])
    images, targets = _digits_28()
    x = torch.from_numpy(pp.apply(images[:, :, :, None]))
    y = torch.from_numpy(targets)
    model = TinyNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _epoch in range(3):
        perm = torch.randperm(len(x))
        for i in range(0, len(x) - 64, 64):
            idx = perm[i : i + 64]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    model.eval()
    index = 1500  # a held-back-ish real digit
    return model, pp, images[index][:, :, None], int(targets[index])


@functools.cache
def artifacts_dir() -> Path:
    """One folder per test session for the exported artifacts (exporting takes seconds)."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="ds-template-artifacts-"))


@functools.cache
def rgb_model_and_sample():
    """(model, sample uint8 32x32x3): a seeded tiny RGB CNN and a real photo (sklearn's)."""
    import torch
    from sklearn.datasets import load_sample_image
    from torch import nn

    from deploy_studio.core.data.preprocess import Preprocess

    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 30 * 30, 5))
    model.eval()
    from PIL import Image

    photo = Image.fromarray(load_sample_image("flower.jpg"))
    pp = Preprocess.for_input_shape([1, 3, 32, 32])  # centre crop, ImageNet statistics
    return model, pp.to_uint8(photo)


class _ChannelsLast:
    """Factory of a module that takes NHWC input and runs an NCHW model on it."""

    @staticmethod
    def build(inner):
        from torch import nn

        class NHWC(nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = inner

            def forward(self, x):
                return self.inner(x.permute(0, 3, 1, 2))

        return NHWC().eval()


def _model(kind: str):
    """(model, example input) of a test model kind: ``digits``, ``digits-nhwc`` or ``rgb``."""
    import torch

    if kind == "digits":
        return trained_model_and_sample()[0], torch.zeros(1, 1, 28, 28)
    if kind == "rgb-nhwc":
        return _ChannelsLast.build(rgb_model_and_sample()[0]), torch.zeros(1, 32, 32, 3)
    return rgb_model_and_sample()[0], torch.zeros(1, 3, 32, 32)


@functools.cache
def export_artifact(fmt: str, kind: str = "digits") -> Path:
    """A test model exported as ``fmt`` (onnx, onnx-external, pte, ptl, coreml), once per session.

    ``onnx-external`` writes the weights to ``model.onnx.data`` beside ``model.onnx`` (what
    ``torch.onnx.export(dynamo=True)`` does by default).
    """
    import torch

    model, x = _model(kind)
    folder = artifacts_dir() / f"{kind}-{fmt}"
    folder.mkdir()
    path = folder / f"model.{fmt}"
    if fmt in ("onnx", "onnx-external"):
        path = folder / "model.onnx"
        torch.onnx.export(model, (x,), str(path), dynamo=True, external_data=fmt == "onnx-external")
    elif fmt == "pte":
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
        from executorch.exir import to_edge_transform_and_lower

        ep = torch.export.export(model, (x,))
        prog = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()]).to_executorch()
        path.write_bytes(prog.buffer)
    elif fmt == "ptl":
        torch.jit.trace(model, x)._save_for_lite_interpreter(str(path))
    elif fmt == "coreml":
        import coremltools as ct

        path = folder / "model.mlpackage"
        ep = torch.export.export(model, (x,)).run_decompositions({})
        ct.convert(ep, minimum_deployment_target=ct.target.iOS17).save(str(path))
    else:
        raise ValueError(fmt)
    return path


def expected_for(onnx_path: Path, pp, sample: np.ndarray, labels: list[str]) -> dict:
    """The desktop's output for ``sample`` with onnxruntime (what core ships as expected.json)."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    x = pp.apply(sample)[None]
    logits = sess.run(None, {sess.get_inputs()[0].name: x})[0][0].astype(np.float64)
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    order = np.argsort(-probs, kind="stable")
    return {
        "top1": labels[int(order[0])],
        "top1_index": int(order[0]),
        "topk": [[labels[int(i)], float(probs[i])] for i in order[:3]],
        "logits": [float(v) for v in logits],
        "probs": [float(v) for v in probs],
    }


def make_bundle(
    folder: Path,
    fmt: str,
    app_name: str,
    labels: list[str],
    package_id=None,
    kind: str = "digits",
    channel_order: str = "RGB",
    preprocess: dict | None = None,
):
    """An AppBundle for a test model in artifact format ``fmt``.

    ``kind`` is ``digits`` (1x28x28, a real handwritten digit), ``rgb`` (3x32x32 centre
    crop of a real photo; ``channel_order`` may be ``BGR``) or ``rgb-nhwc`` (the same model
    taking channels-last input). ``preprocess`` overrides keys of the spec (as a recipe's
    ``[preprocess]`` does). Expected outputs come from the ONNX export with onnxruntime, as
    core computes them.
    """
    from PIL import Image

    from deploy_studio.core.templates import AppBundle

    if kind == "digits":
        _model, pp, sample, _label = trained_model_and_sample()
        image = Image.fromarray(sample[:, :, 0], mode="L")
    else:
        _model, sample = rgb_model_and_sample()
        pp = Preprocess_for_rgb(channel_order)
        image = Image.fromarray(sample, mode="RGB")
    if kind == "rgb-nhwc":
        pp = pp.with_overrides({"layout": "NHWC"})
    if preprocess:
        pp = pp.with_overrides(preprocess)
    folder.mkdir(parents=True, exist_ok=True)
    sample_png = folder / f"sample-{kind}.png"
    if not sample_png.exists():
        image.save(sample_png)
    artifact = export_artifact(fmt, kind)
    extra = sorted(artifact.parent.glob("*.data"))
    return AppBundle(
        app_name=app_name,
        artifact=artifact,
        artifact_extra=extra,
        preprocess=pp,
        labels=list(labels),
        sample_png=sample_png,
        expected=expected_for(export_artifact("onnx", kind), pp, sample, labels),
        input_shape=pp.input_shape(),
        package_id=package_id,
        variant="fp32-test",
    )


def Preprocess_for_rgb(channel_order: str):
    """The RGB test model's preprocessing: centre crop, ImageNet statistics."""
    from deploy_studio.core.data.preprocess import Preprocess

    pp = Preprocess.for_input_shape([1, 3, 32, 32])
    pp.channel_order = channel_order
    return pp


def run(cmd: list, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """Run a tool; return the completed process (the caller asserts on it)."""
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw
    )
