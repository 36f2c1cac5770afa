"""The generated Android projects compile as far as Linux allows, offline.

For every runtime (ExecuTorch, PyTorch lite, ONNX Runtime) and for hostile app names and
labels: aapt compiles the manifest and resources against Debian's API 29 framework
resources and the app name reads back exactly; one kotlinc run type-checks all generated
Kotlin against the stubs in ``stubs/java`` and a JVM run of the generated ``Preprocess`` gives
Python's input tensor; tree-sitter-kotlin parses the ``.gradle.kts`` files; tomllib reads
``libs.versions.toml``. No APK is built (that needs Google's Maven).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import numpy as np
import pytest

from deploy_studio.core.templates import render_project
from tests.e2e import templates_support as ts

FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")
STUBS = Path(__file__).parent / "stubs" / "java"
KOTLINC = ts.NODE_MODULES / "kotlin-compiler" / "bin" / "kotlinc"
KOTLIN_STDLIB = ts.NODE_MODULES / "kotlin-compiler" / "lib" / "kotlin-stdlib.jar"

# name -> (runtime, artifact format, package id, app name, labels, test model kind, channel order)
PROJECTS = {
    "executorch": (
        "executorch",
        "pte",
        "com.example.digits.et",
        "Digit Reader",
        ts.DIGIT_LABELS,
        "digits",
        "RGB",
    ),
    "pytorch-lite": (
        "pytorch-lite",
        "ptl",
        "com.example.digits.lite",
        "Digit Reader",
        ts.DIGIT_LABELS,
        "digits",
        "RGB",
    ),
    "onnxruntime": (
        "onnxruntime",
        "onnx-external",
        "com.example.digits.ort",
        "Digit Reader",
        ts.DIGIT_LABELS,
        "digits",
        "RGB",
    ),
    "hostile": ("executorch", "pte", None, ts.HOSTILE_APP_NAME, ts.HOSTILE_LABELS, "digits", "RGB"),
    "rgb-bgr": (
        "onnxruntime",
        "onnx",
        "com.example.colours",
        "Colour Reader",
        ts.HOSTILE_LABELS[:5],
        "rgb",
        "BGR",
    ),
    "own-normalisation-nhwc": (
        "onnxruntime",
        "onnx",
        "com.example.colours.nhwc",
        "Colour Reader",
        ts.HOSTILE_LABELS[:5],
        "rgb-nhwc",
        "RGB",
    ),
}
# a recipe's [preprocess]: Normalize(0.5, 0.5), resize to 40 px before the crop, channels last
PREPROCESS = {
    "own-normalisation-nhwc": {
        "mean": [0.5],
        "std": [0.5],
        "resize_size": 40,
        "interpolation": "nearest",
    }
}

HARNESS = """\
package {harness}

import {package}.AppInfo
import {package}.Preprocess
import java.io.File
import javax.imageio.ImageIO

// Runs the generated, Android-free preprocessing on the JVM: sample.png -> floats.
fun main(args: Array<String>) {{
    val image = ImageIO.read(File(args[0]))
    val raster = image.raster
    val bands = raster.numBands
    val px = IntArray(bands)
    val argb = IntArray(image.width * image.height)
    for (y in 0 until image.height) for (x in 0 until image.width) {{
        raster.getPixel(x, y, px)  // raw samples: no colour conversion (as Android decodes PNG)
        val r = px[0]; val g = if (bands >= 3) px[1] else px[0]; val b = if (bands >= 3) px[2] else px[0]
        argb[y * image.width + x] = (0xFF shl 24) or (r shl 16) or (g shl 8) or b
    }}
    val input = Preprocess.toInput(argb)
    val out = StringBuilder()
    out.append(AppInfo.APP_NAME.length).append('\\n').append(AppInfo.APP_NAME).append('\\n')
    input.forEach {{ out.append(java.lang.Float.floatToRawIntBits(it)).append(' ') }}
    File(args[1]).writeText(out.toString(), Charsets.UTF_8)
}}
"""


def _harness(name: str) -> str:
    return "harness." + re.sub(r"\W", "_", name)


def _package(project: Path) -> str:
    text = (project / "app" / "build.gradle.kts").read_text("utf-8")
    return json.loads(re.search(r'namespace = ("[^"]*")', text).group(1))


@pytest.fixture(scope="module")
def projects(tmp_path_factory) -> dict[str, tuple[Path, object]]:
    root = tmp_path_factory.mktemp("android")
    out = {}
    for name, (runtime, fmt, pkg, app_name, labels, kind, order) in PROJECTS.items():
        bundle = ts.make_bundle(
            root / "data",
            fmt,
            app_name,
            labels,
            package_id=pkg,
            kind=kind,
            channel_order=order,
            preprocess=PREPROCESS.get(name),
        )
        out[name] = (render_project("android", runtime, bundle, root / name), bundle)
    return out


def _aapt(project: Path, work: Path) -> tuple:
    """aapt package the project's manifest/resources; returns (process, R.java folder, apk)."""
    ts.require_tool("aapt", "aapt (Debian package aapt)")
    ts.require_tool(FRAMEWORK_RES, "framework-res.apk (Debian package android-framework-res)")
    main = project / "app" / "src" / "main"
    # AGP writes the namespace into the merged manifest; aapt needs it there too.
    manifest = (
        main.joinpath("AndroidManifest.xml")
        .read_text("utf-8")
        .replace("<manifest ", f'<manifest package="{_package(project)}" ', 1)
    )
    work.mkdir(parents=True, exist_ok=True)
    (work / "AndroidManifest.xml").write_text(manifest, "utf-8")
    gen, apk = work / "gen", work / "resources.apk"
    gen.mkdir(exist_ok=True)
    proc = ts.run(
        [
            "aapt",
            "package",
            "-f",
            "-m",
            "-J",
            gen,
            "-M",
            work / "AndroidManifest.xml",
            "-S",
            main / "res",
            "-I",
            FRAMEWORK_RES,
            "-F",
            apk,
        ]
    )
    return proc, gen, apk


@pytest.fixture(scope="module")
def compiled(projects, tmp_path_factory):
    """aapt for every project, then ONE kotlinc run over all generated Kotlin + R + stubs."""
    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    ts.require_tool("java", "java (Debian package default-jre-headless)")
    work = tmp_path_factory.mktemp("android-build")
    sources, aapt_results = [], {}
    for name, (project, _bundle) in projects.items():
        proc, gen, apk = _aapt(project, work / name)
        aapt_results[name] = (proc, apk)
        assert proc.returncode == 0, f"aapt failed for {name}:\n{proc.stderr}"
        sources += sorted(project.rglob("*.kt")) + sorted(gen.rglob("R.java"))
        harness = work / name / "Harness.kt"
        harness.write_text(
            HARNESS.format(package=_package(project), harness=_harness(name)), "utf-8"
        )
        sources.append(harness)
    classes = work / "classes"
    stubs = sorted(STUBS.rglob("*.java"))
    # C1-only JIT: kotlinc is a short-lived JVM, this takes a third off its run time.
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    proc = ts.run(
        [KOTLINC, "-d", classes, "-jvm-target", "11", "-no-reflect", *sources, *stubs],
        timeout=600,
        env=env,
    )
    return {"kotlinc": proc, "classes": classes, "aapt": aapt_results, "work": work}


def _syntax_errors(parser, source: bytes) -> list:
    errors = []

    def walk(node):
        if node.type == "ERROR" or node.is_missing:
            errors.append((node.start_point, source[node.start_byte : node.end_byte][:60]))
        for child in node.children:
            walk(child)

    walk(parser.parse(source).root_node)
    return errors


@pytest.fixture(scope="module")
def kotlin_parser():
    try:
        import tree_sitter_kotlin
        from tree_sitter import Language, Parser
    except ImportError:
        pytest.fail(f"tree-sitter-kotlin is not installed: {ts.INSTALL_HINT}", pytrace=False)
    parser = Parser(Language(tree_sitter_kotlin.language()))
    assert _syntax_errors(parser, b'val name = "a"b"\n'), "the parser must flag broken Kotlin"
    return parser


@pytest.mark.parametrize("name", list(PROJECTS))
def test_android_project_has_the_build_files(projects, name):
    project, bundle = projects[name]
    runtime = PROJECTS[name][0]
    fmt = Path(bundle.artifact).suffix[1:]
    for rel in [
        "settings.gradle.kts",
        "build.gradle.kts",
        "gradle.properties",
        "gradle/libs.versions.toml",
        "gradle/wrapper/gradle-wrapper.properties",
        "gradlew",
        "gradlew.bat",
        "app/build.gradle.kts",
        "app/proguard-rules.pro",
        "app/src/main/AndroidManifest.xml",
        "app/src/main/res/layout/activity_main.xml",
        "app/src/main/res/values/strings.xml",
        ".gitignore",
        "README.md",
    ]:
        assert (project / rel).is_file(), rel
    assert os.access(project / "gradlew", os.X_OK)
    assert not (
        project / "gradle/wrapper/gradle-wrapper.jar"
    ).exists()  # created by `gradle wrapper`
    assert "gradle wrapper --gradle-version 8.11.1" in (project / "gradlew").read_text()
    assert subprocess.run(["sh", "-n", str(project / "gradlew")]).returncode == 0
    assert "android.useAndroidX=true" in (project / "gradle.properties").read_text()
    assets = project / "app/src/main/assets"
    for rel in [
        "labels.json",
        "labels.txt",
        "sample.png",
        "preprocess.json",
        "expected.json",
        f"model.{fmt}",
    ]:
        assert (assets / rel).is_file(), rel
    assert (assets / f"model.{fmt}").read_bytes() == Path(bundle.artifact).read_bytes()
    for extra in bundle.artifact_extra:  # e.g. model.onnx.data keeps the name the model uses
        assert (assets / extra.name).read_bytes() == extra.read_bytes()
    # The labels the app shows come from labels.json: exactly the originals.
    assert json.loads((assets / "labels.json").read_text("utf-8")) == bundle.labels
    assert json.loads((assets / "expected.json").read_text("utf-8")) == bundle.expected

    versions = tomllib.loads((project / "gradle/libs.versions.toml").read_text("utf-8"))
    assert versions["versions"]["agp"] == "8.9.0"
    assert versions["versions"]["kotlin"] == "2.0.21"
    libraries = {(v["group"], v["name"]) for v in versions["libraries"].values()}
    runtime_lib = {
        "executorch": ("org.pytorch", "executorch-android"),
        "pytorch-lite": ("org.pytorch", "pytorch_android_lite"),
        "onnxruntime": ("com.microsoft.onnxruntime", "onnxruntime-android"),
    }[runtime]
    assert runtime_lib in libraries
    if runtime == "executorch":
        assert versions["versions"]["executorch"] == "1.5.1"
    readme = (project / "README.md").read_text("utf-8")
    assert "No APK was built" in readme.replace("no APK was built", "No APK was built")
    assert "./gradlew installDebug" in readme


@pytest.mark.parametrize("name", list(PROJECTS))
def test_android_gradle_and_kotlin_files_parse(projects, kotlin_parser, name):
    project, _bundle = projects[name]
    files = sorted(project.rglob("*.gradle.kts")) + sorted(project.rglob("*.kt"))
    assert len(files) >= 3 + 7
    for path in files:
        errors = _syntax_errors(kotlin_parser, path.read_bytes())
        assert not errors, f"{path.relative_to(project)}: syntax errors at {errors[:3]}"


@pytest.mark.parametrize("name", list(PROJECTS))
def test_android_resources_compile_with_aapt(projects, compiled, name):
    _project, bundle = projects[name]
    proc, apk = compiled["aapt"][name]
    assert proc.returncode == 0, proc.stderr
    strings = ts.run(["aapt", "dump", "strings", apk]).stdout
    # The string pool holds the app name exactly as typed (quotes, newline, ${x}, non-ASCII).
    assert f": {bundle.app_name}\n" in strings
    values = ts.run(["aapt", "dump", "--values", "resources", apk]).stdout
    assert "string/app_name" in values


def test_android_kotlin_compiles_against_published_api_stubs(compiled):
    proc = compiled["kotlinc"]
    assert proc.returncode == 0, f"kotlinc failed:\n{proc.stderr[-6000:]}"
    assert len(list(compiled["classes"].rglob("MainActivity.class"))) == len(PROJECTS)


@pytest.mark.parametrize("name", ["executorch", "hostile", "rgb-bgr", "own-normalisation-nhwc"])
def test_android_preprocess_on_jvm_matches_python(projects, compiled, name):
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    project, bundle = projects[name]
    assets = project / "app/src/main/assets"
    out = compiled["work"] / name / "harness.txt"
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    proc = ts.run(
        ["java", "-cp", cp, f"{_harness(name)}.HarnessKt", assets / "sample.png", out], timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    text = out.read_text("utf-8")
    length, rest = text.split("\n", 1)
    app_name, floats = rest[: int(length)], rest[int(length) + 1 :]
    # Kotlin's string literal reads back as the original app name.
    assert app_name == bundle.app_name
    bits = np.array([int(v) for v in floats.split()], dtype=np.int64).astype(np.uint32)
    kotlin_input = bits.view(np.float32)
    from PIL import Image

    with Image.open(assets / "sample.png") as img:
        python_input = bundle.preprocess.apply(bundle.preprocess.to_uint8(img)).reshape(-1)
    # Same float32 arithmetic in the same order: bit-for-bit equal.
    assert np.array_equal(kotlin_input, python_input)
