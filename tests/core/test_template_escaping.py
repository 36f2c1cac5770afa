"""Names and labels are data: every escaper round-trips hostile text; ids are sanitised.

Also checks the template API's contract (PLATFORMS, default_runtime) and its user errors.
Fast: no model, no external tools (the e2e template tests run aapt, kotlinc, Chromium...).
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.errors import TemplateError
from deploy_studio.core.templates import PLATFORMS, AppBundle, default_runtime, render_project
from deploy_studio.core.templates import escaping as esc

HOSTILE = [
    "",
    "plain",
    'Digit "Reader"',
    "back\\slash \\n \\u0041 \\(x)",
    "${x} $y $",
    "line\nbreak\r\ntab\t",
    "Zähler ✓ 数字 🙂",
    "</string><b>x</b> & &amp; <!-- -->",
    "'single' `tick`",
    "@start?",
    "  spaced  ",
    "\u2028\u2029",
    "nul\x00bell\x07",
]


def _unescape(literal: str, simple: dict, unicode_re: str) -> str:
    assert literal[0] == literal[-1] == '"'
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        ch = body[i]
        assert ch != '"', f"unescaped quote in {literal!r}"
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        m = re.match(unicode_re, body[i:])
        if m:
            out.append(chr(int(m.group(1), 16)))
            i += m.end()
        else:
            out.append(simple[body[i + 1]])
            i += 2
    return "".join(out)


@pytest.mark.parametrize("text", HOSTILE)
def test_kotlin_string_round_trips_and_never_interpolates(text):
    literal = esc.kotlin_string(text)
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}
    assert _unescape(literal, simple, r"\\u([0-9a-fA-F]{4})") == text
    assert not re.search(r"(?<!\\)(\\\\)*\$", literal), "a bare $ would start a template"
    assert "\n" not in literal and "\r" not in literal


@pytest.mark.parametrize("text", HOSTILE)
def test_swift_string_round_trips_and_never_interpolates(text):
    literal = esc.swift_string(text)
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "0": "\0"}
    assert _unescape(literal, simple, r"\\u\{([0-9a-fA-F]+)\}") == text
    assert not re.search(r"(?<!\\)(\\\\)*\\\(", literal), "\\( would interpolate"


@pytest.mark.parametrize("text", HOSTILE)
def test_js_value_round_trips_and_is_safe_in_script_tags(text):
    literal = esc.js_value({"name": text, "labels": [text]})
    assert json.loads(literal) == {"name": text, "labels": [text]}
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in literal


@pytest.mark.parametrize("text", HOSTILE)
def test_xml_text_round_trips_in_content_and_attributes(text):
    escaped = esc.xml_text(text)
    root = ET.fromstring(f"<a x=\"{escaped}\" y='{escaped}'>{escaped}</a>")
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", text)
    assert root.get("x") == root.get("y") == expected
    assert (root.text or "") == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_android_string_is_valid_xml_with_android_escapes(text):
    value = esc.android_string(text)
    root = ET.fromstring(f"<string>{value}</string>")
    inner = root.text
    assert inner.startswith('"') and inner.endswith('"')
    # Android's own escapes, undone: what aapt stores (the e2e test checks aapt itself).
    simple = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "'": "'", "@": "@", "?": "?"}
    expected = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", text)
    assert _unescape(inner, simple, r"\\u([0-9a-fA-F]{4})") == expected


@pytest.mark.parametrize("text", HOSTILE)
def test_pbx_string_round_trips_with_xcode_escapes(text):
    # Xcode reads project.pbxproj with CoreFoundation's old-style plist rules.
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "'": "'"}
    literal = esc.pbx_string(text)
    assert _unescape(literal, simple, r"\\U([0-9a-fA-F]{4})") == text
    try:
        import openstep_parser as openstep
    except ImportError:
        pytest.fail("openstep-parser missing: run `bash scripts/install-verify-tools.sh`")
    # openstep-parser (what PyPI pbxproj uses) parses the structure. It unescapes with
    # sequential str.replace calls (misreading "\\\\n" as a newline) and knows no "\\r": its
    # value is only compared for text without backslashes and control characters.
    parsed = openstep.OpenStepDecoder.ParseFromFile(io.StringIO(f"{{ key = {literal}; x = 1; }}"))
    assert parsed["x"] == "1"
    if "\\" not in text and not re.search("[\x00-\x08\r]", text):
        assert parsed["key"] == text


@pytest.mark.parametrize(
    ("app_name", "requested", "expected"),
    [
        ("Digit Reader", None, "com.example.digitreader"),
        ('Digit "Reader" \\ ${x}\nÄpp', None, "com.example.digitreaderxapp"),
        ("Zähler ✓", None, "com.example.zahler"),
        ("✓✓✓", None, "com.example.app"),
        ("3D viewer", None, "com.example.p3dviewer"),
        ("x", "com.My-Company.new", "com.my_company.new_"),
        ("x", "io.Ünïcode.app", "io.unicode.app"),
        ("x", "single", "com.single"),
        ("x", "org.9lives.class", "org.p9lives.class_"),
    ],
)
def test_package_id_is_sanitised(app_name, requested, expected):
    pkg = esc.package_id(app_name, requested)
    assert pkg == expected
    assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+", pkg)
    assert re.fullmatch(r"[A-Za-z0-9.-]+", esc.bundle_id(app_name, requested))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Digit Reader", "DigitReader"),
        ('Digit "Reader" ${x}', "DigitReaderX"),
        ("", "App"),
        ("✓", "App"),
        ("3d viewer", "App3dViewer"),
        ("Zähler", "Zahler"),
    ],
)
def test_type_name_is_an_ascii_identifier(text, expected):
    assert esc.type_name(text) == expected


@pytest.mark.parametrize("value", [1 / 255, 0.1307, 0.3081, 0.485, 0.229, 1.0, 255.0, 1e-7, 0])
def test_float32_literal_is_exact_and_positional(value):
    literal = esc.float32_literal(value)
    assert "e" not in literal.lower()
    assert np.float32(float(literal)) == np.float32(value)


def test_labels_txt_escapes_line_breaks_and_backslashes():
    text = esc.labels_txt(["a\nb", "c\\d", "é"])
    assert text.splitlines() == ["a\\nb", "c\\\\d", "é"]


def test_markdown_inline_is_one_line():
    assert "\n" not in esc.markdown_inline("a\nb <c> # d")
    assert esc.markdown_inline("<x>") == "\\<x\\>"


def test_platforms_contract():
    assert PLATFORMS == {
        "android": {
            "executorch": "pte",
            "pytorch-lite": "ptl",
            "onnxruntime": "onnx",
            "litert": "tflite",
        },
        "ios": {"executorch": "pte", "coreml": "coreml", "onnxruntime": "onnx"},
        "web": {"onnxruntime-web": "onnx", "litert-web": "tflite"},
    }
    assert default_runtime("android") == "executorch"
    assert default_runtime("ios") == "executorch"
    assert default_runtime("web") == "onnxruntime-web"
    with pytest.raises(TemplateError):
        default_runtime("symbian")


@pytest.fixture
def bundle(tmp_path):
    """A bundle with the right shapes; the artifact bytes are never run by these tests."""
    pp = Preprocess.for_input_shape([1, 1, 28, 28])
    sample = tmp_path / "sample.png"
    Image.fromarray(np.zeros((28, 28), np.uint8), mode="L").save(sample)
    artifact = tmp_path / "model.onnx"
    artifact.write_bytes(b"not run here")
    labels = [str(i) for i in range(10)]
    return AppBundle(
        app_name="Digit Reader",
        artifact=artifact,
        artifact_extra=[],
        preprocess=pp,
        labels=labels,
        sample_png=sample,
        expected={
            "top1": "0",
            "top1_index": 0,
            "topk": [["0", 1.0]],
            "logits": [0.0] * 10,
            "probs": [0.1] * 10,
        },
        input_shape=[1, 1, 28, 28],
    )


def test_unknown_platform_names_the_alternatives(bundle, tmp_path):
    with pytest.raises(TemplateError) as err:
        render_project("symbian", None, bundle, tmp_path / "out")
    assert "symbian" in err.value.message
    assert "android" in err.value.hint and "web" in err.value.hint


def test_unknown_runtime_names_the_alternatives(bundle, tmp_path):
    with pytest.raises(TemplateError) as err:
        render_project("android", "caffe2", bundle, tmp_path / "out")
    assert "android" in err.value.message and "caffe2" in err.value.message
    assert "executorch (pte)" in err.value.hint and "onnxruntime (onnx)" in err.value.hint


def test_mismatched_artifact_names_the_combination_and_the_fix(bundle, tmp_path):
    with pytest.raises(TemplateError) as err:
        render_project("android", "executorch", bundle, tmp_path / "out")
    assert "android/executorch needs a .pte artifact" in err.value.message
    assert "model.onnx" in err.value.message
    assert "onnxruntime" in err.value.hint
    with pytest.raises(TemplateError) as err:
        render_project("ios", None, bundle, tmp_path / "out")
    assert ".pte" in err.value.message and "runtime onnxruntime" in err.value.hint
    assert not (tmp_path / "out").exists()


def test_bad_options_and_bundles_are_user_errors(bundle, tmp_path):
    with pytest.raises(TemplateError, match="unknown template option"):
        render_project("web", None, bundle, tmp_path / "out", options={"colour": "red"})
    bundle.labels = bundle.labels[:3]
    with pytest.raises(TemplateError, match="3 logits"):
        render_project("web", None, bundle, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_render_is_atomic_and_reports_progress(bundle, tmp_path):
    from deploy_studio.core.progress import Reporter

    events = []
    out = render_project(
        "web", None, bundle, tmp_path / "web", reporter=Reporter(callback=events.append)
    )
    assert (out / "index.html").is_file()
    assert events[0].fraction == 0.0 and events[-1].fraction == 1.0
    assert all(e.stage == "render web" for e in events)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # An option reaches the templates; a second render replaces the folder as a whole.
    render_project("web", None, bundle, out, options={"benchmark_runs": 7})
    assert '"benchmarkRuns": 7' in (out / "config.js").read_text("utf-8")


def xcode_expand(value: str, settings: dict | None = None) -> str:
    """One pass of Xcode's build-setting macro expansion over a string setting's value.

    Mirrors swift-build's ``MacroExpressionParser.parseAsString``: ``$(NAME)``, ``${NAME}``,
    ``$[NAME]`` and ``$NAME`` are replaced by the setting's value (undefined: empty), ``$$``
    is one literal ``$``, any other ``$`` stays literal.
    """
    settings = settings or {}
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        nxt = value[i + 1] if i + 1 < len(value) else ""
        if ch != "$":
            out.append(ch)
            i += 1
        elif nxt in ("(", "{", "["):
            close = {"(": ")", "{": "}", "[": "]"}[nxt]
            j = value.find(close, i + 2)
            j = len(value) if j < 0 else j
            out.append(settings.get(value[i + 2 : j].split(":")[0], ""))
            i = j + 1
        elif nxt.isalpha() or nxt == "_":
            m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", value[i + 1 :])
            out.append(settings.get(m.group(), ""))
            i += 1 + m.end()
        elif nxt == "$":
            out.append("$")
            i += 2
        else:
            out.append("$")
            i += 1
    return "".join(out)


XCODE_HOSTILE = [
    *HOSTILE,
    'Zähler "App" \\ ${x}',
    "%% %@ %d 100%",
    "$(y) $(TARGET_NAME) ${PRODUCT_NAME} $[z] $HOME $$ $",
    "$(DOLLAR)$$(y)",
]


def test_xcode_expand_models_xcode():
    settings = {"x": "X", "TARGET_NAME": "T", "DOLLAR": "$"}
    assert xcode_expand('Zähler "App" \\ ${x}') == 'Zähler "App" \\ '
    assert xcode_expand("a $(x) ${x} $x $$ $(DOLLAR) $", settings) == "a X X X $ $ $"


@pytest.mark.parametrize("text", XCODE_HOSTILE)
def test_xcode_setting_literal_survives_macro_expansion(text):
    once = esc.xcode_setting_literal(text)
    assert xcode_expand(once, {"y": "Y", "x": "X", "HOME": "/h"}) == text
    # INFOPLIST_KEY_* values are expanded twice (build setting, then Info.plist processing).
    twice = esc.xcode_setting_literal(text, 2)
    assert xcode_expand(xcode_expand(twice, {"y": "Y"}), {"y": "Y"}) == text
    # ... and still round-trip through the pbxproj quoting.
    simple = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "'": "'"}
    assert _unescape(esc.pbx_string(twice), simple, r"\\U([0-9a-fA-F]{4})") == twice


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ExecuTorch", "ExecuTorchApp"),
        ("executorch", "ExecutorchApp"),
        ("CoreML", "CoreMLApp"),
        ("Core ML", "CoreMLApp"),
        ("SwiftUI", "SwiftUIApp"),
        ("Foundation", "FoundationApp"),
        ("UIKit", "UIKitApp"),
        ("Combine", "CombineApp"),
        ("Swift", "SwiftApp"),
        ("Vision", "VisionApp"),
        ("Accelerate", "AccelerateApp"),
        ("os", "OsApp"),
        ("self", "SelfApp"),
        ("Classifier", "ClassifierApp"),
        ("✓", "AppApp"),
        ("3D viewer", "App3DViewer"),
        ('Zähler "App" \\ ${x}', "ZahlerAppX"),
        ("Digit Reader", "DigitReader"),
    ],
)
def test_swift_module_name_shadows_no_framework(text, expected):
    name = esc.swift_module_name(text)
    assert name == expected
    assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
    assert name.lower() not in esc._SWIFT_RESERVED_MODULES
