"""The worker's side of samples: what the window gets per held-out sample
(:func:`sample_data`) and the samples report.html draws (:func:`render_report_samples`,
``samples/*.png`` + ``samples/samples.json`` in the run's folder).

Both read a session (:mod:`deploy_studio.core.session`): its dataset (images or arrays, masks,
boxes, waveforms, tabular rows), its task and, when computed, the original model's reference
outputs on the held-out samples.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from deploy_studio.core.samples import describe, render
from deploy_studio.core.samples.views import detections_dict, softmax_top

MANIFEST = "samples.json"
FOLDER = "samples"


def _per(a, idx) -> list | None:
    return None if a is None else [np.asarray(a[int(i)]).copy() for i in idx]


def display_images(ds, idx: np.ndarray) -> np.ndarray | None:
    """Array data whose first image-like input (``[C, H, W]`` floats) can be shown: uint8
    ``[N, H, W, C]`` scaled per sample; None otherwise."""
    for a in (ds.arrays or {}).values():
        if render.is_image_input(a.shape[1:]) and not np.issubdtype(a.dtype, np.integer):
            return np.stack([render.display_image(a[int(i)]) for i in idx]) if len(idx) else None
    return None


def reference_outputs(s, idx: np.ndarray) -> list[np.ndarray] | None:
    """The original model's outputs on samples ``idx`` when they are the first held-out ones
    and the reference is computed; else None."""
    refs = getattr(s, "references", None)
    n = len(idx)
    if refs is None or not n or not np.array_equal(np.asarray(idx), s.eval_idx[:n]):
        return None
    if any(len(r) < n for r in refs):
        return None
    return [np.asarray(r[:n]) for r in refs]


def sample_data(s, idx: np.ndarray, base):
    """``base`` (a :class:`~deploy_studio.core.worker.requests.Samples` with the pictures and
    labels) completed with what the task needs: truth, the original's predictions when known,
    and the raw form of non-image samples."""
    ds, task = s.dataset, s.task
    base.task = dict(s.task_info) if hasattr(s, "task_info") else task.describe()
    base.masks = None if ds.masks is None else np.asarray(ds.masks[idx]).copy()
    base.boxes = _per(ds.boxes, idx)
    base.box_labels = _per(ds.box_labels, idx)
    base.values = None if ds.values is None else np.asarray(ds.values[idx]).copy()
    base.ignore_index = int(getattr(ds, "ignore_index", 255))
    base.vocabulary = _vocabulary(ds)
    waves = getattr(ds, "waveforms", None)
    if waves is not None:
        base.waveforms = np.asarray(waves[idx]).copy()
        base.sample_rate = getattr(ds, "sample_rate", None)
    table = getattr(ds, "table", None)
    if table is not None:
        base.table = np.asarray(table[idx]).copy()
        base.columns = list(getattr(ds, "columns", None) or [])
    if not ds.has_images:
        base.inputs = {k: np.asarray(a[idx]).copy() for k, a in (ds.arrays or {}).items()}
        pictures = display_images(ds, idx)
        if pictures is not None:
            base.images, base.pictures = pictures, True
    refs = reference_outputs(s, idx)
    if refs is not None:
        try:
            if task.name == "segmentation":
                base.predicted_masks = task.predictions(refs).astype(np.int16)
            elif task.name == "detection":
                base.detections = [detections_dict(d) for d in task.detections(refs)]
        except Exception:  # noqa: BLE001 - the original's view is a nicety; Predict gives it too
            pass
    return base


def _vocabulary(ds) -> list[str] | None:
    v = getattr(ds, "vocabulary", None)
    return [str(t) for t in v] if v else None


# --- report.html's samples ----------------------------------------------------------------


def render_report_samples(s, out_dir: Path, count: int, reporter=None) -> dict:
    """Draw the first ``count`` held-out samples (truth and the original model's prediction)
    into ``out_dir/samples/``; write and answer the manifest ``{"model", "data", "task",
    "samples": [{"index", "file", "caption", "text"}]}`` (``file`` relative to ``out_dir`` or
    None for a sample described in ``text`` only)."""
    folder = Path(out_dir) / FOLDER
    clear_samples(Path(out_dir))
    idx = s.eval_idx[:count]
    refs = reference_outputs(s, idx)
    ds, task = s.dataset, s.task
    pictures = ds.images[idx] if ds.has_images else display_images(ds, idx)
    names = list(s.model.signature.output_names)
    labels = list(s.labels)
    classes = list(ds.classes) or None
    items: list[dict[str, Any]] = []
    folder.mkdir(parents=True, exist_ok=True)
    for j, i in enumerate(idx):
        if reporter is not None:
            reporter.check()
        one = None if refs is None else [r[j : j + 1] for r in refs]
        item = _render_one(s, task, int(i), j, one, pictures, names, labels, classes)
        img = item.pop("_img", None)
        if img is not None:
            rel = f"{FOLDER}/sample-{j}.png"
            (Path(out_dir) / rel).write_bytes(render.png_bytes(img))
            item["file"] = rel
        items.append(item)
    manifest = {
        "model": str(s.model.spec.source),
        "data": ds.name,
        "task": task.name,
        "samples": items,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=_plain))
    return manifest


def _plain(o):
    if isinstance(o, (np.integer, np.floating)):
        return o.item()
    raise TypeError(type(o).__name__)


def clear_samples(out_dir: Path) -> None:
    """Remove the samples an earlier run drew (only the files this module writes)."""
    folder = Path(out_dir) / FOLDER
    if not folder.is_dir():
        return
    for f in folder.glob("sample-*.png"):
        f.unlink(missing_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)


def read_manifest(out_dir: Path, model: str | None = None, data: str | None = None) -> dict | None:
    """The samples manifest of ``out_dir`` when it is for this ``model`` and ``data`` (when
    given), else None."""
    p = Path(out_dir) / FOLDER / MANIFEST
    try:
        m = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(m, dict) or not isinstance(m.get("samples"), list):
        return None
    if model is not None and m.get("model") != str(model):
        return None
    if data is not None and m.get("data") != data:
        return None
    return m


def _truth_label(ds, i: int, classes) -> str | None:
    if ds.labels is None or not ds.labelled:
        return None
    return render.class_name(int(ds.labels[i]), classes)


def _render_one(s, task, i: int, j: int, refs, pictures, names, labels, classes) -> dict:
    """One sample's picture (``_img``) and/or text, with a caption."""
    item: dict[str, Any] = {"index": i, "file": None, "caption": f"sample #{i}", "text": None}
    picture = None if pictures is None else pictures[j]
    if task.name == "segmentation" and picture is not None:
        _segmentation(s.dataset, task, i, refs, picture, classes or labels, item)
    elif task.name == "detection" and picture is not None:
        _detection(s.dataset, task, i, refs, picture, classes or labels, item)
    else:
        _other(s.dataset, task, i, refs, picture, names, labels, classes, item)
    return item


def _segmentation(ds, task, i, refs, picture, classes, item) -> None:
    panels = []
    if ds.masks is not None:
        panels.append(
            render.overlay_mask(
                picture, ds.masks[i], classes, title="truth", ignore=int(ds.ignore_index)
            )
        )
    if refs is not None:
        pred = task.predictions(refs)[0]
        panels.append(render.overlay_mask(picture, pred, classes, title="original model"))
        if ds.masks is not None and ds.masks[i].shape == pred.shape:
            keep = ds.masks[i] != ds.ignore_index
            if keep.any():
                acc = float((pred[keep] == ds.masks[i][keep]).mean())
                item["caption"] += f": the original model's pixel accuracy {acc:.1%}"
    item["_img"] = render.side_by_side(panels) if panels else render.to_rgb(picture)


def _detection(ds, task, i, refs, picture, classes, item) -> None:
    det = task.detections(refs)[0] if refs is not None else None
    tb = ds.boxes[i] if ds.boxes is not None else None
    tl = ds.box_labels[i] if ds.box_labels is not None else None
    item["_img"] = render.draw_boxes(
        picture,
        None if det is None else det.boxes,
        None if det is None else det.labels,
        None if det is None else det.scores,
        classes,
        truth_boxes=tb,
        truth_labels=tl,
    )
    parts = []
    if tb is not None:
        parts.append(f"{len(tb)} true box(es), dashed")
    if det is not None:
        parts.append(f"{len(det)} detection(s) of the original model, solid")
    if parts:
        item["caption"] += ": " + ", ".join(parts)


def _other(ds, task, i, refs, picture, names, labels, classes, item) -> None:
    """Classification, regression, embedding, generic: the sample, then the original's."""
    said = []
    truth = _truth_label(ds, i, classes)
    if truth is not None:
        said.append(f"label {truth}")
    if refs is not None and task.name == "classification":
        top = softmax_top(task.task_output(refs)[0], labels, 3)
        if top:
            said.append("original model: " + ", ".join(f"{a} {p:.0%}" for a, p in top))
    if ds.values is not None:
        said.append("target " + describe.token_list(ds.values[i], 8).strip("[]"))
    if said:
        item["caption"] += ": " + "; ".join(said)
    waves = getattr(ds, "waveforms", None)
    if waves is not None:
        item["_img"] = render.waveform_image(
            waves[i], 480, 96, sample_rate=getattr(ds, "sample_rate", None)
        )
    elif picture is not None:
        k = render.scale_factor(picture.shape[1], picture.shape[0], 96)
        item["_img"] = render.to_rgb(picture).resize(
            (picture.shape[1] * k, picture.shape[0] * k), 0
        )
    item["text"] = "\n".join(_sample_lines(ds, i, refs, picture, names, task)) or None


def _sample_lines(ds, i, refs, picture, names, task) -> list[str]:
    lines = []
    table = getattr(ds, "table", None)
    if table is not None:
        lines.append(describe.row_text(getattr(ds, "columns", None), table[i], limit=12))
    elif not ds.has_images and picture is None and getattr(ds, "waveforms", None) is None:
        vocab = _vocabulary(ds)
        for name, a in (ds.arrays or {}).items():
            lines.append(describe.input_text(name, a[i], vocab))
    if refs is not None and task.name != "classification":
        for k, r in enumerate(refs):
            name = names[k] if k < len(names) else f"output {k}"
            lines.append(describe.summary_text(describe.summarize_output(name, r[0])))
    return lines
