"""Android apps of segmentation and detection models, rendered from real runs.

TinySeg on builtin:digit-strokes and TinyDetector (a declared ``[model] postprocess``) on
builtin:digit-scenes run through ``core.engine.run_recipe`` with ``[export] templates =
["android"]``; aapt compiles each project's resources and one kotlinc run type-checks the
generated Kotlin against the stubs. Then the generated Kotlin runs on the JVM on the
desktop's raw outputs for the bundled sample (expected.json ``outputs``): the segmentation
argmax gives Python's mask, and the generated detection post-processing (TaskSpec.kt's
constants, Detection.kt's algorithm) gives core.tasks.detection.postprocess's detections,
for the declared spec and for variations of it (softmax, sigmoid, per-class top-k, no
background, class-agnostic, tied scores). No APK is built (that needs Google's Maven).
"""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from tests.e2e import templates_support as ts
from tests.e2e.test_templates_android import KOTLIN_STDLIB, KOTLINC, STUBS, _aapt, _package

HARNESS = """\
package {harness}

import {package}.*
import java.io.File

fun floats(line: String): FloatArray {{
    val parts = line.trim().split(' ').filter {{ it.isNotEmpty() }}
    return FloatArray(parts.size) {{ java.lang.Float.intBitsToFloat(parts[it].toLong().toInt()) }}
}}

fun main(args: Array<String>) {{
    val lines = File(args[0]).readLines(Charsets.UTF_8)
    val out = StringBuilder()
    if (lines[0] == "segmentation") {{
        val mask = SegmentationMask.argmax(floats(lines[1]), lines[2].trim().toInt())
        out.append(mask.joinToString(" ")).append('\\n')
        val expected = lines[3].trim().split(' ').map {{ it.toInt() }}.toIntArray()
        out.append(SegmentationMask.agreement(mask, expected)).append('\\n')
    }} else {{
        var i = 1
        while (i + 2 < lines.size) {{
            val p = lines[i].trim().split(' ')
            val spec = if (p[0] == "generated") TaskSpec.POSTPROCESS else PostProcessSpec(
                java.lang.Float.intBitsToFloat(p[0].toLong().toInt()), p[1].toDouble(), p[2].toInt(),
                p[3].toInt(), p[4], p[5] == "1", p[6].toInt(),
            )
            val dets = DetectionPostProcess.run(floats(lines[i + 1]), floats(lines[i + 2]), spec)
            out.append(dets.joinToString(";") {{ d ->
                d.label.toString() + " " + java.lang.Float.floatToRawIntBits(d.score) + " " +
                    d.box.joinToString(" ") {{ java.lang.Float.floatToRawIntBits(it).toString() }}
            }}).append('\\n')
            i += 3
        }}
    }}
    File(args[1]).writeText(out.toString(), Charsets.UTF_8)
}}
"""

SMALL = {"calibration_samples": 16, "eval_samples": 16}


def _bits(a) -> str:
    return " ".join(str(struct.unpack("<I", struct.pack("<f", float(v)))[0]) for v in a)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    from deploy_studio.core.engine import run_recipe
    from tests.support.models import MODELS_PY
    from tests.support.recipes import recipe, variant

    root = tmp_path_factory.mktemp("android-tasks")
    recipes = {
        "segmentation": recipe(
            {
                "source": f"{MODELS_PY}:TinySeg",
                "inputs": [{"name": "image", "shape": [1, 1, 28, 28]}],
            },
            [variant("p", "pte")],
            name="seg",
            data={"source": "builtin:digit-strokes", **SMALL},
            benchmark={"warmup": 1, "runs": 2},
            export={"templates": ["android"], "app_name": "Stroke Segmenter"},
        ),
        "detection": recipe(
            {
                "source": f"{MODELS_PY}:TinyDetector",
                "inputs": [{"name": "image", "shape": [1, 1, 32, 32]}],
                "postprocess": {"score_threshold": 0.5, "iou_threshold": 0.5, "max_detections": 8},
            },
            [variant("p", "pte")],
            name="det",
            data={"source": "builtin:digit-scenes", **SMALL},
            benchmark={"warmup": 1, "runs": 2},
            export={"templates": ["android"], "app_name": "Digit Finder"},
        ),
    }
    out = {}
    for task, r in recipes.items():
        report = run_recipe(r, root / task, isolate=False)
        assert report["model"]["task"]["name"] == task
        (app,) = report["templates"]
        assert not app.get("error") and app["path"], app
        out[task] = (root / task / app["path"], report)
    return out


@pytest.fixture(scope="module")
def compiled(runs, tmp_path_factory):
    """aapt for both projects, then ONE kotlinc run over their Kotlin + R + harnesses + stubs."""
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    ts.require_tool("java", "java (Debian package default-jre-headless)")
    work = tmp_path_factory.mktemp("android-tasks-build")
    sources, aapt = [], {}
    for task, (project, _report) in runs.items():
        proc, gen, _apk = _aapt(project, work / task)
        aapt[task] = proc
        sources += sorted(project.rglob("*.kt")) + sorted(gen.rglob("R.java"))
        harness = work / task / "Harness.kt"
        harness.write_text(
            HARNESS.format(package=_package(project), harness=f"harness.{task}"), "utf-8"
        )
        sources.append(harness)
    classes = work / "classes"
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    proc = ts.run(
        [KOTLINC, "-d", classes, "-jvm-target", "11", "-no-reflect", *sources, *stubs],
        timeout=900,
        env=env,
    )
    return {"kotlinc": proc, "classes": classes, "aapt": aapt, "work": work}


def _expected(project: Path) -> dict:
    return json.loads((project / "app/src/main/assets/expected.json").read_text("utf-8"))


def _jvm(compiled, task: str, text: str) -> str:
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    work = compiled["work"] / task
    (work / "in.txt").write_text(text, "utf-8")
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    proc = ts.run(
        ["java", "-cp", cp, f"harness.{task}.HarnessKt", work / "in.txt", work / "out.txt"],
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return (work / "out.txt").read_text("utf-8")


def test_task_apps_are_rendered_with_the_desktops_mask_and_detections(runs):
    seg, _ = runs["segmentation"]
    e = _expected(seg)
    assert e["task"] == "segmentation" and e["mask"]["shape"] == [28, 28]
    assert e["agreement"]["min"] == 0.99 and e["agreement"]["kind"] == "pixel agreement"
    logits = np.array(e["outputs"][0]["data"], np.float32).reshape(e["outputs"][0]["shape"])
    assert np.array_equal(logits[0].argmax(0), np.array(e["mask"]["data"]).reshape(28, 28))
    det, report = runs["detection"]
    e = _expected(det)
    assert e["task"] == "detection" and e["outputs_at"] == {"boxes": 0, "scores": 1}
    assert e["detections"], "the sample has no detection: the test proves little"
    assert len(e["detections_flat"]["scores"]) == len(e["detections"])
    spec = (det / "app/src/main/java").rglob("TaskSpec.kt").__next__().read_text("utf-8")
    assert "scoreThreshold = 0.5f" in spec and "maxDetections = 8," in spec
    assert 'TASK: String = "detection"' in spec
    assert report["model"]["task"]["postprocess"]["iou_threshold"] == 0.5


@pytest.mark.parametrize("task", ["segmentation", "detection"])
def test_task_app_resources_compile_with_aapt(compiled, task):
    proc = compiled["aapt"][task]
    assert proc.returncode == 0, proc.stderr


def test_task_app_kotlin_compiles_against_published_api_stubs(compiled):
    proc = compiled["kotlinc"]
    assert proc.returncode == 0, f"kotlinc failed:\n{proc.stderr[-6000:]}"
    assert len(list(compiled["classes"].rglob("TaskScreen.class"))) == 2


def test_segmentation_argmax_on_jvm_matches_python(runs, compiled):
    project, _ = runs["segmentation"]
    e = _expected(project)
    out = e["outputs"][e["task_output"]]
    logits = np.array(out["data"], np.float32)
    classes = out["shape"][1]
    want = np.array(e["mask"]["data"])
    # ties and a NaN: numpy's argmax takes the first maximum (and the first NaN)
    tied = logits.reshape(classes, -1).copy()
    tied[:, :5] = 1.0
    tied[1, 5] = np.nan
    cases = [(logits, want), (tied.reshape(-1), tied.argmax(0))]
    for data, mask in cases:
        text = f"segmentation\n{_bits(data)}\n{classes}\n{' '.join(str(int(v)) for v in want)}\n"
        mask_line, agreement = _jvm(compiled, "segmentation", text).splitlines()
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


def test_detection_postprocess_on_jvm_matches_python(runs, compiled):
    from deploy_studio.core.tasks.detection import PostProcess

    project, report = runs["detection"]
    e = _expected(project)
    boxes = np.array(e["outputs"][0]["data"], np.float32).reshape(-1, 4)
    scores = np.array(e["outputs"][1]["data"], np.float32).reshape(len(boxes), -1)
    declared = PostProcess.from_dict(report["model"]["task"]["postprocess"])
    rng = np.random.default_rng(0)
    logits = np.log(np.clip(scores, 1e-6, 1)).astype(np.float32)
    tied = np.round(scores * 4) / 4  # many equal scores: the tie-breaking must match
    jitter = (boxes + rng.normal(0, 3, boxes.shape)).astype(np.float32)
    cases = [
        ("generated", boxes, scores, declared),
        (None, boxes, logits, PostProcess(score_threshold=0.3, activation="softmax")),
        (
            None,
            boxes,
            logits,
            PostProcess(score_threshold=0.1, activation="sigmoid", background=-1),
        ),
        (
            None,
            jitter,
            tied.astype(np.float32),
            PostProcess(score_threshold=0.2, iou_threshold=0.1),
        ),
        (
            None,
            jitter,
            tied.astype(np.float32),
            PostProcess(score_threshold=0.0, topk_candidates=2),
        ),
        (
            None,
            jitter,
            scores,
            PostProcess(score_threshold=0.05, class_agnostic=True, iou_threshold=0.0),
        ),
        (None, jitter, scores, PostProcess(score_threshold=0.01, max_detections=3, background=2)),
    ]
    lines = ["detection"]
    for kind, b, s, spec in cases:
        head = kind or " ".join(
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
    got_lines = _jvm(compiled, "detection", "\n".join(lines) + "\n").split("\n")
    for i, (_kind, b, s, spec) in enumerate(cases):
        want = _python(b, s, spec)
        got = []
        for item in filter(None, got_lines[i].split(";")):
            v = [int(x) for x in item.split()]
            as_f = [struct.unpack("<f", struct.pack("<I", x & 0xFFFFFFFF))[0] for x in v[1:]]
            got.append((v[0], np.float32(as_f[0]), [np.float32(x) for x in as_f[1:]]))
        assert [g[0] for g in got] == [w[0] for w in want], (i, spec)
        for (_, gs, gb), (_, ws, wb) in zip(got, want, strict=True):
            assert gb == wb, (i, spec)  # the very boxes (copied, never recomputed)
            assert abs(gs - ws) <= 1e-6, (i, spec, gs, ws)  # exp: float32 vs numpy's
    # the declared spec reproduces expected.json's detections
    flat = e["detections_flat"]
    assert [w[0] for w in _python(boxes, scores, declared)] == flat["labels"]
