"""ONNX Runtime execution providers of the apps (issue 12, part 3): the Android app adds NNAPI
or XNNPACK and the iOS app the Core ML EP, chosen at export (``[export]
onnxruntime_providers``), with CPU fallback; the desktop measures on CPU and the report says
which provider each app uses.

- The recipe option is validated per platform (choices from the template manifests); a bad
  value is a RecipeError naming the choices, exit code 2 from the CLI.
- ``run_recipe`` of a digits classifier with Android and iOS ONNX Runtime apps: the report's
  template rows carry ``execution_provider`` and ``desktop_provider`` (schema-valid), the HTML
  says them, expected.json's tolerance is relative (with its reason) off CPU. A token model
  gets the iOS ONNX Runtime tensor app; a model with a bool input is refused for it.
- Android projects for cpu / nnapi / xnnpack compile with aapt + kotlinc against the ORT 1.30.0
  stubs; the fallback (``ExecutionProvider.openWithFallback``) runs on the JVM; code wrong
  against the published provider API fails against the stubs.
- iOS ONNX Runtime projects (image classifier and token model; with and without the Core ML EP)
  parse (every pbxproj reference resolves, the Swift package is
  onnxruntime-swift-package-manager at an exact version) and their non-UI Swift type-checks in
  the Swift 6.0.3 chroot against stubs of ORT's Objective-C API as Swift imports it; the Swift
  fallback compiles and runs there; wrong-API snippets fail.

Nothing runs ONNX Runtime on a phone: whether a provider takes the model's operators is only
seen on a device (the generated READMEs say so).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.templates import render_project
from tests.e2e import templates_support as ts
from tests.support.recipes import recipe, variant

SMALL = {"calibration_samples": 8, "eval_samples": 8}
FAST = {"warmup": 1, "runs": 2}
TOKENS = {"name": "tokens", "shape": [1, 6], "dtype": "int64"}
MASK = {"name": "mask", "shape": [1, 6], "dtype": "bool"}
PROVIDERS = {"android": "nnapi", "ios": "coreml"}
ORT_APPS = [
    {"platform": "android", "runtime": "onnxruntime"},
    {"platform": "ios", "runtime": "onnxruntime"},
]


# --- the recipe option ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "providers, fragments",
    [
        ({"android": "coreml"}, ["android", "'coreml'", "cpu, nnapi, xnnpack"]),
        ({"ios": "nnapi"}, ["ios", "'nnapi'", "cpu, coreml"]),
        ({"web": "wasm"}, ["'web'", "android, ios"]),
        ("nnapi", ["must be a table"]),
        ({"android": 1}, ["android", "cpu, nnapi, xnnpack"]),
    ],
)
def test_recipe_rejects_a_bad_provider_naming_the_choices(tiny_model_file, providers, fragments):
    with pytest.raises(RecipeError) as err:
        recipe(
            tiny_model_file,
            [variant("o", "onnx")],
            export={"templates": ORT_APPS, "onnxruntime_providers": providers},
        )
    said = f"{err.value.message} {err.value.hint}"
    assert "onnxruntime_providers" in said
    for fragment in fragments:
        assert fragment in said, said


def test_recipe_keeps_the_providers_through_a_save(tiny_model_file):
    from deploy_studio.core.recipe import parse_recipe

    r = recipe(
        tiny_model_file,
        [variant("o", "onnx")],
        export={"templates": ORT_APPS, "onnxruntime_providers": PROVIDERS},
    )
    assert r.export.onnxruntime_providers == PROVIDERS
    again = parse_recipe(r.to_dict())
    assert again.export.onnxruntime_providers == PROVIDERS
    plain = recipe(tiny_model_file, [variant("o", "onnx")], export={"templates": ORT_APPS})
    assert "onnxruntime_providers" not in plain.to_dict()["export"]


def test_render_refuses_a_provider_the_runtime_has_not(tmp_path):
    from deploy_studio.core.errors import TemplateError

    bundle = ts.make_bundle(tmp_path / "data", "onnx", "Digits", ts.DIGIT_LABELS)
    with pytest.raises(TemplateError, match="cpu, nnapi, xnnpack"):
        render_project(
            "android", "onnxruntime", bundle, tmp_path / "a", options={"execution_provider": "x"}
        )


@pytest.mark.slow
def test_cli_exits_2_on_a_bad_provider(tiny_model_file, tmp_path):
    from tests.conftest import run_cli
    from tests.support.recipes import write_recipe

    path = write_recipe(
        tmp_path / "r.toml",
        tiny_model_file,
        [variant("o", "onnx")],
        export={"templates": ORT_APPS, "onnxruntime_providers": {"android": "gpu"}},
    )
    proc = run_cli("run", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert "cpu, nnapi, xnnpack" in proc.stderr and "'gpu'" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- report rows, expected.json (run_recipe) ---------------------------------------------------
def _run(root: Path, model, data, templates, providers, name: str, **tables) -> dict:
    from deploy_studio.core.engine import run_recipe

    export = {"templates": templates, "app_name": f"{ts.HOSTILE_APP_NAME} {name}"}
    if providers is not None:
        export["onnxruntime_providers"] = providers
    r = recipe(
        model,
        [variant("o", "onnx")],
        name=name,
        data={"source": data, **SMALL},
        benchmark=FAST,
        export=export,
        **tables,
    )
    return run_recipe(r, root, isolate=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, tiny_model_file) -> dict[str, tuple[Path, dict]]:
    from tests.support.models import MODELS_PY

    gru = {"source": f"{MODELS_PY}:TokenGRU", "inputs": [TOKENS]}
    conv = {"source": f"{MODELS_PY}:TokenConv", "inputs": [TOKENS, MASK]}
    cases = {
        # a digits classifier (builtin:digits): the image apps, NNAPI and the Core ML EP
        "digits": (tiny_model_file, "builtin:digits", ORT_APPS, PROVIDERS),
        # int64 token ids: the tensor apps, XNNPACK and (default) CPU
        "tokens": (gru, "random", ORT_APPS, {"android": "xnnpack"}),
        # a bool mask: ONNX Runtime's Objective-C API has no bool tensors
        "mask": (conv, "random", [ORT_APPS[1]], None),
    }
    out = {}
    for name, (model, data, templates, providers) in cases.items():
        root = tmp_path_factory.mktemp(f"ort-{name}")
        out[name] = (root, _run(root, model, data, templates, providers, name))
    # the iOS ONNX Runtime app of the other app kinds: a segmenter's image app, an audio app
    from tests.e2e.test_templates_ios_tasks import SEG
    from tests.support.audio import AUDIO, TINY_AUDIO, tone_folder

    root = tmp_path_factory.mktemp("ort-segmentation")
    out["segmentation"] = (
        root,
        _run(root, SEG, "builtin:digit-strokes", [ORT_APPS[1]], {"ios": "coreml"}, "seg"),
    )
    root = tmp_path_factory.mktemp("ort-audio")
    tone_folder(root, 12)
    wavs = f"audiofolder:{root / 'wavs'}"
    audio = _run(
        root, TINY_AUDIO, wavs, [ORT_APPS[1]], {"ios": "coreml"}, "audio",
        preprocess={"audio": AUDIO},
    )  # fmt: skip
    out["audio"] = (root, audio)
    return out


def _app(report: dict, platform: str) -> dict:
    (row,) = [t for t in report["templates"] if t["platform"] == platform]
    return row


@pytest.mark.slow
@pytest.mark.parametrize(
    "case, platform, provider",
    [
        ("digits", "android", "nnapi"),
        ("digits", "ios", "coreml"),
        ("tokens", "android", "xnnpack"),
        ("tokens", "ios", "cpu"),
        ("segmentation", "ios", "coreml"),
        ("audio", "ios", "coreml"),
    ],
)
def test_report_rows_say_the_apps_provider_and_the_desktops(runs, case, platform, provider):
    from deploy_studio.core.report.validate import validate_report

    root, report = runs[case]
    validate_report(report)
    row = _app(report, platform)
    assert not row.get("error") and row["path"], row
    assert (row["runtime"], row["execution_provider"], row["desktop_provider"]) == (
        "onnxruntime",
        provider,
        "cpu",
    )
    on_disk = json.loads((root / "report.json").read_text("utf-8"))
    assert _app(on_disk, platform) == row
    html = " ".join((root / "report.html").read_text("utf-8").split())
    label = {"nnapi": "NNAPI", "coreml": "Core ML EP", "xnnpack": "XNNPACK", "cpu": "CPU"}[provider]
    fallback = "" if provider == "cpu" else ", CPU fallback"
    assert (
        f"{platform} (onnxruntime, execution provider {label}{fallback}; desktop measured on CPU)"
        in html
    )
    expected = _expected(root / row["path"], platform)
    if case == "segmentation":  # a pixel agreement floor, lower off CPU
        assert expected["agreement"]["min"] == 0.95, expected["agreement"]
        assert "fp32 on coreml" in expected["agreement"]["reason"]
        return
    tolerance = expected["tolerance"]
    if provider == "cpu":
        assert tolerance["kind"] == "absolute", tolerance
    else:  # NNAPI / the Core ML EP may run float16: the variant's relative bound
        assert tolerance["kind"] == "top1+relative" and tolerance["rel"] > 0, tolerance
        assert f"the app adds the {label} execution provider" in tolerance["reason"]


def _expected(project: Path, platform: str) -> dict:
    pattern = (
        "app/src/main/assets/expected.json"
        if platform == "android"
        else "*/Resources/expected.json"
    )
    (path,) = project.glob(pattern)
    return json.loads(path.read_text("utf-8"))


@pytest.mark.slow
def test_ios_ort_tensor_app_refuses_a_bool_input(runs):
    _root, report = runs["mask"]
    row = _app(report, "ios")
    assert row["path"] is None
    assert "no bool or double tensors" in row["error"] and "executorch" in row["error"]


@pytest.mark.slow
def test_ios_ort_tensor_app_feeds_the_int64_tokens(runs):
    root, report = runs["tokens"]
    project = root / _app(report, "ios")["path"]
    (inputs,) = project.glob("*/Resources/sample_inputs.json")
    (tensor,) = json.loads(inputs.read_text("utf-8"))["inputs"]
    assert (tensor["name"], tensor["dtype"], tensor["shape"]) == ("tokens", "int64", [1, 6])
    (classifier,) = project.glob("*/Classifier.swift")
    assert "elementType: .int64" in classifier.read_text("utf-8")


# --- Android: aapt + kotlinc against the stubs, the fallback on the JVM -----------------------
ANDROID_EPS = ["cpu", "nnapi", "xnnpack"]
JVM_HARNESS = """\
package harness.ep

import {package}.ExecutionProvider
import java.io.File

class Session(val provider: String?)

fun main(args: Array<String>) {{
    val logged = ArrayList<String>()
    val log = {{ message: String, e: Throwable -> logged.add(message + ": " + e.message); Unit }}
    val ok = ExecutionProvider.openWithFallback("nnapi", log) {{ p -> Session(p) }}
    val refused = ExecutionProvider.openWithFallback("nnapi", log) {{ p ->
        if (p != null) throw IllegalStateException("no NNAPI driver") else Session(p)
    }}
    val cpu = ExecutionProvider.openWithFallback("cpu", log) {{ p -> Session(p) }}
    ExecutionProvider.running = refused.second
    File(args[0]).writeText(
        listOf(
            ok.first.provider + "|" + ok.second,
            refused.first.provider + "|" + refused.second,
            cpu.first.provider + "|" + cpu.second,
            logged.joinToString(";"),
            ExecutionProvider.latencyText(1.5, 20),
            ExecutionProvider.CHOSEN,
        ).joinToString("\\n"),
        Charsets.UTF_8,
    )
}}
"""


@pytest.fixture(scope="module")
def android_projects(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ort-android")
    bundle = ts.make_bundle(root / "data", "onnx", ts.HOSTILE_APP_NAME, ts.HOSTILE_LABELS)
    return {
        ep: render_project(
            "android", "onnxruntime", bundle, root / ep, options={"execution_provider": ep}
        )
        for ep in ANDROID_EPS
    }


@pytest.fixture(scope="module")
def android_compiled(android_projects, tmp_path_factory):
    """aapt for each project, then one kotlinc run over the three (each in its own package)
    and the JVM harness, against the stubs."""
    from tests.e2e.test_templates_android import (
        KOTLINC,
        STUBS,
        _aapt,
        _package,
        with_package_suffix,
    )

    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    ts.require_tool("java", "java (Debian package default-jre-headless)")
    work = tmp_path_factory.mktemp("ort-android-build")
    sources, aapt = [], {}
    for ep, project in android_projects.items():
        copy = with_package_suffix(project, work / f"src-{ep}", ep)
        (copy / "app" / "src" / "main" / "AndroidManifest.xml").unlink()
        proc, gen, _apk = _aapt(project, work / ep)
        aapt[ep] = proc
        assert proc.returncode == 0, f"aapt failed for {ep}:\n{proc.stderr}"
        pkg = _package(project)
        for r in gen.rglob("R.java"):  # R of the suffixed package
            text = r.read_text("utf-8").replace(f"package {pkg};", f"package {pkg}.{ep};", 1)
            r.write_text(text, "utf-8")
        sources += sorted(copy.rglob("*.kt")) + sorted(gen.rglob("R.java"))
    harness = work / "EpHarness.kt"
    pkg = _package(android_projects["nnapi"])
    harness.write_text(JVM_HARNESS.format(package=f"{pkg}.nnapi"), "utf-8")
    stubs = sorted(STUBS.rglob("*.java")) + sorted(STUBS.rglob("*.kt"))
    env = {**os.environ, "JAVA_OPTS": "-XX:TieredStopAtLevel=1 -XX:+UseParallelGC"}
    classes = work / "classes"
    proc = ts.run(
        [KOTLINC, "-d", classes, "-jvm-target", "11", "-no-reflect", *sources, harness, *stubs],
        timeout=600,
        env=env,
    )
    return {"kotlinc": proc, "classes": classes, "aapt": aapt}


@pytest.mark.slow
def test_android_ort_projects_compile_for_every_provider(android_projects, android_compiled):
    proc = android_compiled["kotlinc"]
    assert proc.returncode == 0, f"kotlinc failed:\n{proc.stderr}"
    for ep, project in android_projects.items():
        (provider_kt,) = project.rglob("ExecutionProvider.kt")
        assert f'const val CHOSEN: String = "{ep}"' in provider_kt.read_text("utf-8")
        (classifier,) = project.rglob("Classifier.kt")
        code = classifier.read_text("utf-8")
        assert '"nnapi" -> options.addNnapi()' in code
        assert '"xnnpack" -> options.addXnnpack(emptyMap())' in code
        assert "ExecutionProvider.running = running" in code
        readme = " ".join((project / "README.md").read_text("utf-8").split())
        assert f'onnxruntime_providers = {{ android = "{ep}" }}' in readme
        if ep != "cpu":
            assert "only seen on a device" in readme


@pytest.mark.slow
def test_android_provider_fallback_runs_on_the_jvm(android_compiled, tmp_path):
    from tests.e2e.test_templates_android import KOTLIN_STDLIB

    assert android_compiled["kotlinc"].returncode == 0, "kotlinc failed (see the compile test)"
    out = tmp_path / "out.txt"
    cp = os.pathsep.join([str(android_compiled["classes"]), str(KOTLIN_STDLIB)])
    proc = ts.run(["java", "-cp", cp, "harness.ep.EpHarnessKt", out], timeout=120)
    assert proc.returncode == 0, proc.stderr
    ok, refused, cpu, logged, latency, chosen = out.read_text("utf-8").split("\n")
    assert ok == "nnapi|NNAPI"
    assert refused == "null|CPU (NNAPI unavailable: no NNAPI driver)"
    assert cpu == "null|CPU"
    assert logged == "NNAPI unavailable, running on CPU: no NNAPI driver"
    assert latency == "1.50 ms (median of 20 runs) · CPU (NNAPI unavailable: no NNAPI driver)"
    assert chosen == "nnapi"


# Kotlin wrong against ONNX Runtime 1.30.0's provider API: each must fail against the stubs.
ORT_EP_SNIPPETS = {
    "xnnpack_needs_its_options": (
        "import ai.onnxruntime.OrtSession\nfun f(o: OrtSession.SessionOptions) = o.addXnnpack()\n",
        "No value passed for parameter",
    ),
    "nnapi_flags_are_an_enumset": (
        "import ai.onnxruntime.OrtSession\nimport ai.onnxruntime.providers.NNAPIFlags\n"
        "fun f(o: OrtSession.SessionOptions) = o.addNnapi(setOf(NNAPIFlags.USE_FP16))\n",
        "mismatch",
    ),
    "nnapi_flags_live_in_providers": (
        "import ai.onnxruntime.NNAPIFlags\nfun f(): Any = NNAPIFlags.USE_FP16\n",
        "Unresolved reference",
    ),
}
ORT_EP_OK = """\
import ai.onnxruntime.OrtSession
import ai.onnxruntime.providers.NNAPIFlags
import java.util.EnumSet

fun ok(o: OrtSession.SessionOptions) {
    o.addNnapi()
    o.addNnapi(EnumSet.of(NNAPIFlags.USE_FP16))
    o.addXnnpack(mapOf("intra_op_num_threads" to "1"))
}
"""


@pytest.mark.slow
def test_android_ort_provider_stubs_reject_wrong_code(tmp_path):
    from tests.e2e.test_templates_android import KOTLINC, assert_stubs_reject

    ts.require_tool(KOTLINC, "kotlinc (npm package kotlin-compiler)")
    assert_stubs_reject(ORT_EP_SNIPPETS, ORT_EP_OK, tmp_path)


# --- iOS: pbxproj, Swift type-check in the chroot, the fallback run there ---------------------
IOS_EPS = ["cpu", "coreml"]


@pytest.fixture(scope="module")
def ios_projects(tmp_path_factory, runs) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ort-ios")
    bundle = ts.make_bundle(root / "data", "onnx", ts.HOSTILE_APP_NAME, ts.HOSTILE_LABELS)
    out = {
        f"digits-{ep}": render_project(
            "ios", "onnxruntime", bundle, root / ep, options={"execution_provider": ep}
        )
        for ep in IOS_EPS
    }
    framework = ts.make_bundle(root / "data", "onnx", "OnnxRuntimeBindings", ts.DIGIT_LABELS)
    out["module-named-like-the-runtime"] = render_project(
        "ios", "onnxruntime", framework, root / "fw", options={"execution_provider": "coreml"}
    )
    tokens_root, tokens = runs["tokens"]
    out["tokens-cpu"] = tokens_root / _app(tokens, "ios")["path"]
    for case in ("segmentation", "audio"):
        case_root, report = runs[case]
        out[f"{case}-coreml"] = case_root / _app(report, "ios")["path"]
    digits_root, digits = runs["digits"]
    out["digits-run-coreml"] = digits_root / _app(digits, "ios")["path"]
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "digits-cpu",
        "digits-coreml",
        "module-named-like-the-runtime",
        "tokens-cpu",
        "segmentation-coreml",
        "audio-coreml",
    ],
)
def test_ios_ort_pbxproj_links_the_onnxruntime_package(ios_projects, name):
    from tests.e2e.test_templates_ios import resolved_pbx_files

    project = ios_projects[name]
    objects, files = resolved_pbx_files(project)
    (package,) = [o for o in objects.values() if o["isa"] == "XCRemoteSwiftPackageReference"]
    assert (
        package["repositoryURL"] == "https://github.com/microsoft/onnxruntime-swift-package-manager"
    )
    assert dict(package["requirement"]) == {"kind": "exactVersion", "version": "1.24.2"}
    products = [o for o in objects.values() if o["isa"] == "XCSwiftPackageProductDependency"]
    assert [p["productName"] for p in products] == ["onnxruntime"]
    pbx = next(project.glob("*.xcodeproj")).joinpath("project.pbxproj").read_text("utf-8")
    assert "-all_load" not in pbx  # ExecuTorch's kernel registration only
    names = {p.name for p in files.values()}
    assert {"model.onnx", "ExecutionProvider.swift", "Classifier.swift"} <= names
    (module,) = [p for p in project.iterdir() if p.is_dir() and not p.suffix]
    assert module.name not in {"OnnxRuntimeBindings", "onnxruntime", "CoreML", "Foundation"}
    readme = " ".join((project / "README.md").read_text("utf-8").split())
    assert "exact version `1.24.2`" in readme and "ExecutionProvider.swift" in readme
    assert "ONNX Runtime did not run this model on iOS" in readme


@pytest.fixture(scope="module")
def swift_ort(tmp_path_factory):
    from tests.e2e.test_swift_typecheck import STUBS, Swift, swift_root

    wrapper = swift_root() / "bin" / "swiftc"
    if not (wrapper.is_file() and (swift_root() / ".ready").is_file()):
        if os.environ.get("DEPLOY_STUDIO_NO_SWIFT") == "1":
            pytest.skip("DEPLOY_STUDIO_NO_SWIFT=1: no Swift type-check")
        pytest.fail(
            f"no Swift toolchain at {wrapper}: build it with `bash scripts/swift_toolchain.sh`"
            " (or set DEPLOY_STUDIO_NO_SWIFT=1 to skip)",
            pytrace=False,
        )
    work = tmp_path_factory.mktemp("swift-ort")
    sw = Swift(wrapper, work)
    sw.modules.mkdir()
    for name in ["CoreGraphics", "OnnxRuntimeBindings"]:
        src = work / "stubs" / f"{name}.swift"
        src.parent.mkdir(exist_ok=True)
        shutil.copy(STUBS / name / f"{name}.swift", src)
        proc = sw.run(
            "-emit-module", "-parse-as-library", "-module-name", name,
            "-emit-module-path", sw.modules / f"{name}.swiftmodule", src,
        )  # fmt: skip
        assert proc.returncode == 0, f"stub {name} does not compile:\n{proc.stderr}"
    return sw


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "digits-cpu",
        "digits-coreml",
        "module-named-like-the-runtime",
        "tokens-cpu",
        "digits-run-coreml",
        "segmentation-coreml",
        "audio-coreml",
    ],
)
def test_ios_ort_non_ui_swift_typechecks(swift_ort, ios_projects, name):
    from tests.e2e.test_swift_typecheck import IMPORT, _split

    src = ios_projects[name]
    project = swift_ort.work / "projects" / name
    shutil.copytree(src, project)
    (xcodeproj,) = project.glob("*.xcodeproj")
    plain, ui = _split(project / xcodeproj.stem)
    # the audio app's recorder needs AVFoundation (no stub): parse-only, as in its own test
    plain = [p for p in plain if "AVFoundation" not in IMPORT.findall(p.read_text("utf-8"))]
    assert "ExecutionProvider.swift" in {p.name for p in plain}
    if name.startswith("audio"):
        assert {"AudioFeatures.swift", "AudioSpec.swift", "AudioRun.swift"} <= {
            p.name for p in plain
        }
    assert {p.name for p in ui} >= {"ContentView.swift", "ClassifierModel.swift"}
    proc = swift_ort.typecheck(plain, xcodeproj.stem)
    assert proc.returncode == 0, f"{name}: swiftc -typecheck failed:\n{proc.stderr}"
    provider = (project / xcodeproj.stem / "ExecutionProvider.swift").read_text("utf-8")
    want = "coreml" if name.endswith("coreml") or name.startswith("module") else "cpu"
    assert f'static let chosen: String = "{want}"' in provider
    view = (project / xcodeproj.stem / "ContentView.swift").read_text("utf-8")
    assert "model.provider" in view and "await model.showProvider()" in view


SWIFT_MAIN = """\
import Foundation

struct Refused: LocalizedError {
    var errorDescription: String? { "no Neural Engine" }
}

let ok = try ExecutionProvider.openWithFallback("coreml") { p in p ?? "cpu-session" }
let refused = try ExecutionProvider.openWithFallback("coreml") { p -> String in
    if p != nil { throw Refused() }
    return "cpu-session"
}
let cpu = try ExecutionProvider.openWithFallback("cpu") { p in p ?? "cpu-session" }
print("RESULT \\(ok.session)|\\(ok.running)")
print("RESULT \\(refused.session)|\\(refused.running)")
print("RESULT \\(cpu.session)|\\(cpu.running)")
"""


@pytest.mark.slow
def test_ios_provider_fallback_runs_on_linux(swift_ort, ios_projects):
    project = ios_projects["digits-coreml"]
    work = swift_ort.work / "fallback"
    work.mkdir()
    (source,) = project.glob("*/ExecutionProvider.swift")
    shutil.copy(source, work / "ExecutionProvider.swift")
    (work / "main.swift").write_text(SWIFT_MAIN, "utf-8")
    proc = swift_ort.run(
        "-o", work / "fallback", work / "ExecutionProvider.swift", work / "main.swift"
    )
    assert proc.returncode == 0, proc.stderr
    run = swift_ort.execute(work, "./fallback")
    assert run.returncode == 0, run.stderr
    results = [line[7:] for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert results == [
        "coreml|Core ML EP",
        "cpu-session|CPU (Core ML EP unavailable: no Neural Engine)",
        "cpu-session|CPU",
    ]
    assert "Core ML EP unavailable, running on CPU: no Neural Engine" in run.stdout


# (parameters, correct body, body wrong against ORT's Objective-C API as Swift imports it, error)
SWIFT_NEGATIVE = {
    "options-init-throws": (
        "",
        "let o = try ORTSessionOptions()\ntry o.setIntraOpNumThreads(1)",
        "let o = ORTSessionOptions()\ntry o.setIntraOpNumThreads(1)",
        "not marked with 'try'",
    ),
    "session-options-label": (
        "env: ORTEnv, o: ORTSessionOptions",
        '_ = try ORTSession(env: env, modelPath: "m.onnx", sessionOptions: o)',
        '_ = try ORTSession(env: env, modelPath: "m.onnx", options: o)',
        "argument label",
    ),
    "coreml-ep-label": (
        "o: ORTSessionOptions",
        "try o.appendCoreMLExecutionProvider(with: ORTCoreMLExecutionProviderOptions())",
        "try o.appendCoreMLExecutionProvider(ORTCoreMLExecutionProviderOptions())",
        "argument label",
    ),
    "run-output-names-are-a-set": (
        "s: ORTSession, v: ORTValue",
        '_ = try s.run(withInputs: ["x": v], outputNames: Set(["y"]), runOptions: nil)',
        'let names: [String] = ["y"]\n_ = try s.run(withInputs: ["x": v], outputNames: names, runOptions: nil)',
        "cannot convert",
    ),
    "tensor-data-throws": (
        "v: ORTValue",
        "_ = Data(referencing: try v.tensorData())",
        "_ = Data(referencing: v.tensorData())",
        "not marked with 'try'",
    ),
    "no-bool-element-type": (
        "d: NSMutableData",
        "_ = try ORTValue(tensorData: d, elementType: .int64, shape: [1])",
        "_ = try ORTValue(tensorData: d, elementType: .bool, shape: [1])",
        "bool",
    ),
    "env-init-throws": (
        "",
        "_ = try ORTEnv(loggingLevel: .warning)",
        "_ = ORTEnv()",
        "unavailable",
    ),
}


def _swift_snippet(sw, name: str, params: str, body: str) -> Path:
    path = sw.work / "snippets" / f"{name}.swift"
    path.parent.mkdir(exist_ok=True)
    fn = re.sub(r"\W", "_", name)
    indented = "\n".join("    " + line for line in body.splitlines())
    path.write_text(
        f"import Foundation\nimport OnnxRuntimeBindings\n\n"
        f"func {fn}({params}) throws {{\n{indented}\n}}\n"
    )
    return path


@pytest.mark.slow
def test_ort_swift_stubs_accept_the_corrected_snippets(swift_ort):
    files = [
        _swift_snippet(swift_ort, f"good_{name}", params, good)
        for name, (params, good, _bad, _msg) in SWIFT_NEGATIVE.items()
    ]
    proc = swift_ort.typecheck(files, "Snippets")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SWIFT_NEGATIVE))
def test_ort_swift_stubs_reject_code_wrong_against_the_published_api(swift_ort, name):
    params, _good, bad, message = SWIFT_NEGATIVE[name]
    proc = swift_ort.typecheck([_swift_snippet(swift_ort, f"bad_{name}", params, bad)], "Snippets")
    assert proc.returncode != 0, f"{name} type-checked, but the published API rejects it"
    assert "error:" in proc.stderr and message in proc.stderr, proc.stderr
