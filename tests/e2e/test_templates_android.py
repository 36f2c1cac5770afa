"""The generated Android projects compile as far as Linux allows, offline.

For every runtime (ExecuTorch, PyTorch lite, ONNX Runtime) and for hostile app names and
labels: aapt compiles the manifest and resources against Debian's API 29 framework
resources and the app name reads back exactly; one kotlinc run type-checks all generated
Kotlin against the stubs in ``stubs/java`` and a JVM run of the generated ``Preprocess`` gives
Python's input tensor; tree-sitter-kotlin parses the ``.gradle.kts`` files; tomllib reads
``libs.versions.toml``. No APK is built (that needs Google's Maven).

Also: app names with ``%`` signs compile with aapt (formatted="false"); the self-test's verdict
and JSON line for NaN, infinite and wrongly sized outputs run on the JVM; ``gradlew`` refuses
installed Gradle versions AGP cannot run on (a fake ``gradle`` on PATH); Kotlin that is wrong
against the published APIs fails to compile against the stubs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
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
    # a Vulkan-delegated program: the Vulkan-enabled AAR instead of executorch-android
    "executorch-vulkan": (
        "executorch",
        "pte",
        "com.example.digits.vk",
        "Digit Reader",
        ts.DIGIT_LABELS,
        "digits",
        "RGB",
    ),
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
# the delegates an artifact was lowered to (the others: none recorded)
DELEGATES = {"executorch-vulkan": ["vulkan"]}
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
import {package}.Expected
import {package}.Preprocess
import {package}.SelfTest
import {package}.Tolerance
import java.io.File
import javax.imageio.ImageIO

// The self-test of outputs a broken model gives (NaN, infinite, another length): verdict + JSON.
fun selfTest(out: File) {{
    val expected = Expected(1, floatArrayOf(0f, 2f, 1f))
    val cases = listOf(
        "same" to floatArrayOf(0f, 2f, 1f),
        "off" to floatArrayOf(0f, 2.5f, 1f),
        "nan" to floatArrayOf(0f, Float.NaN, 1f),
        "inf" to floatArrayOf(0f, Float.POSITIVE_INFINITY, 1f),
        "short" to floatArrayOf(0f, 2f),
    )
    val text = StringBuilder()
    for ((name, logits) in cases) {{
        val test = SelfTest.compare(logits, expected, AppInfo.TOLERANCE)
        val probs = SelfTest.softmax(logits)
        val line = SelfTest.logLine(AppInfo.APP_NAME, 1, probs, logits, test, Double.NaN)
        text.append(name).append('\\t').append(SelfTest.verdict(test, AppInfo.TOLERANCE)).append('\\t').append(line).append('\\n')
    }}
    // An int8 program's tolerance: the desktop's top-1 and |diff| <= 0.25 x the logit range (0.5).
    val int8 = Expected(1, floatArrayOf(0f, 2f, 1.8f), Tolerance("top1+relative", 0.5f, 0.25f, "int8 pte program"))
    val int8Cases = listOf(
        "int8-within" to floatArrayOf(0.2f, 2.3f, 1.6f),
        "int8-top1-differs" to floatArrayOf(0f, 1.9f, 2.0f),
        "int8-beyond" to floatArrayOf(0f, 2f, 1.1f),
    )
    for ((name, logits) in int8Cases) {{
        val tolerance = SelfTest.toleranceFor(int8)
        val test = SelfTest.compare(logits, int8, tolerance)
        val line = SelfTest.logLine(AppInfo.APP_NAME, 1, SelfTest.softmax(logits), logits, test, 1.0)
        text.append(name).append('\\t').append(SelfTest.verdict(test, tolerance)).append('\\t').append(line).append('\\n')
    }}
    out.writeText(text.toString(), Charsets.UTF_8)
}}

// Runs the generated, Android-free preprocessing on the JVM: sample.png -> floats.
fun main(args: Array<String>) {{
    if (args[0] == "selftest") return selfTest(File(args[1]))
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


def with_package_suffix(project: Path, dest: Path, suffix: str) -> Path:
    """A copy of ``project``'s sources in package ``<id>.<suffix>``: apps of one recipe (its
    runtimes) share an app name, so a package, and compile side by side in one kotlinc run."""
    shutil.copytree(project / "app" / "src", dest / "app" / "src")
    gradle = (project / "app" / "build.gradle.kts").read_text("utf-8")
    pkg = _package(project)
    gradle = gradle.replace(f'namespace = "{pkg}"', f'namespace = "{pkg}.{suffix}"')
    (dest / "app" / "build.gradle.kts").write_text(gradle, "utf-8")
    for kt in (dest / "app" / "src").rglob("*.kt"):
        text = kt.read_text("utf-8")
        kt.write_text(re.sub(r"^package (.+)$", rf"package \1.{suffix}", text, count=1, flags=re.M))
    return dest


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
        if name in DELEGATES:
            bundle = dataclasses.replace(bundle, delegates=DELEGATES[name])
        out[name] = (render_project("android", runtime, bundle, root / name), bundle)
    return out


def _aapt(project: Path, work: Path) -> tuple:
    """aapt package the project's manifest/resources; returns (process, R.java folder, apk)."""
    ts.require_tool("aapt", "aapt (Debian package aapt)")
    ts.require_tool(FRAMEWORK_RES, "framework-res.apk (Debian package android-framework-res)")
    main = project / "app" / "src" / "main"
    # AGP writes the namespace into the merged manifest and replaces the ${applicationId}
    # placeholder (the FileProvider authority) with the application id; aapt needs both done.
    manifest = (
        main.joinpath("AndroidManifest.xml")
        .read_text("utf-8")
        .replace("<manifest ", f'<manifest package="{_package(project)}" ', 1)
        .replace("${applicationId}", _package(project))
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
    # The stubs of Kotlin libraries (ExecuTorch, AndroidX activity) are Kotlin, as published.
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
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
    vulkan = "vulkan" in DELEGATES.get(name, [])
    assert versions["versions"]["agp"] == "8.9.0"
    assert versions["versions"]["kotlin"] == "2.0.21"
    libraries = {(v["group"], v["name"]) for v in versions["libraries"].values()}
    runtime_lib = {
        "executorch": ("org.pytorch", "executorch-android" + vulkan * "-vulkan"),
        "pytorch-lite": ("org.pytorch", "pytorch_android_lite"),
        "onnxruntime": ("com.microsoft.onnxruntime", "onnxruntime-android"),
    }[runtime]
    assert runtime_lib in libraries
    if runtime == "executorch":
        assert versions["versions"]["executorch"] == "1.5.1"
    readme = (project / "README.md").read_text("utf-8")
    assert "No APK was built" in readme.replace("no APK was built", "No APK was built")
    assert "./gradlew installDebug" in readme
    # pytorch_android_lite 2.1.0: not 16 KB-page aligned, said where the user reads it
    assert ("16 KB" in readme) == (runtime == "pytorch-lite")
    assert "not verified" in readme.lower() and "EXIF" in readme
    # a Vulkan-delegated program: the Vulkan AAR, and what was not run here, in the README
    assert ("org.pytorch:executorch-android-vulkan" in readme) == vulkan
    assert ("Vulkan 1.1 GPU" in readme) == vulkan

    # The camera writes a full-size photo through a FileProvider declared in the manifest.
    main = project / "app/src/main"
    manifest = (main / "AndroidManifest.xml").read_text("utf-8")
    assert 'android:name="androidx.core.content.FileProvider"' in manifest
    assert 'android:authorities="${applicationId}.fileprovider"' in manifest
    assert 'android:resource="@xml/file_paths"' in manifest
    assert '<action android:name="android.media.action.IMAGE_CAPTURE" />' in manifest  # <queries>
    assert (
        '<cache-path name="photos" path="photos/" />'
        in (main / "res/xml/file_paths.xml").read_text()
    )
    activity = next(project.rglob("MainActivity.kt")).read_text("utf-8")
    assert "ActivityResultContracts.TakePicture()" in activity
    assert "ActivityResultContracts.TakePicturePreview()" not in activity  # a thumbnail
    assert "resolveActivity(packageManager)" in activity and "ActivityNotFoundException" in activity
    assert "import org.json" not in activity  # the JSON line is written by SelfTest.logLine
    assert {("androidx.exifinterface", "exifinterface"), ("androidx.core", "core")} <= libraries
    classifier = next(project.rglob("Classifier.kt")).read_text("utf-8")
    if runtime == "onnxruntime":
        # SessionOptions outlive the session (closed after it, in close()), never use {}d.
        assert "SessionOptions().use" not in classifier
        assert classifier.index("session.close()") < classifier.index("options.close()  // only")


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


@pytest.mark.parametrize("name", ["hostile", "onnxruntime"])
def test_android_selftest_of_non_finite_outputs_on_jvm(projects, compiled, name):
    """NaN / infinite logits and outputs of another length: "failed (max diff: not finite)",
    and the logged line is strict JSON (org.json would throw on such numbers: see the stub)."""
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    _project, bundle = projects[name]
    out = compiled["work"] / name / "selftest.txt"
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    proc = ts.run(["java", "-cp", cp, f"{_harness(name)}.HarnessKt", "selftest", out], timeout=120)
    assert proc.returncode == 0, proc.stderr

    def no_constants(value):
        raise AssertionError(f"not strict JSON: {value}")

    rows = {}
    for row in out.read_text("utf-8").splitlines():
        case, verdict, line = row.split("\t")
        rows[case] = (verdict, json.loads(line, parse_constant=no_constants))
    assert rows["same"][0].startswith("passed (max diff 0.00e+00, tolerance 1.00e-03)")
    assert rows["same"][1]["tolerance_kind"] == "absolute"
    assert rows["same"][1]["tolerance"] == pytest.approx(1e-3)
    assert rows["off"][0].startswith("failed (max diff 5.00e-01")
    for case in ["nan", "inf", "short"]:  # (the int8 cases: test_selftest_tolerance.py)
        verdict, line = rows[case]
        assert verdict == "failed (max diff: not finite)", case
        assert line["selftest"] == "failed"
        assert line["max_diff"] in ("NaN", "Infinity"), line
        assert line["latency_ms"] == "NaN"
    assert rows["nan"][1]["logits"][1] == "NaN" and rows["inf"][1]["logits"][1] == "Infinity"
    assert rows["short"][1]["max_diff"] == "Infinity"
    # the label text (here the app name: quotes, backslash, newline, non-ASCII) reads back
    assert rows["same"][1]["top1"] == bundle.app_name


def test_android_selftest_of_an_int8_program_on_jvm(projects, compiled):
    """An int8 program's tolerance (expected.json: top-1 + 0.25 x the logit range): the JVM
    passes logits within the relative bound and fails a different top-1 or a larger diff."""
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    out = compiled["work"] / "executorch" / "selftest-int8.txt"
    cp = os.pathsep.join([str(compiled["classes"]), str(KOTLIN_STDLIB)])
    harness = f"{_harness('executorch')}.HarnessKt"
    proc = ts.run(["java", "-cp", cp, harness, "selftest", out], timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = {}
    for row in out.read_text("utf-8").splitlines():
        case, verdict, line = row.split("\t")
        rows[case] = (verdict, json.loads(line))
    verdict, line = rows["int8-within"]
    assert verdict == "passed (max diff 3.00e-01, tolerance 5.00e-01 = 0.25 x logit range)"
    assert line["selftest"] == "passed" and line["tolerance_kind"] == "top1+relative"
    assert line["tolerance"] == pytest.approx(0.5)
    verdict, line = rows["int8-top1-differs"]
    assert (
        verdict.startswith("failed (max diff 2.00e-01, tolerance 5.00e-01")
        and "top-1 differs" in verdict
    )
    assert line["selftest"] == "failed"
    verdict, line = rows["int8-beyond"]
    assert verdict.startswith("failed (max diff 7.00e-01") and "top-1 differs" not in verdict
    assert line["selftest"] == "failed"


PERCENT_NAMES = [
    "100%% sure",
    "%s %d apps",
    "50% off & 20% more \"quoted\" 'single'",
    "Zähler %1$s\nline two ✓ %",
]


def test_android_app_names_with_percent_signs_compile_with_aapt(projects, tmp_path):
    """Two or more % in a <string> is a non-positional format error for aapt unless the
    string is formatted="false"; the name must read back exactly (no %% doubling)."""
    _project, bundle = projects["executorch"]
    for i, name in enumerate(PERCENT_NAMES):
        named = dataclasses.replace(bundle, app_name=name, package_id=f"com.example.percent{i}")
        project = render_project("android", "executorch", named, tmp_path / f"p{i}")
        proc, _gen, apk = _aapt(project, tmp_path / f"aapt{i}")
        assert proc.returncode == 0, f"aapt failed for {name!r}:\n{proc.stderr}"
        strings = ts.run(["aapt", "dump", "strings", apk]).stdout
        assert f": {name}\n" in strings, (name, strings)


FAKE_GRADLE = """#!/bin/sh
if [ "$1" = "--version" ]; then
  printf '\\nWelcome to Gradle %s!\\n\\n------------------------------------------------------------\\n'
  printf 'Gradle %s\\n------------------------------------------------------------\\n' "$FAKE_GRADLE_VERSION"
  exit 0
fi
echo "$@" > "$FAKE_GRADLE_LOG"
mkdir -p gradle/wrapper && touch gradle/wrapper/gradle-wrapper.jar
printf '#!/bin/sh\\necho official wrapper "$@"\\n' > gradlew
"""


@pytest.mark.parametrize(
    "version, works",
    [
        ("4.4.1", False),  # Debian's gradle package
        ("7.6.4", False),
        ("8.11", False),  # below AGP 8.9's minimum 8.11.1
        ("8.11.1", True),
        ("8.14.3", True),
        ("9.0.0", False),  # AGP 8.9 does not support Gradle 9
        ("not a version", False),
    ],
)
def test_android_gradlew_checks_the_installed_gradle_version(projects, tmp_path, version, works):
    project, _bundle = projects["executorch"]
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy2(project / "gradlew", copy / "gradlew")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gradle").write_text(FAKE_GRADLE)
    (bin_dir / "gradle").chmod(0o755)
    log = tmp_path / "gradle.log"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "FAKE_GRADLE_VERSION": version,
        "FAKE_GRADLE_LOG": str(log),
    }
    proc = ts.run(["sh", copy / "gradlew", "assembleDebug"], timeout=60, env=env)
    if works:
        assert proc.returncode == 0, proc.stderr
        assert log.read_text().split() == ["wrapper", "--gradle-version", "8.11.1"]
        assert proc.stdout.strip() == "official wrapper assembleDebug"  # handed over
    else:
        assert proc.returncode == 1 and not log.exists()
        assert "cannot create this project's wrapper" in proc.stderr
        assert "needs Gradle 8.11.1 or newer, below 9.0" in proc.stderr
        if version[0].isdigit():
            assert f"({version}," in proc.stderr


# Kotlin that is wrong against the published APIs: each must FAIL to compile against the stubs
# (name -> (source, a fragment of the expected kotlinc error)). One kotlinc run compiles them
# all with the stubs' classes on the class path; OK_SNIPPET (right) must compile in the same run.
NEGATIVE_SNIPPETS = {
    "et_private_constructor": (
        'import org.pytorch.executorch.Module\nfun f(): Module = Module("m.pte", 0, 0)\n',
        "private",
    ),
    "et_evalue_private_constructor": (
        "import org.pytorch.executorch.EValue\nfun f(): EValue = EValue(1)\n",
        "private",
    ),
    "et_data_getter_is_a_property": (
        "import org.pytorch.executorch.Tensor\nfun f(t: Tensor): FloatArray = t.getDataAsFloatArray()\n",
        "Unresolved reference",
    ),
    "et_forward_takes_evalues": (
        "import org.pytorch.executorch.Module\nimport org.pytorch.executorch.Tensor\n"
        "fun f(m: Module, t: Tensor) = m.forward(t)\n",
        "mismatch",
    ),
    "lite_module_no_public_constructor": (
        "fun f(): org.pytorch.Module = org.pytorch.Module()\n",
        "package-private",
    ),
    "ort_result_get_name_is_optional": (
        "import ai.onnxruntime.OnnxValue\nimport ai.onnxruntime.OrtSession\n"
        'fun f(r: OrtSession.Result): OnnxValue = r.get("logits")\n',
        "mismatch",
    ),
    "ort_session_from_environment_only": (
        "import ai.onnxruntime.OrtSession\nfun f(): OrtSession = OrtSession()\n",
        "package-private",
    ),
    "take_picture_needs_a_uri": (
        "import androidx.activity.ComponentActivity\n"
        "import androidx.activity.result.contract.ActivityResultContracts\n"
        "class A : ComponentActivity() {\n"
        "    val take = registerForActivityResult(ActivityResultContracts.TakePicture()) { _: Boolean -> }\n"
        "    fun go() = take.launch(null)\n}\n",
        "Null cannot be a value of a non-null type",
    ),
    "get_content_result_is_nullable": (
        "import android.net.Uri\nimport androidx.activity.ComponentActivity\n"
        "import androidx.activity.result.contract.ActivityResultContracts\n"
        "class B : ComponentActivity() {\n"
        "    val pick = registerForActivityResult(ActivityResultContracts.GetContent()) { _: Uri -> }\n}\n",
        "mismatch",
    ),
    "take_picture_preview_result_is_nullable": (
        "import android.graphics.Bitmap\nimport androidx.activity.ComponentActivity\n"
        "import androidx.activity.result.contract.ActivityResultContracts\n"
        "class C : ComponentActivity() {\n"
        "    val snap = registerForActivityResult(ActivityResultContracts.TakePicturePreview()) { _: Bitmap -> }\n}\n",
        "mismatch",
    ),
}
OK_SNIPPET = """\
import ai.onnxruntime.OnnxValue
import ai.onnxruntime.OrtSession
import android.graphics.Bitmap
import android.net.Uri
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import org.pytorch.executorch.EValue
import org.pytorch.executorch.Module
import org.pytorch.executorch.Tensor

fun et(path: String?): FloatArray = Module.load(path).use { m ->
    m.forward(EValue.from(Tensor.fromBlob(floatArrayOf(1f), longArrayOf(1))))[0].toTensor().dataAsFloatArray
}
fun ort(r: OrtSession.Result): OnnxValue = r.get("logits").get()
class Ok : ComponentActivity() {
    val take = registerForActivityResult(ActivityResultContracts.TakePicture()) { _: Boolean -> }
    val pick = registerForActivityResult(ActivityResultContracts.GetContent()) { _: Uri? -> }
    val snap = registerForActivityResult(ActivityResultContracts.TakePicturePreview()) { _: Bitmap? -> }
    fun go(uri: Uri) {
        take.launch(uri)
        snap.launch(null)
    }
}
"""


def assert_stubs_reject(snippets: dict, ok_snippet: str, tmp_path: Path) -> None:
    """One kotlinc run over ``ok_snippet`` and every snippet (name -> (Kotlin source, error
    fragment)) against the stubs: the ok snippet compiles, each snippet fails with its error."""
    files = []
    for name, (source, _expected) in snippets.items():
        path = tmp_path / f"{name}.kt"
        path.write_text(f"package neg.{name}\n\n{source}", "utf-8")
        files.append(path)
    ok = tmp_path / "ok_snippet.kt"
    ok.write_text("package neg.ok\n\n" + ok_snippet, "utf-8")
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    # kotlinc reads Java sources but writes no classes for them: the stubs go in as sources.
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    proc = ts.run(
        [KOTLINC, "-d", tmp_path / "out", "-jvm-target", "11", "-no-reflect", ok, *files, *stubs],
        timeout=600,
        env=env,
    )
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    assert proc.returncode != 0
    assert not [e for e in errors if "ok_snippet.kt" in e], proc.stderr
    for name, (_source, expected) in snippets.items():
        mine = [e for e in errors if f"{name}.kt:" in e]
        assert mine, f"{name} compiled against the stubs but not against the real API"
        assert any(expected.lower() in e.lower() for e in mine), (name, mine)


def test_android_stubs_reject_code_that_the_published_api_rejects(compiled, tmp_path):
    assert compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    assert_stubs_reject(NEGATIVE_SNIPPETS, OK_SNIPPET, tmp_path)


@pytest.mark.parametrize("runtime, warned", [("pytorch-lite", True), ("executorch", False)])
def test_cli_warns_when_a_pytorch_lite_app_is_exported(monkeypatch, tmp_path, runtime, warned):
    """export_apps logs the 16 KB-page warning (the CLI prints log events) for a ptl app."""
    from types import SimpleNamespace

    from PIL import Image

    import deploy_studio.core.templates as templates
    from deploy_studio.core import app_routes, apps
    from deploy_studio.core.progress import Reporter

    monkeypatch.setattr(app_routes, "route", lambda *a: app_routes.AppRoute("image"))
    monkeypatch.setattr(app_routes, "plain_image_classifier", lambda session: True)
    monkeypatch.setattr(apps, "pick_variant", lambda rows, fmt, *a: rows[0])
    monkeypatch.setattr(apps, "expected_output", lambda *a: {})
    rendered = []
    monkeypatch.setattr(templates, "render_project", lambda *a, **k: rendered.append(a[:2]))
    fmt = {"pytorch-lite": "ptl", "executorch": "pte"}[runtime]
    session = SimpleNamespace(
        labels=["a", "b"],
        eval_idx=[0],
        dataset=SimpleNamespace(
            images=[np.zeros((4, 4, 1), np.uint8)],
            has_images=True,
            sample_image=lambda i: Image.new("L", (4, 4)),
        ),
        preprocess=None,
        model=SimpleNamespace(
            input_shape=[1, 1, 4, 4], signature=SimpleNamespace(output_names=["logits"])
        ),
    )
    template = SimpleNamespace(platform="android", runtime=runtime, variant=None)
    recipe = SimpleNamespace(
        export=SimpleNamespace(templates=[template], variant=None, app_name="A", ios_branch=None)
    )
    report = {"variants": [{"name": "v", "format": fmt, "artifact": f"v/model.{fmt}"}]}
    events = []
    entries, _added = apps.export_apps(
        recipe, session, report, tmp_path, Reporter(events.append), service=None
    )
    assert rendered == [("android", runtime)] and entries[0]["path"] and "error" not in entries[0]
    logs = [e.message for e in events if e.kind == "log"]
    assert any("16 KB" in m and "pytorch-lite" in m for m in logs) == warned, logs
