"""The generated iOS projects are structurally sound, as far as Linux can tell.

For ExecuTorch and Core ML, and for hostile app names and labels: ``project.pbxproj`` parses
with ``openstep-parser`` and ``pbxproj``, every object id it references exists, every file it
references exists on disk, the display name reads back exactly; the shared scheme points at
the target; tree-sitter-swift parses every ``.swift`` file (the non-UI ones are type-checked by
``test_swift_typecheck.py``).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from deploy_studio.core.templates import render_project
from deploy_studio.core.templates.escaping import _SWIFT_RESERVED_MODULES
from deploy_studio.core.templates.manifest import load_manifest
from tests.core.test_template_escaping import xcode_expand
from tests.e2e import templates_support as ts

# Display names Xcode's build-setting expansion would eat: %%, ${...}, $(...), $NAME, $$.
DOLLAR_APP_NAME = 'Zähler "App" \\ ${x} $(y) $HOME $$ %% 100% ✓\nzwei'

# name -> (runtime, artifact format, app name, labels, test model kind)
PROJECTS = {
    "executorch": ("executorch", "pte", "Digit Reader", ts.DIGIT_LABELS, "digits"),
    "coreml": ("coreml", "coreml", "Digit Reader", ts.DIGIT_LABELS, "digits"),
    "hostile": ("executorch", "pte", ts.HOSTILE_APP_NAME, ts.HOSTILE_LABELS, "digits"),
    "rgb": ("executorch", "pte", "Colour Reader", ts.HOSTILE_LABELS[:5], "rgb"),
    "rgb-nhwc": ("executorch", "pte", "Colour Reader", ts.HOSTILE_LABELS[:5], "rgb-nhwc"),
    "dollars": ("executorch", "pte", DOLLAR_APP_NAME, ts.DIGIT_LABELS, "digits"),
    "framework-name": ("executorch", "pte", "ExecuTorch", ts.DIGIT_LABELS, "digits"),
}
OBJECT_ID = re.compile(r"^[0-9A-F]{24}$")


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    root = tmp_path_factory.mktemp("ios")
    out = {}
    for name, (runtime, fmt, app_name, labels, kind) in PROJECTS.items():
        own = {"mean": [0.5], "std": [0.5], "resize_size": 40} if kind == "rgb-nhwc" else None
        bundle = ts.make_bundle(root / "data", fmt, app_name, labels, kind=kind, preprocess=own)
        out[name] = (render_project("ios", runtime, bundle, root / name), bundle)
    return out


@pytest.fixture(scope="module")
def swift_parser():
    try:
        import tree_sitter_swift
        from tree_sitter import Language, Parser
    except ImportError:
        pytest.fail(f"tree-sitter-swift is not installed: {ts.INSTALL_HINT}", pytrace=False)
    parser = Parser(Language(tree_sitter_swift.language()))
    assert parser.parse(b'let name = "a"b"\n').root_node.has_error, "must flag broken Swift"
    return parser


def _parse_pbxproj(project: Path) -> tuple[Path, dict]:
    try:
        from openstep_parser import OpenStepDecoder
    except ImportError:
        pytest.fail(f"openstep-parser is not installed: {ts.INSTALL_HINT}", pytrace=False)
    (xcodeproj,) = project.glob("*.xcodeproj")
    path = xcodeproj / "project.pbxproj"
    with path.open(encoding="utf-8") as f:
        return path, OpenStepDecoder.ParseFromFile(f)


def _ids_in(value) -> list[str]:
    """Every string in a parsed plist value that looks like an object id."""
    if isinstance(value, dict):
        return [i for v in value.values() for i in _ids_in(v)]
    if isinstance(value, list):
        return [i for v in value for i in _ids_in(v)]
    return [value] if isinstance(value, str) and OBJECT_ID.match(value) else []


def _file_paths(objects: dict, root_group: str) -> dict[str, Path]:
    """file reference id -> path relative to the project folder, by walking the groups."""
    paths = {}

    def walk(group_id: str, base: Path):
        group = objects[group_id]
        here = base / group["path"] if "path" in group else base
        for child in group.get("children", []):
            obj = objects[child]
            if obj["isa"] == "PBXGroup":
                walk(child, here)
            elif obj["isa"] == "PBXFileReference" and obj.get("sourceTree") == "<group>":
                paths[child] = here / obj["path"]

    walk(root_group, Path("."))
    return paths


def resolved_pbx_files(project: Path) -> tuple[dict, dict]:
    """Parse ``project``'s project.pbxproj, assert every object reference resolves, every
    referenced file exists and every Swift file on disk is referenced; returns ``(objects,
    {file reference id: path relative to the project})``."""
    _path, tree = _parse_pbxproj(project)
    objects = tree["objects"]
    for oid, obj in objects.items():
        for ref in _ids_in({k: v for k, v in obj.items() if k != "isa"}):
            assert ref in objects, f"{obj['isa']} {oid} references missing object {ref}"
    files = _file_paths(objects, objects[tree["rootObject"]]["mainGroup"])
    for rel in files.values():
        assert (project / rel).exists(), f"{rel} is referenced but missing"
    on_disk = {p.relative_to(project) for p in project.rglob("*.swift")}
    assert on_disk == {rel for rel in files.values() if rel.suffix == ".swift"}
    return objects, files


@pytest.mark.parametrize("name", list(PROJECTS))
def test_ios_pbxproj_references_resolve(projects, name):
    project, bundle = projects[name]
    runtime = PROJECTS[name][0]
    _path, tree = _parse_pbxproj(project)
    objects = tree["objects"]
    assert tree["rootObject"] in objects
    for oid, obj in objects.items():
        assert OBJECT_ID.match(oid), oid
        for ref in _ids_in({k: v for k, v in obj.items() if k != "isa"}):
            assert ref in objects, f"{obj['isa']} {oid} references missing object {ref}"
    project_obj = objects[tree["rootObject"]]
    files = _file_paths(objects, project_obj["mainGroup"])
    refs = [
        oid
        for oid, o in objects.items()
        if o["isa"] == "PBXFileReference" and o.get("sourceTree") == "<group>"
    ]
    assert sorted(refs) == sorted(files), "every file reference sits in a group"
    for rel in files.values():
        assert (project / rel).exists(), f"{rel} is referenced but missing"
    # Every Swift file on disk is compiled; every resource is bundled.
    on_disk = {p.relative_to(project) for p in project.rglob("*.swift")}
    assert on_disk == {rel for rel in files.values() if rel.suffix == ".swift"}
    (target_id,) = project_obj["targets"]
    target = objects[target_id]
    phases = {
        objects[p]["isa"]: [
            objects[objects[b]["fileRef"]]["path"]
            for b in objects[p]["files"]
            if "fileRef" in objects[b]
        ]
        for p in target["buildPhases"]
    }
    assert "ContentView.swift" in phases["PBXSourcesBuildPhase"]
    for data in ["labels.json", "labels.txt", "sample.png", "expected.json", "preprocess.json"]:
        assert data in phases["PBXResourcesBuildPhase"], data
    configs = [
        objects[c]["buildSettings"]
        for c in objects[target["buildConfigurationList"]]["buildConfigurations"]
    ]
    for settings in configs:
        # Names are data: the display name reads back exactly after Xcode expands the
        # setting (once as a build setting, once more in the generated Info.plist).
        shown = settings["INFOPLIST_KEY_CFBundleDisplayName"]
        assert xcode_expand(xcode_expand(shown, {"x": "X"}), {"y": "Y"}) == bundle.app_name
        assert settings["PRODUCT_MODULE_NAME"] == target["name"] == target["productName"]
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", settings["PRODUCT_MODULE_NAME"])
        assert settings["PRODUCT_MODULE_NAME"].lower() not in _SWIFT_RESERVED_MODULES
        assert settings["DEVELOPMENT_TEAM"] == ""
        assert settings["IPHONEOS_DEPLOYMENT_TARGET"] == "17.0"
        assert re.fullmatch(r"[A-Za-z0-9.-]+", settings["PRODUCT_BUNDLE_IDENTIFIER"])
    if runtime == "executorch":
        assert "model.pte" in phases["PBXResourcesBuildPhase"]
        for settings in configs:
            assert "-all_load" in settings["OTHER_LDFLAGS"]
        (package_id,) = project_obj["packageReferences"]
        package = objects[package_id]
        assert package["repositoryURL"] == "https://github.com/pytorch/executorch"
        branch = load_manifest("ios").variables["executorch_ios_branch"]
        assert package["requirement"] == {"branch": branch, "kind": "branch"}
        products = {objects[d]["productName"] for d in target["packageProductDependencies"]}
        # fp32, fully delegated to XNNPACK: no quantized kernels.
        assert products == {"executorch", "backend_xnnpack", "kernels_optimized"}
    else:
        assert "model.mlpackage" in phases["PBXSourcesBuildPhase"]
        assert (project / next(r for r in files.values() if r.suffix == ".mlpackage")).is_dir()
        assert project_obj["packageReferences"] == []
    labels_path = next(r for r in files.values() if r.name == "labels.json")
    assert json.loads((project / labels_path).read_text("utf-8")) == bundle.labels


@pytest.mark.parametrize("name", list(PROJECTS))
def test_ios_pbxproj_loads_with_pbxproj(projects, name):
    try:
        from pbxproj import XcodeProject
    except ImportError:
        pytest.fail(f"pbxproj is not installed: {ts.INSTALL_HINT}", pytrace=False)
    project, _bundle = projects[name]
    path, _tree = _parse_pbxproj(project)
    xcode = XcodeProject.load(str(path))
    (target,) = xcode.objects.get_targets()
    assert target.name == path.parent.stem
    assert xcode.get_files_by_name("ContentView.swift")


@pytest.mark.parametrize("name", list(PROJECTS))
def test_ios_scheme_points_at_the_target(projects, name):
    project, _bundle = projects[name]
    path, tree = _parse_pbxproj(project)
    app = path.parent.stem
    scheme = path.parent / "xcshareddata" / "xcschemes" / f"{app}.xcscheme"
    root = ET.parse(scheme).getroot()
    target_id = tree["objects"][tree["rootObject"]]["targets"][0]
    refs = root.findall(".//BuildableReference")
    assert refs
    for ref in refs:
        assert ref.get("BlueprintIdentifier") == target_id
        assert ref.get("BuildableName") == f"{app}.app"
        assert ref.get("ReferencedContainer") == f"container:{app}.xcodeproj"


@pytest.mark.parametrize("name", list(PROJECTS))
def test_ios_swift_files_parse(projects, swift_parser, name):
    project, bundle = projects[name]
    swift_files = sorted(project.rglob("*.swift"))
    assert len(swift_files) >= 7
    for path in swift_files:
        tree = swift_parser.parse(path.read_bytes())
        assert not tree.root_node.has_error, f"{path.relative_to(project)} does not parse"
    app_info = next(p for p in swift_files if p.name == "AppInfo.swift").read_text("utf-8")
    literal = re.search(r'static let appName: String = (".*")\n', app_info).group(1)
    assert _swift_unescape(literal) == bundle.app_name
    readme = (project / "README.md").read_text("utf-8")
    said = " ".join(readme.split())
    assert "type-checks the files that import no UI framework" in said and "only parsed" in said


def _swift_unescape(literal: str) -> str:
    """The value of a Swift string literal using the escapes core.templates emits."""
    body = literal[1:-1]
    out, i = [], 0
    simple = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", '"': '"', "\\": "\\", "'": "'"}
    while i < len(body):
        ch = body[i]
        if ch == '"':
            raise AssertionError(f"unescaped quote in {literal}")
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        nxt = body[i + 1]
        if nxt == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3 : end], 16)))
            i = end + 1
        elif nxt in simple:
            out.append(simple[nxt])
            i += 2
        else:
            raise AssertionError(f"unknown escape \\{nxt} in {literal}")
    return "".join(out)


def test_ios_generation_options_reach_the_project(tmp_path):
    bundle = ts.make_bundle(tmp_path, "pte", "Digit Reader", ts.DIGIT_LABELS)
    options = {
        "executorch_ios_branch": "swiftpm-1.5.0",
        "executorch_kernels_quantized": True,
        "development_team": "ABCDE12345",
        "benchmark_runs": 50,
    }
    project = render_project("ios", "executorch", bundle, tmp_path / "ios", options=options)
    _path, tree = _parse_pbxproj(project)
    objects = tree["objects"]
    root = objects[tree["rootObject"]]
    (package_id,) = root["packageReferences"]
    assert objects[package_id]["requirement"]["branch"] == "swiftpm-1.5.0"
    target = objects[root["targets"][0]]
    products = {objects[d]["productName"] for d in target["packageProductDependencies"]}
    assert "kernels_quantized" in products
    configs = objects[target["buildConfigurationList"]]["buildConfigurations"]
    assert {objects[c]["buildSettings"]["DEVELOPMENT_TEAM"] for c in configs} == {"ABCDE12345"}
    app_info = next(project.rglob("AppInfo.swift")).read_text("utf-8")
    assert "static let benchmarkRuns: Int = 50" in app_info


# swiftpm branches of github.com/pytorch/executorch seen in its published refs (mirror of
# 2026-08-22, `git for-each-ref refs/heads | grep swiftpm`): releases end at 1.4.1; 1.5 exists
# only as nightlies, the newest being swiftpm-1.5.0.20260822.
PUBLISHED_SWIFTPM_BRANCHES = {
    "swiftpm-1.3.1",
    "swiftpm-1.4.0",
    "swiftpm-1.4.1",
    "swiftpm-1.5.0.20260821",
    "swiftpm-1.5.0.20260822",
}


def test_ios_default_branch_is_published_and_matches_the_exporter(projects):
    import executorch.version

    branch = load_manifest("ios").variables["executorch_ios_branch"]
    assert branch in PUBLISHED_SWIFTPM_BRANCHES
    major_minor = ".".join(executorch.version.__version__.split(".")[:2])
    assert branch.startswith(f"swiftpm-{major_minor}."), "closest published to the exporter"
    readme = (projects["executorch"][0] / "README.md").read_text("utf-8")
    assert f"`{branch}`" in readme and 'ios_branch = "swiftpm-1.5.1"' in readme
    said = " ".join(readme.split())
    assert "Debian 13's `swiftlang`" in said and "ExecuTorch 1.5.0 Swift API" in said


@pytest.mark.parametrize(
    "app_name",
    ["ExecuTorch", "CoreML", "SwiftUI", "Foundation", "UIKit", "Combine", "Swift", "os", "3D"],
)
def test_ios_module_name_never_shadows_a_framework(tmp_path, swift_parser, app_name):
    bundle = ts.make_bundle(tmp_path / "data", "pte", app_name, ts.DIGIT_LABELS)
    project = render_project("ios", "executorch", bundle, tmp_path / "ios")
    path, tree = _parse_pbxproj(project)
    objects = tree["objects"]
    target = objects[objects[tree["rootObject"]]["targets"][0]]
    module = target["name"]
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", module)
    assert module.lower() not in _SWIFT_RESERVED_MODULES
    assert module.lower() != app_name.lower()
    assert path.parent.name == f"{module}.xcodeproj" and (project / module).is_dir()
    for config in objects[target["buildConfigurationList"]]["buildConfigurations"]:
        settings = objects[config]["buildSettings"]
        assert settings["PRODUCT_MODULE_NAME"] == module
        assert settings["INFOPLIST_KEY_CFBundleDisplayName"] == app_name  # the user's name
    app_swift = (project / module / "App.swift").read_bytes()
    assert not swift_parser.parse(app_swift).root_node.has_error
    assert f"struct {module}App: App".encode() in app_swift
    assert b"import ExecuTorch" in (project / module / "Classifier.swift").read_bytes()


def _call_texts(node, source: bytes, name: bytes) -> list[bytes]:
    """The source of every call/constructor expression that starts with ``name``."""
    found = []
    text = source[node.start_byte : node.end_byte]
    if node.type in ("call_expression", "constructor_expression") and text.startswith(name):
        found.append(text)
    for child in node.children:
        found += _call_texts(child, source, name)
    return found


def test_ios_input_tensor_copies_the_floats(projects, swift_parser):
    """Tensor(&array, shape:) keeps a pointer into the array (UB once it moves or dies);
    ExecuTorch's Tensor(_ scalars: [T], shape:) copies (extension/apple, Tensor.swift)."""
    project, _bundle = projects["executorch"]
    source = next(project.rglob("Classifier.swift")).read_bytes()
    tree = swift_parser.parse(source)
    calls = _call_texts(tree.root_node, source, b"Tensor<Float>(")
    assert b"Tensor<Float>(input, shape: AppInfo.inputShape)" in calls
    assert not any(b"&" in c for c in calls), calls
    assert b"bytesNoCopy" not in source


def _int8_pte(delegated: bool) -> Path:
    """A digits-shaped model quantized to int8 (PT2E, XNNPACK quantizer), lowered to XNNPACK
    (every quantized op delegated) or not lowered (q/dq ops run on portable kernels)."""
    import executorch.kernels.quantized  # noqa: F401  (registers the q/dq out variants)
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.backends.xnnpack.quantizer.xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )
    from executorch.exir import to_edge_transform_and_lower
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    path = ts.artifacts_dir() / f"digits-int8-{'xnnpack' if delegated else 'portable'}.pte"
    if path.exists():
        return path
    torch.manual_seed(0)  # a small conv net at the digits' input shape (never run here)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(2704, 10)
    ).eval()
    x = torch.randn(1, 1, 28, 28)
    graph = torch.export.export(model, (x,)).module()
    prepared = prepare_pt2e(
        graph, XNNPACKQuantizer().set_global(get_symmetric_quantization_config())
    )
    prepared(x)
    ep = torch.export.export(convert_pt2e(prepared), (x,))
    partitioner = [XnnpackPartitioner()] if delegated else []
    path.write_bytes(
        to_edge_transform_and_lower(ep, partitioner=partitioner).to_executorch().buffer
    )
    return path


@pytest.mark.parametrize("delegated", [False, True])
def test_ios_int8_program_links_kernels_quantized_when_it_calls_them(tmp_path, delegated):
    bundle = ts.make_bundle(tmp_path / "data", "pte", "Digit Reader", ts.DIGIT_LABELS)
    bundle.artifact = _int8_pte(delegated)
    bundle.delegates = ["xnnpack"] if delegated else []
    project = render_project("ios", "executorch", bundle, tmp_path / "ios")
    _path, tree = _parse_pbxproj(project)
    objects = tree["objects"]
    target = objects[objects[tree["rootObject"]]["targets"][0]]
    products = {objects[d]["productName"] for d in target["packageProductDependencies"]}
    readme = (project / "README.md").read_text("utf-8")
    assert {"executorch", "kernels_optimized"} <= products
    if delegated:
        # XNNPACK took every q/dq op: the program's operator table is empty.
        assert "kernels_quantized" not in products
        assert "`kernels_quantized` is not linked" in readme
    else:
        assert "kernels_quantized" in products
        assert "quantized_decomposed::quantize_per_tensor" in readme
