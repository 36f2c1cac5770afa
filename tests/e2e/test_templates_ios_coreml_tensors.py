"""iOS Core ML apps of models fed their sample's tensors (issue 11): a token model and a
tabular one.

The demos ``builtin:digit-rows-lstm`` (int64 token ids, Embedding + LSTM; Core ML converts it
from the traced TorchScript only: torch.export's LSTM node is not converted) and
``builtin:breast-cancer-mlp`` (30 float features) run through ``core.engine.run_recipe`` with
a Core ML variant and ``[export] templates`` = the iOS Core ML app, with the hostile app name.
The ``.mlpackage`` takes the sample's tensors (int64 ids as an int32 multi-array), each
project's ``project.pbxproj`` references resolve, expected.json holds the eager model's
outputs (Core ML cannot run here) and every Swift file parses; (slow) the non-UI Swift
type-checks against the Core ML stubs. The converted outputs keep the desktop's names (as Core
ML identifiers) and the app reads them in the desktop's order (a two-output detector fed its
tensors); a model Core ML cannot be fed (a bool mask) is refused with the reason. No app is
built or run.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.e2e import templates_support as ts
from tests.e2e.test_swift_typecheck import IMPORT, UI_MODULES, swift
from tests.e2e.test_templates_ios import resolved_pbx_files, swift_parser
from tests.e2e.test_templates_ios_tasks import DET, NON_UI, SMALL, TOK, _det_data, _tok_data
from tests.support.recipes import recipe, variant

__all__ = ["swift", "swift_parser"]  # fixtures, used by name

REPO = Path(__file__).resolve().parents[2]
# demo -> (the Core ML variant's converter, the input's dtype in sample_inputs.json)
DEMOS = {"digit-rows-lstm": ("trace", "int64"), "breast-cancer-mlp": ("export", "float32")}


def _demo_recipe(name: str, convert: str):
    from deploy_studio.core.recipe import parse_recipe

    d = tomllib.loads((REPO / "resources" / "recipes" / f"{name}.toml").read_text("utf-8"))
    d["variant"] = [{"name": "c", "format": "coreml", "convert": convert}]
    d["data"].update(SMALL)
    d["benchmark"] = {"warmup": 1, "runs": 2}
    d["export"] = {
        "templates": [{"platform": "ios", "runtime": "coreml"}],
        "app_name": ts.HOSTILE_APP_NAME,
    }
    return parse_recipe(d)


@pytest.fixture(scope="module")
def apps(tmp_path_factory) -> dict[str, Path]:
    from deploy_studio.core.engine import run_recipe

    out = {}
    for name, (convert, _dtype) in DEMOS.items():
        root = tmp_path_factory.mktemp(name)
        report = run_recipe(_demo_recipe(name, convert), root, isolate=False)
        (row,) = report["variants"]
        assert row["error"] is None, row
        (app,) = report["templates"]
        assert not app.get("error") and app["path"], app
        assert (app["runtime"], app["format"]) == ("coreml", "coreml")
        out[name] = root / app["path"]
    return out


def _module(project: Path) -> Path:
    (xcodeproj,) = project.glob("*.xcodeproj")
    return project / xcodeproj.stem


@pytest.mark.parametrize("name", list(DEMOS))
def test_ios_coreml_tensor_app_ships_the_mlpackage_and_the_samples_tensors(apps, name):
    import coremltools as ct

    module = _module(apps[name])
    res = module / "Resources"
    sample = json.loads((res / "sample_inputs.json").read_text("utf-8"))["inputs"]
    assert [i["dtype"] for i in sample] == [DEMOS[name][1]]
    spec = ct.utils.load_spec(str(res / "model.mlpackage"))
    (inp,) = spec.description.input
    array = inp.type.multiArrayType
    assert list(array.shape) == sample[0]["shape"]
    want = array.INT32 if DEMOS[name][1] == "int64" else array.FLOAT32
    assert array.dataType == want  # what Classifier.swift's runTensors feeds
    # the converter was given the desktop's output names: the app finds them by name
    assert [o.name for o in spec.description.output] == ["output"]
    expected = json.loads((res / "expected.json").read_text("utf-8"))
    assert expected["kind"] == "tensors" and len(expected["outputs"]) == 1
    assert np.isfinite(expected["outputs"][0]["data"]).all()
    task = (module / "TaskSpec.swift").read_text("utf-8")
    assert "static let feedsTensors: Bool = true" in task
    assert 'static let coreMLOutputNames: [String] = ["output"]' in task
    assert "import CoreML" in (module / "Classifier.swift").read_text("utf-8")


@pytest.mark.parametrize("name", list(DEMOS))
def test_ios_coreml_tensor_pbxproj_references_resolve(apps, name):
    project = apps[name]
    objects, files = resolved_pbx_files(project)
    sources = next(o for o in objects.values() if o["isa"] == "PBXSourcesBuildPhase")
    compiled = {files[objects[b]["fileRef"]].name for b in sources["files"]}
    assert "model.mlpackage" in compiled  # Xcode compiles it to model.mlmodelc
    resources = next(o for o in objects.values() if o["isa"] == "PBXResourcesBuildPhase")
    bundled = {files[objects[b]["fileRef"]].name for b in resources["files"]}
    assert {"sample_inputs.json", "expected.json"} <= bundled


@pytest.mark.parametrize("name", list(DEMOS))
def test_ios_coreml_tensor_swift_files_parse(apps, swift_parser, name):
    for path in sorted(apps[name].rglob("*.swift")):
        tree = swift_parser.parse(path.read_bytes())
        assert not tree.root_node.has_error, f"{path.name} does not parse"


@pytest.mark.slow
def test_ios_coreml_tensor_non_ui_swift_typechecks(apps, swift):
    for name, project in apps.items():
        module = _module(project)
        plain = []
        for path in sorted(module.glob("*.swift")):
            if not set(IMPORT.findall(path.read_text("utf-8"))) & UI_MODULES:
                target = swift.work / name / path.name
                target.parent.mkdir(exist_ok=True)
                target.write_bytes(path.read_bytes())
                plain.append(target)
        assert {p.name for p in plain} == NON_UI
        proc = swift.typecheck(plain, module.name)
        assert proc.returncode == 0, f"{name}: swiftc -typecheck failed:\n{proc.stderr}"


def test_ios_coreml_detector_app_reads_its_outputs_by_their_desktop_names(tmp_path):
    """A two-output detector fed its tensors: the .mlpackage built for the app names its
    outputs as the desktop does, and TaskSpec.swift lists them in the desktop's order."""
    import coremltools as ct

    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.formats.coreml_names import coreml_output_names

    r = recipe(
        DET,
        [variant("p", "pte")],
        name="det",
        data={"source": _det_data(tmp_path), **SMALL},
        benchmark={"warmup": 1, "runs": 2},
        export={"templates": [{"platform": "ios", "runtime": "coreml"}], "app_name": "CoreML"},
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    (app,) = report["templates"]
    assert not app.get("error") and app["path"], app
    module = _module(tmp_path / "out" / app["path"])
    spec = ct.utils.load_spec(str(module / "Resources" / "model.mlpackage"))
    expected = json.loads((module / "Resources" / "expected.json").read_text("utf-8"))
    desktop = [o["name"] for o in expected["outputs"]]
    assert len(desktop) == 2
    assert [o.name for o in spec.description.output] == coreml_output_names(desktop)
    task = (module / "TaskSpec.swift").read_text("utf-8")
    listed = ", ".join(f'"{n}"' for n in coreml_output_names(desktop))
    assert f"static let coreMLOutputNames: [String] = [{listed}]" in task


@pytest.mark.parametrize(
    ("model", "data", "said"),
    [(TOK, _tok_data, ["mask", "bool", "Core ML model inputs", "executorch runtime"])],
    ids=["bool-input"],
)
def test_ios_coreml_refuses_what_its_tensor_app_cannot_feed(tmp_path, model, data, said):
    from deploy_studio.core.engine import run_recipe

    r = recipe(
        model,
        [variant("p", "pte")],
        name="refused",
        data={"source": data(tmp_path), **SMALL},
        benchmark={"warmup": 1, "runs": 2},
        export={"templates": [{"platform": "ios", "runtime": "coreml"}], "app_name": "X"},
    )
    report = run_recipe(r, tmp_path / "out", isolate=False)
    (app,) = report["templates"]
    assert app["path"] is None
    for words in said:
        assert words in app["error"], app["error"]
