"""iOS apps of segmentation, detection and generic models, rendered from real runs (issue 11).

TinySeg and TinyDetector (a declared ``[model] postprocess``) run through
``core.engine.run_recipe`` with ``[export] templates = ["ios"]`` twice: on builtin image data
(the image app: the sample image preprocessed on the phone) and on npz arrays (the recipes of
``test_templates_web_tasks.py``: the app feeds the sample's tensors, sample_inputs.json), and
TokenConv (int64 ids + a bool mask, task generic) is fed its tensors too. Each project's
``project.pbxproj`` references resolve, every Swift file parses with tree-sitter-swift,
expected.json holds the desktop's outputs and mask / detections, TaskSpec.swift holds the
declared post-processing and the app's kind, and (slow) the chroot's swiftc type-checks the
non-UI Swift (TaskSpec, Segmentation, Detection, SampleInputs, Classifier, SelfTest,
Preprocess, AppInfo) against the stubs of the published APIs; the generated Segmentation.swift
and Detection.swift, compiled and run in the chroot, reproduce numpy's argmax and
core.tasks.detection.postprocess on the desktop's raw outputs (declared spec and variations:
softmax, sigmoid, per-class top-k, no background, class-agnostic, tied scores). No app is
built or run: the UI and the runtime calls are only type-checked.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.test_swift_typecheck import IMPORT, UI_MODULES, swift
from tests.e2e.test_templates_ios import resolved_pbx_files, swift_parser
from tests.support.models import MODELS_PY
from tests.support.recipes import recipe, variant

__all__ = ["swift", "swift_parser"]  # fixtures, used by name

SMALL = {"calibration_samples": 8, "eval_samples": 8}
FAST = {"warmup": 1, "runs": 2}
NON_UI = {
    "AppInfo.swift",
    "SelfTest.swift",
    "Classifier.swift",
    "Preprocess.swift",
    "TaskSpec.swift",
    "Segmentation.swift",
    "Detection.swift",
    "SampleInputs.swift",
}


def _seg_data(root: Path) -> str:
    rng = np.random.default_rng(0)
    images = np.clip(rng.standard_normal((20, 1, 28, 28)), -1, 3).astype(np.float32)
    masks = np.where(images > 1.5, 2, np.where(images > 0.2, 1, 0)).astype(np.int64)[:, 0]
    np.savez(root / "seg.npz", image=images, masks=masks)
    return f"npz:{root / 'seg.npz'}"


def _det_data(root: Path) -> str:
    rng = np.random.default_rng(2)
    n = 16
    images = np.zeros((n, 1, 32, 32), np.float32)
    boxes = -np.ones((n, 3, 4), np.float32)
    labels = -np.ones((n, 3), np.int64)
    for i in range(n):
        for k, cell in enumerate(rng.choice(16, rng.integers(2, 4), replace=False)):
            y, x = divmod(int(cell), 4)
            images[i, 0, y * 8 : y * 8 + 8, x * 8 : x * 8 + 8] = 1.0
            boxes[i, k] = [x * 8, y * 8, x * 8 + 8, y * 8 + 8]
            labels[i, k] = 1
    np.savez(root / "det.npz", image=images, boxes=boxes, box_labels=labels)
    return f"npz:{root / 'det.npz'}"


def _tok_data(root: Path) -> str:
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, 50, (20, 8)).astype(np.int64)
    mask = np.ones((20, 8), bool)
    mask[:, 6:] = False
    np.savez(root / "tok.npz", tokens=tokens, mask=mask)
    return f"npz:{root / 'tok.npz'}"


SEG = {"source": f"{MODELS_PY}:TinySeg", "inputs": [{"name": "image", "shape": [1, 1, 28, 28]}]}
DET = {
    "source": f"{MODELS_PY}:TinyDetector",
    "inputs": [{"name": "image", "shape": [1, 1, 32, 32]}],
    "postprocess": {
        "score_threshold": 0.5,
        "iou_threshold": 0.5,
        "max_detections": 8,
        "topk_candidates": 5,
    },
}
TOK = {
    "source": f"{MODELS_PY}:TokenConv",
    "inputs": [
        {"name": "tokens", "shape": [1, 8], "dtype": "int64", "range": [0, 49]},
        {"name": "mask", "shape": [1, 8], "dtype": "bool"},
    ],
    "task": "generic",
}
# project -> (task, model, data source): image apps (builtin image data: the sample image is
# preprocessed on the phone) and apps fed the sample's tensors (npz arrays, a token model)
MODELS = {
    "segmentation": ("segmentation", SEG, lambda root: "builtin:digit-strokes"),
    "detection": ("detection", DET, lambda root: "builtin:digit-scenes"),
    "seg-tensors": ("segmentation", SEG, _seg_data),
    "det-tensors": ("detection", DET, _det_data),
    "tokens": ("generic", TOK, _tok_data),
}


def _run(root: Path, name: str, model: dict, source: str) -> dict:
    from deploy_studio.core.engine import run_recipe

    r = recipe(
        model,
        [variant("p", "pte")],
        name=name,
        data={"source": source, **SMALL},
        benchmark=FAST,
        export={"templates": ["ios"], "app_name": f"{name} app"},
    )
    return run_recipe(r, root / "out", isolate=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    out = {}
    for name, (task, model, data) in MODELS.items():
        root = tmp_path_factory.mktemp(f"ios-{name}")
        report = _run(root, name[:3], model, data(root))
        assert report["model"]["task"]["name"] == task
        (app,) = report["templates"]
        assert not app.get("error") and app["path"], app
        out[name] = (root / "out" / app["path"], report)
    return out


def _module(project: Path) -> Path:
    (xcodeproj,) = project.glob("*.xcodeproj")
    return project / xcodeproj.stem


def _expected(project: Path) -> dict:
    return json.loads((_module(project) / "Resources" / "expected.json").read_text("utf-8"))


def test_ios_task_apps_carry_the_desktops_mask_and_detections(runs):
    seg, _ = runs["segmentation"]
    e = _expected(seg)
    assert e["task"] == "segmentation" and e["mask"]["shape"] == [28, 28]
    assert e["agreement"]["kind"] == "pixel agreement" and e["agreement"]["min"] == 0.99
    out = e["outputs"][e["task_output"]]
    logits = np.array(out["data"], np.float32).reshape(out["shape"])
    assert np.array_equal(logits[0].argmax(0), np.array(e["mask"]["data"]).reshape(28, 28))
    spec = (_module(seg) / "TaskSpec.swift").read_text("utf-8")
    assert 'static let task: String = "segmentation"' in spec
    assert "static let maskHeight: Int = 28" in spec and "static let maskWidth: Int = 28" in spec

    det, report = runs["detection"]
    e = _expected(det)
    assert e["task"] == "detection" and e["outputs_at"] == {"boxes": 0, "scores": 1}
    assert e["detections"], "the sample has no detection: the test proves little"
    assert report["model"]["task"]["postprocess"]["topk_candidates"] == 5
    spec = (_module(det) / "TaskSpec.swift").read_text("utf-8")
    assert 'static let task: String = "detection"' in spec
    for line in (
        "scoreThreshold: 0.5,",
        "iouThreshold: 0.5,",
        "maxDetections: 8,",
        "topkCandidates: 5,",
        'activation: "none",',
        "hasLabels: false",
    ):
        assert line in spec, line


@pytest.mark.parametrize("task", list(MODELS))
def test_ios_task_pbxproj_references_resolve(runs, task):
    project, _ = runs[task]
    _objects, files = resolved_pbx_files(project)
    names = {rel.name for rel in files.values()}
    assert {"TaskSpec.swift", "Segmentation.swift", "Detection.swift", "expected.json"} <= names


@pytest.mark.parametrize("task", list(MODELS))
def test_ios_task_swift_files_parse(runs, swift_parser, task):
    project, _ = runs[task]
    swift_files = sorted(project.rglob("*.swift"))
    assert NON_UI <= {p.name for p in swift_files}
    for path in swift_files:
        tree = swift_parser.parse(path.read_bytes())
        assert not tree.root_node.has_error, f"{path.relative_to(project)} does not parse"


def test_ios_tensor_apps_feed_the_samples_tensors(runs):
    """Models the image app cannot serve (npz arrays, int64 ids + a bool mask) ship
    sample_inputs.json in their dtypes, the desktop's every output, and TaskSpec.kind."""
    for name, kind in (
        ("seg-tensors", "segmentation"),
        ("det-tensors", "detection"),
        ("tokens", "tensors"),
    ):
        project, _ = runs[name]
        res = _module(project) / "Resources"
        sample = json.loads((res / "sample_inputs.json").read_text("utf-8"))["inputs"]
        e = _expected(project)
        assert e["outputs"] and e["kind"] == kind
        spec = (_module(project) / "TaskSpec.swift").read_text("utf-8")
        assert f'static let kind: String = "{kind}"' in spec
        assert "static let feedsTensors: Bool = true" in spec
        if name == "tokens":
            assert [(i["name"], i["dtype"]) for i in sample] == [
                ("tokens", "int64"),
                ("mask", "bool"),
            ]
            assert all(isinstance(v, int) for v in sample[0]["data"])
        else:
            assert sample[0]["dtype"] == "float32"
    e = _expected(runs["det-tensors"][0])
    assert e["outputs_at"] == {"boxes": 0, "scores": 1} and len(e["detections"]) >= 2
    e = _expected(runs["seg-tensors"][0])
    assert e["mask"]["shape"] == [28, 28]
    spec = (_module(runs["segmentation"][0]) / "TaskSpec.swift").read_text("utf-8")
    assert "static let feedsTensors: Bool = false" in spec


@pytest.mark.slow
def test_ios_task_non_ui_swift_typechecks(runs, swift):
    """The chroot's swiftc type-checks each project's non-UI Swift against the stubs."""
    for task, (project, _) in runs.items():
        module = _module(project)
        plain = []
        for path in sorted(module.glob("*.swift")):
            if not set(IMPORT.findall(path.read_text("utf-8"))) & UI_MODULES:
                target = swift.work / task / path.name  # the wrapper mounts swift.work only
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(path.read_bytes())
                plain.append(target)
        assert {p.name for p in plain} == NON_UI
        proc = swift.typecheck(plain, module.name)
        assert proc.returncode == 0, f"{task}: swiftc -typecheck failed:\n{proc.stderr}"


# Runs the generated Detection.swift / Segmentation.swift (Foundation only) on the desktop's
# raw outputs: compiled by the chroot's swiftc, run in the chroot (swift-corelibs-foundation).
HARNESS = (Path(__file__).parent / "swift_task_harness.swift").read_text("utf-8")


def _bits(a) -> str:
    return " ".join(str(struct.unpack("<I", struct.pack("<f", float(v)))[0]) for v in a)


@pytest.fixture(scope="module")
def harness(runs, swift):
    """The generated task files + HARNESS compiled into one executable, and a runner."""
    project, _ = runs["det-tensors"]
    work = swift.work / "harness"
    work.mkdir(exist_ok=True)
    for name in ("Detection.swift", "Segmentation.swift"):
        (work / name).write_bytes((_module(project) / name).read_bytes())
    (work / "main.swift").write_text(HARNESS, "utf-8")
    proc = swift.run(
        "-O", "-o", work / "harness", work / "main.swift", work / "Detection.swift",
        work / "Segmentation.swift",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr

    def run(text: str) -> str:
        (work / "in.txt").write_text(text, "utf-8")
        done = swift.execute(work, "./harness", "in.txt", "out.txt")
        assert done.returncode == 0, done.stderr
        return (work / "out.txt").read_text("utf-8")

    return run


@pytest.mark.slow
@pytest.mark.parametrize("name", ["segmentation", "seg-tensors"])
def test_segmentation_argmax_in_swift_matches_python(runs, harness, name):
    e = _expected(runs[name][0])
    out = e["outputs"][e["task_output"]]
    logits = np.array(out["data"], np.float32)
    classes = out["shape"][1]
    want = np.array(e["mask"]["data"])
    tied = logits.reshape(classes, -1).copy()  # numpy takes the first maximum (and first NaN)
    tied[:, :5] = 1.0
    tied[1, 5] = np.nan
    for data, mask in ((logits, want), (tied.reshape(-1), tied.argmax(0))):
        text = f"segmentation\n{_bits(data)}\n{classes}\n{' '.join(str(int(v)) for v in want)}\n"
        mask_line, agreement = harness(text).splitlines()
        got = np.array([int(v) for v in mask_line.split()])
        assert np.array_equal(got, np.asarray(mask).reshape(-1))
        assert float(agreement) == pytest.approx(float((got == want).mean()))


def _python(boxes, scores, spec) -> list:
    from deploy_studio.core.tasks.detection import postprocess

    (d,) = postprocess([boxes[None], scores[None]], ["boxes", "scores"], spec)
    return [
        (int(c), np.float32(s), [np.float32(v) for v in b])
        for b, s, c in zip(d.boxes, d.scores, d.labels, strict=True)
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["detection", "det-tensors"])
def test_detection_postprocess_in_swift_matches_python(runs, harness, name):
    from deploy_studio.core.tasks.detection import PostProcess

    project, report = runs[name]
    e = _expected(project)
    boxes = np.array(e["outputs"][0]["data"], np.float32).reshape(-1, 4)
    scores = np.array(e["outputs"][1]["data"], np.float32).reshape(len(boxes), -1)
    declared = PostProcess.from_dict(report["model"]["task"]["postprocess"])
    rng = np.random.default_rng(0)
    logits = np.log(np.clip(scores, 1e-6, 1)).astype(np.float32)
    tied = (np.round(scores * 4) / 4).astype(np.float32)  # many equal scores: tie-breaking
    jitter = (boxes + rng.normal(0, 3, boxes.shape)).astype(np.float32)
    cases = [
        (boxes, scores, declared),
        (boxes, logits, PostProcess(score_threshold=0.3, activation="softmax")),
        (boxes, logits, PostProcess(score_threshold=0.1, activation="sigmoid", background=-1)),
        (jitter, tied, PostProcess(score_threshold=0.2, iou_threshold=0.1)),
        (jitter, tied, PostProcess(score_threshold=0.0, topk_candidates=2)),
        (jitter, scores, PostProcess(score_threshold=0.05, class_agnostic=True, iou_threshold=0.0)),
        (jitter, scores, PostProcess(score_threshold=0.01, max_detections=3, background=2)),
    ]
    lines = ["detection"]
    for b, s, spec in cases:
        head = " ".join(
            [
                _bits([spec.score_threshold]),
                repr(spec.iou_threshold),
                str(spec.max_detections),
                str(spec.background),
                spec.activation,
                "1" if spec.class_agnostic else "0",
                str(spec.topk_candidates),
            ]
        )
        lines += [head, _bits(b.reshape(-1)), _bits(s.reshape(-1))]
    got_lines = harness("\n".join(lines) + "\n").split("\n")
    for i, (b, s, spec) in enumerate(cases):
        want = _python(b, s, spec)
        got = []
        for item in filter(None, got_lines[i].split(";")):
            v = [int(x) for x in item.split()]
            as_f = [struct.unpack("<f", struct.pack("<I", x & 0xFFFFFFFF))[0] for x in v[1:]]
            got.append((v[0], np.float32(as_f[0]), [np.float32(x) for x in as_f[1:]]))
        assert [g[0] for g in got] == [w[0] for w in want], (i, spec)
        for (_, gs, gb), (_, ws, wb) in zip(got, want, strict=True):
            assert gb == wb, (i, spec)  # the very boxes (copied, never recomputed)
            assert abs(gs - ws) <= 1e-6, (i, spec, gs, ws)  # exp: Double vs numpy's float32
    # the declared spec reproduces expected.json's detections
    assert [w[0] for w in _python(boxes, scores, declared)] == [d["label"] for d in e["detections"]]
