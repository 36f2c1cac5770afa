"""The Samples panel draws each sample as its task needs: a segmentation sample with its mask
overlaid (and the original model's predicted mask), a detection sample with its boxes, tabular
data as a row of columns, token ids as a list. Screenshots go to /tmp/shots/ for review."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.worker.requests import Prediction, Samples
from tests.gui.conftest import open_recipe, wait_until
from tests.support.models import MODELS_PY
from tests.support.recipes import write_recipe

SHOTS = Path("/tmp/shots")
SMALL = {"calibration_samples": 8, "eval_samples": 12}


def _shot(widget, name: str) -> None:
    try:
        from PySide6.QtWidgets import QScrollArea

        SHOTS.mkdir(parents=True, exist_ok=True)
        scroll = widget.findChild(QScrollArea)
        content = scroll.widget() if scroll is not None else widget
        content.grab().save(str(SHOTS / name))
    except OSError:  # a read-only /tmp: the screenshot is for people, not the test
        pass


def _blobs(n: int, rng) -> np.ndarray:
    """Smooth bright blobs on a dark field, ``[n, 1, 28, 28]`` floats."""
    yy, xx = np.mgrid[0:28, 0:28]
    out = np.full((n, 1, 28, 28), -0.5, np.float32)
    for i in range(n):
        for _ in range(2):
            cy, cx, r = rng.integers(6, 22), rng.integers(6, 22), rng.integers(3, 7)
            out[i, 0] += 2.5 * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2.0 * r * r))
    return out


def _masks(images: np.ndarray) -> np.ndarray:
    return np.where(images > 1.5, 2, np.where(images > 0.2, 1, 0)).astype(np.int64)[:, 0]


def _samples_ready(panel) -> bool:
    return panel.samples is not None and panel.grid.count() > 0


def test_a_segmentation_dataset_shows_masks_overlaid_and_the_predicted_mask(window, tmp_path):
    rng = np.random.default_rng(3)
    images = _blobs(30, rng)
    np.savez(tmp_path / "seg.npz", image=images, masks=_masks(images))
    model = {
        "source": f"{MODELS_PY}:TinySeg",
        "inputs": [{"name": "image", "shape": [1, 1, 28, 28]}],
    }
    path = write_recipe(
        tmp_path / "seg.toml",
        model,
        [{"name": "fp32-onnx", "format": "onnx"}],
        name="seg",
        data={"source": f"npz:{tmp_path / 'seg.npz'}", **SMALL},
    )
    open_recipe(window, path)
    panel = window.samples_panel
    wait_until(lambda: _samples_ready(panel), 120, "samples")
    s = panel.samples
    assert s.task_name == "segmentation" and s.pictures and s.masks is not None
    assert s.images.shape[1:] == (28, 28, 1) and len(s.masks) == panel.grid.count()
    icon = panel.grid.item(0).icon()
    assert not icon.isNull()
    assert panel.view.isVisible()
    assert not panel.view.truth.pixmap().isNull()
    # the original model's view: its predicted mask drawn next to the truth
    wait_until(lambda: panel.preds.rowCount() >= 1, 120, "the original model's prediction")
    rows = panel.prediction_rows()
    assert rows[0][0] == "original model" and rows[0][1].startswith("classes ")
    wait_until(lambda: not panel.view.pred.pixmap().isNull(), 30, "the predicted mask drawn")
    assert "original model" in panel.view.pred_title.text()
    truth = panel.view.truth.pixmap().toImage()
    assert truth.width() >= 168  # enlarged from 28x28
    panel.resize(560, 1100)
    _shot(panel, "samples_segmentation.png")


def test_a_detection_sample_shows_true_boxes_and_detections(window, tmp_path, monkeypatch):
    """A detection-like sample drawn by the panel (the answers of the worker given directly)."""
    rng = np.random.default_rng(0)
    img = (rng.random((1, 64, 64, 1)) * 40).astype(np.uint8)
    img[0, 10:30, 8:26] = 220
    img[0, 36:58, 34:60] = 180
    truth = [np.array([[8, 10, 26, 30], [34, 36, 60, 58]], np.float32)]
    samples = Samples(
        "digit-scenes",
        img,
        None,
        ["background", *[str(i) for i in range(10)]],
        np.array([7]),
        [],
        task={"name": "detection", "agreement": "matched-box agreement"},
        boxes=truth,
        box_labels=[np.array([4, 8])],
    )
    panel = window.samples_panel
    monkeypatch.setattr(panel, "_predict", lambda: None)
    panel._on_samples(samples)
    assert panel.grid.count() == 1 and not panel.grid.item(0).icon().isNull()
    det = {
        "kind": "detection",
        "boxes": np.array([[9, 10, 26, 31], [33, 37, 60, 57]], np.float32),
        "scores": np.array([0.94, 0.71], np.float32),
        "labels": np.array([4, 9]),
    }
    half = dict(det, boxes=det["boxes"][:1], scores=det["scores"][:1], labels=det["labels"][:1])
    preds = [Prediction("int8-onnx", None, False, "", half, 0.5)]
    panel._on_views((det, preds), panel._generation, 0)
    rows = panel.prediction_rows()
    assert rows[0][1].startswith("2 box(es): 3 0.94")
    assert rows[1][0] == "int8-onnx" and rows[1][2] == "50.0%"
    pred = panel.view.pred.pixmap().toImage()
    assert not pred.isNull()
    # a solid box edge in the class colour of label 4 at the enlarged left edge of box 1
    from deploy_studio.core.samples.render import class_colour, scale_factor

    k = scale_factor(64, 64)
    c = pred.pixelColor(9 * k, 20 * k)
    assert (c.red(), c.green(), c.blue()) == class_colour(4)
    panel.resize(560, 1100)
    _shot(panel, "samples_detection.png")
    panel.preds.setCurrentCell(1, 0)  # the variant's detections drawn instead
    assert "int8-onnx" in panel.view.pred_title.text()


def test_tabular_data_shows_rows_and_token_data_shows_ids(window, tmp_path):
    rng = np.random.default_rng(1)
    cols = [f"c{i}" for i in range(20)]
    lines = [",".join([*cols, "kind"])]
    for i in range(40):
        lines.append(",".join([*(f"{v:.2f}" for v in rng.normal(size=20)), str(i % 5)]))
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    tab = write_recipe(
        tmp_path / "tab.toml",
        {"source": f"{MODELS_PY}:Tabular", "input_shape": [1, 20]},
        [{"name": "fp32-onnx", "format": "onnx"}],
        name="tab",
        data={"source": f"tabular:{tmp_path / 't.csv'}", **SMALL},
    )
    open_recipe(window, tab)
    panel = window.samples_panel
    wait_until(lambda: _samples_ready(panel), 120, "tabular samples")
    s = panel.samples
    assert not s.pictures and s.columns == cols and s.table.shape == (12, 20)
    assert panel.grid.count() == 12
    first = panel.grid.item(0).text()
    assert first.startswith(f"#{int(s.indices[0])}") and "c0=" in first
    cells = panel.view.row_cells()
    assert [c for c, _ in cells] == cols
    assert cells[0][1] == f"{float(s.table[0, 0]):.4g}".rstrip("0").rstrip(".") or cells[0][1]
    wait_until(lambda: panel.preds.rowCount() >= 1, 120, "the original's top-3")
    assert panel.prediction_rows()[0][1].count("%") == 3
    panel.resize(560, 900)
    _shot(panel, "samples_tabular.png")

    tokens = rng.integers(0, 50, size=(30, 6)).astype(np.int64)
    np.savez(tmp_path / "tok.npz", tokens=tokens, labels=np.arange(30) % 4)
    tok = write_recipe(
        tmp_path / "tok.toml",
        {
            "source": f"{MODELS_PY}:TokenGRU",
            "inputs": [{"name": "tokens", "shape": [1, 6], "dtype": "int64"}],
        },
        [{"name": "fp32-onnx", "format": "onnx"}],
        name="tok",
        data={"source": f"npz:{tmp_path / 'tok.npz'}", **SMALL},
    )
    window.doc.set_dirty(False)
    open_recipe(window, tok)
    wait_until(
        lambda: (
            _samples_ready(panel)
            and panel.samples.inputs is not None
            and "tokens" in panel.samples.inputs
        ),
        120,
        "token samples",
    )
    s = panel.samples
    ids = s.inputs["tokens"][0]
    line = panel.grid.item(0).text()
    assert "[" + ", ".join(str(int(v)) for v in ids) + "]" in line
    assert "tokens: [" in panel.view.text.text()
    wait_until(lambda: panel.preds.rowCount() >= 1, 120, "the original's top-3")
    panel.resize(560, 900)
    _shot(panel, "samples_tokens.png")


@pytest.mark.parametrize("n", [1])
def test_the_classifier_view_is_unchanged(n, window, tiny_recipe_file):
    open_recipe(window, tiny_recipe_file)
    panel = window.samples_panel
    wait_until(lambda: _samples_ready(panel), 120, "samples")
    assert panel.samples.task_name == "classification" and not panel.view.isVisible()
    wait_until(lambda: panel.preds.rowCount() >= n, 120, "top-3")
    assert panel.prediction_rows()[0][1].count("%") == 3
