"""The generated iOS apps' non-UI Swift type-checks against the published APIs, on Linux.

A Swift 6.0.3 compiler (Debian 13's ``swiftlang``, in a chroot that ``scripts/swift_toolchain.sh``
builds once) type-checks every generated ``.swift`` file that imports no UI framework
(``AppInfo``, ``SelfTest``, ``Classifier``, ``Preprocess``, ``TaskSpec``, ``Segmentation``,
``Detection``, ``SampleInputs``) for the ExecuTorch and Core ML
runtimes and the hostile names of ``test_templates_ios.py``, against stubs of ExecuTorch 1.5.0's
Swift API, Core ML and Core Graphics (``tests/e2e/stubs/swift/``; Foundation is the
toolchain's swift-corelibs-foundation). Files importing SwiftUI or UIKit stay parse-only (no
stubs for them). Snippets that are wrong against the published API (a missing ``try``, a wrong
label, an unwrapped optional...) must fail, each next to its corrected twin that must pass, so
the stubs are not laxer than the real libraries where the templates call them.

Without the toolchain the test fails with the command that builds it; set
``DEPLOY_STUDIO_NO_SWIFT=1`` to skip it instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from deploy_studio.core.templates import render_project
from tests.e2e import templates_support as ts
from tests.e2e.test_templates_ios import PROJECTS

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STUBS = Path(__file__).parent / "stubs" / "swift"
STUB_MODULES = ["ExecuTorch", "CoreML", "CoreGraphics"]
UI_MODULES = {"SwiftUI", "UIKit"}
TYPECHECKED = {
    "AppInfo.swift",
    "SelfTest.swift",
    "Classifier.swift",
    "Preprocess.swift",
    "TaskSpec.swift",
    "Segmentation.swift",
    "Detection.swift",
    "SampleInputs.swift",
}
PARSE_ONLY = {"App.swift", "ContentView.swift", "ClassifierModel.swift", "CameraPicker.swift"}
IMPORT = re.compile(r"^import\s+(\w+)", re.M)


def swift_root() -> Path:
    if os.environ.get("DEPLOY_STUDIO_SWIFT_ROOT"):
        return Path(os.environ["DEPLOY_STUDIO_SWIFT_ROOT"])
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "deploy-studio" / "swift-trixie"


class Swift:
    """The chroot's swiftc, run in ``work`` (which the wrapper bind-mounts into the chroot)."""

    def __init__(self, wrapper: Path, work: Path):
        self.wrapper = wrapper
        self.work = work
        self.modules = work / "modules"

    def run(self, *args: str | Path) -> subprocess.CompletedProcess:
        rel = [str(a.relative_to(self.work)) if isinstance(a, Path) else a for a in args]
        proc = subprocess.run(
            [str(self.wrapper), *rel], cwd=self.work, capture_output=True, text=True, timeout=300
        )
        # Printed by the Linux driver on every call; not about the code.
        proc.stderr = "\n".join(
            line for line in proc.stderr.splitlines() if "libc not found for" not in line
        )
        return proc

    def execute(self, directory: Path, *argv: str) -> subprocess.CompletedProcess:
        """Run ``argv`` (e.g. a program swiftc built) in the chroot, in ``directory`` (bind-
        mounted at the same path: its files keep their paths), with /proc mounted."""
        rootfs = self.wrapper.parent.parent / "rootfs"
        script = (
            'set -e; rfs="$1"; here="$2"; shift 2; mkdir -p "$rfs$here" "$rfs/proc"; '
            'mount --bind "$here" "$rfs$here"; mount -t proc proc "$rfs/proc"; '
            'exec chroot "$rfs" /bin/sh -c \'cd "$0" && exec "$@"\' "$here" "$@"'
        )
        return subprocess.run(
            ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh",
             str(rootfs), str(directory), *argv],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    def typecheck(self, files: list[Path], module: str) -> subprocess.CompletedProcess:
        return self.run(
            "-typecheck", "-parse-as-library", "-swift-version", "5", "-module-name", module,
            "-I", self.modules, *files,
        )  # fmt: skip


@pytest.fixture(scope="module")
def swift(tmp_path_factory) -> Swift:
    wrapper = swift_root() / "bin" / "swiftc"
    if not (wrapper.is_file() and (swift_root() / ".ready").is_file()):
        if os.environ.get("DEPLOY_STUDIO_NO_SWIFT") == "1":
            pytest.skip("DEPLOY_STUDIO_NO_SWIFT=1: no Swift type-check")
        pytest.fail(
            f"no Swift toolchain at {wrapper}: build it (as root, ~2 min, ~2.5 GB) with "
            "`bash scripts/swift_toolchain.sh` (or `make swift-toolchain`), or set "
            "DEPLOY_STUDIO_NO_SWIFT=1 to skip the Swift type-check",
            pytrace=False,
        )
    work = tmp_path_factory.mktemp("swift")
    sw = Swift(wrapper, work)
    sw.modules.mkdir()
    for name in STUB_MODULES:
        src = work / "stubs" / f"{name}.swift"
        src.parent.mkdir(exist_ok=True)
        shutil.copy(STUBS / name / f"{name}.swift", src)
        proc = sw.run(
            "-emit-module", "-parse-as-library", "-module-name", name,
            "-emit-module-path", sw.modules / f"{name}.swiftmodule", src,
        )  # fmt: skip
        assert proc.returncode == 0, f"stub {name} does not compile:\n{proc.stderr}"
    return sw


@pytest.fixture(scope="module")
def projects(swift):
    out = {}
    for name, (runtime, fmt, app_name, labels, kind) in PROJECTS.items():
        own = {"mean": [0.5], "std": [0.5], "resize_size": 40} if kind == "rgb-nhwc" else None
        data = swift.work / "data"
        bundle = ts.make_bundle(data, fmt, app_name, labels, kind=kind, preprocess=own)
        out[name] = render_project("ios", runtime, bundle, swift.work / "projects" / name)
    return out


def _split(app: Path) -> tuple[list[Path], list[Path]]:
    """(files importing no UI framework, files importing SwiftUI or UIKit)."""
    plain, ui = [], []
    for path in sorted(app.glob("*.swift")):
        imports = set(IMPORT.findall(path.read_text("utf-8")))
        (ui if imports & UI_MODULES else plain).append(path)
    return plain, ui


@pytest.mark.parametrize("name", list(PROJECTS))
def test_ios_non_ui_swift_typechecks(swift, projects, name):
    project = projects[name]
    (xcodeproj,) = project.glob("*.xcodeproj")
    module = xcodeproj.stem  # PRODUCT_MODULE_NAME: the target's name
    pbx = (xcodeproj / "project.pbxproj").read_text("utf-8")
    assert set(re.findall(r"SWIFT_VERSION = \"?([\d.]+)", pbx)) == {"5.0"}, "-swift-version 5"
    plain, ui = _split(project / module)
    assert {p.name for p in plain} == TYPECHECKED
    assert {p.name for p in ui} == PARSE_ONLY
    proc = swift.typecheck(plain, module)
    assert proc.returncode == 0, f"{name}: swiftc -typecheck failed:\n{proc.stderr}"
    # The README says which files are type-checked and which are only parsed.
    said = " ".join((project / "README.md").read_text("utf-8").split())
    checked = re.search(r"type-checks the files that import no UI framework \(([^)]*)\)", said)
    parsed = re.search(r"the UI files \(([^)]*)\) need SwiftUI and UIKit", said)
    assert checked and set(re.findall(r"`([^`]+)`", checked.group(1))) == TYPECHECKED
    assert parsed and set(re.findall(r"`([^`]+)`", parsed.group(1))) == PARSE_ONLY
    assert "were only parsed" in said


# (imports, parameters, correct body, body wrong against the published API, error fragment)
NEGATIVE = {
    "missing-try-forward": (
        "ExecuTorch",
        "module: Module, tensor: Tensor<Float>",
        "let out = try Tensor<Float>(module.forward(tensor))\n_ = out.scalars()",
        "let out = Tensor<Float>(module.forward(tensor))\n_ = out.scalars()",
        "not marked with 'try'",
    ),
    "module-label": (
        "ExecuTorch",
        "path: String",
        'let m = Module(filePath: path)\ntry m.load("forward")',
        'let m = Module(path: path)\ntry m.load("forward")',
        "argument label",
    ),
    "load-method-label": (
        "ExecuTorch",
        "module: Module",
        'try module.load("forward")',
        'try module.load(method: "forward")',
        "argument label",
    ),
    "tensor-shape-label": (
        "ExecuTorch",
        "input: [Float]",
        "_ = Tensor<Float>(input, shape: [1, 4])",
        "_ = Tensor<Float>(input, dims: [1, 4])",
        "dims",
    ),
    "tensor-no-copy-needs-var": (
        "ExecuTorch",
        "input: [Float]",
        "var buffer = input\n_ = Tensor<Float>(&buffer, shape: [1, 4])",
        "_ = Tensor<Float>(&input, shape: [1, 4])",
        "immutable value",
    ),
    "forward-returns-values": (
        "ExecuTorch",
        "module: Module, tensor: Tensor<Float>",
        "_ = try Tensor<Float>(module.forward(tensor)).scalars()",
        "_ = try module.forward(tensor).scalars()",
        "scalars",
    ),
    "missing-try-multiarray": (
        "CoreML",
        "shape: [NSNumber]",
        "let a = try MLMultiArray(shape: shape, dataType: .float32)\na[0] = NSNumber(value: 1)",
        "let a = MLMultiArray(shape: shape, dataType: .float32)\na[0] = NSNumber(value: 1)",
        "not marked with 'try'",
    ),
    "feature-value-label": (
        "CoreML",
        "array: MLMultiArray",
        '_ = try MLDictionaryFeatureProvider(dictionary: ["x": MLFeatureValue(multiArray: array)])',
        '_ = try MLDictionaryFeatureProvider(dictionary: ["x": MLFeatureValue(array)])',
        "argument label",
    ),
    "feature-value-optional": (
        "CoreML",
        "model: MLModel, input: MLFeatureProvider",
        'let r = try model.prediction(from: input)\n_ = r.featureValue(for: "y")?.multiArrayValue',
        'let r = try model.prediction(from: input)\n_ = r.featureValue(for: "y").multiArrayValue',
        "optional",
    ),
    "bitmap-info-raw-value": (
        "CoreGraphics",
        "space: CGColorSpace",
        "_ = CGContext(data: nil, width: 1, height: 1, bitsPerComponent: 8, bytesPerRow: 4,"
        " space: space, bitmapInfo: CGImageAlphaInfo.noneSkipLast.rawValue)",
        "_ = CGContext(data: nil, width: 1, height: 1, bitsPerComponent: 8, bytesPerRow: 4,"
        " space: space, bitmapInfo: CGImageAlphaInfo.noneSkipLast)",
        "cannot convert",
    ),
}


def _snippet(swift: Swift, name: str, imports: str, params: str, body: str) -> Path:
    path = swift.work / "snippets" / f"{name}.swift"
    path.parent.mkdir(exist_ok=True)
    fn = re.sub(r"\W", "_", name)
    indented = "\n".join("    " + line for line in body.splitlines())
    path.write_text(f"import {imports}\n\nfunc {fn}({params}) throws {{\n{indented}\n}}\n")
    return path


def test_swift_stubs_accept_the_corrected_snippets(swift):
    files = [
        _snippet(swift, f"good_{name}", imports, params, good)
        for name, (imports, params, good, _bad, _msg) in NEGATIVE.items()
    ]
    proc = swift.typecheck(files, "Snippets")
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("name", list(NEGATIVE))
def test_swift_typecheck_rejects_code_wrong_against_the_published_api(swift, name):
    imports, params, _good, bad, message = NEGATIVE[name]
    proc = swift.typecheck([_snippet(swift, f"bad_{name}", imports, params, bad)], "Snippets")
    assert proc.returncode != 0, f"{name} type-checked, but the published API rejects it"
    assert "error:" in proc.stderr and message in proc.stderr, proc.stderr


def test_swift_toolchain_script_is_idempotent(swift):
    """A second run finds the chroot and only prints the wrapper's path."""
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "swift_toolchain.sh")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(swift.wrapper)
    assert "already built" in proc.stderr
