"""Turning user text (app names, labels) into valid literals and identifiers.

App names and labels are data: any text a user types, including quotes, backslashes,
``${...}``, newlines and non-ASCII letters. Every generated file embeds them through one of
these functions, so the Kotlin, Swift, JavaScript, XML, HTML, Android-resource and pbxproj
output stays valid and reads back as the original text. Identifiers (package ids, Xcode
target names) cannot hold arbitrary text: they are sanitised, never escaped.
"""

from __future__ import annotations

import json
import re
import unicodedata

import numpy as np

# Java/Kotlin keywords are not allowed as package segments (the R class lives there).
_RESERVED_SEGMENTS = frozenset(
    """abstract as assert boolean break byte case catch char class const continue default do
    double else enum extends false final finally float for fun goto if implements import in
    instanceof int interface is long native new null object package private protected public
    return short static strictfp super switch synchronized this throw throws transient true
    try typealias typeof val var void volatile when while""".split()
)

# Module names an iOS app target must not take: the Swift module of the app is its target name
# (PRODUCT_MODULE_NAME), and a module named like one it imports (``import ExecuTorch`` in a
# module called ExecuTorch), like a system framework, or like a type the generated code uses
# shadows it and the app does not compile. Compared case-insensitively: macOS file systems
# usually are. Capitalised Swift keywords (``Self``, ``Any``, ``Type``, ``Protocol``) too.
_SWIFT_RESERVED_MODULES = frozenset(
    name.lower()
    for name in """Swift SwiftUI SwiftUICore UIKit Foundation FoundationEssentials
    FoundationInternationalization CoreFoundation CoreGraphics CoreImage CoreML CoreVideo
    CoreMedia CoreText CoreTransferable CoreAnimation QuartzCore Combine Observation SwiftData
    Vision VisionKit Accelerate Metal MetalKit MetalPerformanceShaders
    MetalPerformanceShadersGraph AVFoundation AVKit Photos PhotosUI ImageIO
    UniformTypeIdentifiers os Darwin Dispatch ObjectiveC Security Network XCTest Testing
    DeveloperToolsSupport Distributed RegexBuilder Synchronization Cxx CxxStdlib sqlite3
    ExecuTorch ExecuTorchLLM executorch executorch_llm backend_coreml backend_mps
    backend_xnnpack kernels_optimized kernels_portable kernels_quantized kernels_custom
    kernels_llm kernels_torchao threadpool
    OnnxRuntimeBindings OnnxRuntimeExtensions onnxruntime onnxruntime_extensions
    ORTEnv ORTSession ORTSessionOptions ORTValue ExecutionProvider
    Self Any Type Protocol App String Int Float Double Bool Data URL Bundle Text Image Color
    View Scene Label Button Task Module Tensor Value AnyTensor MLModel
    ContentView Classifier ClassifierError ClassifierModel ClassifierWorker CameraPicker
    Preprocess SelfTest SelfTestResult Expected LabeledProbability BundledData AppInfo""".split()
)

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _control_free(text: str) -> str:
    """Replace characters that XML 1.0 cannot carry at all with U+FFFD."""
    return _XML_INVALID.sub("\ufffd", text)


def kotlin_string(text: str) -> str:
    """A Kotlin string literal (with quotes) whose value is ``text``.

    Parameters
    ----------
    text:
        Any text.

    Returns
    -------
    str
        ``"..."`` with ``\\``, ``"``, ``$`` and control characters escaped, so ``${x}``
        stays text instead of becoming a template expression.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "$":
            out.append("\\$")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0x2028 <= code <= 0x2029:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def swift_string(text: str) -> str:
    """A Swift string literal (with quotes) whose value is ``text``.

    Parameters
    ----------
    text:
        Any text.

    Returns
    -------
    str
        ``"..."`` with ``\\`` (so ``\\(`` never interpolates), ``"`` and control characters
        escaped.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif code < 0x20 or code == 0x7F or 0x2028 <= code <= 0x2029:
            out.append(f"\\u{{{code:x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def js_value(value) -> str:
    """A JavaScript expression (JSON) for ``value``, safe inside HTML ``<script>`` too.

    Parameters
    ----------
    value:
        Any JSON-serialisable value (str, number, list, dict...).

    Returns
    -------
    str
        JSON with ``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\u`` escapes.
    """
    text = json.dumps(value, ensure_ascii=False)
    for ch, esc in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, esc)
    return text


def xml_text(text: str) -> str:
    """``text`` escaped for XML/HTML element content or a double- or single-quoted attribute.

    Parameters
    ----------
    text:
        Any text; characters XML cannot carry (most C0 controls) become U+FFFD.

    Returns
    -------
    str
        Text with ``&``, ``<``, ``>``, ``"`` and ``'`` as entities, newlines as ``&#10;``.
    """
    text = _control_free(text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def android_string(text: str) -> str:
    """Content of an Android ``<string>`` resource that aapt reads back as ``text``.

    Parameters
    ----------
    text:
        Any text.

    Returns
    -------
    str
        A double-quoted resource value (so whitespace is kept) with Android's escapes
        (``\\\\``, ``\\"``, ``\\'``, ``\\n``, ``\\t``, ``\\@``, ``\\?``) and XML entities.
    """
    text = _control_free(text)
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "'":
            out.append("\\'")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\u000d")
        elif ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        else:
            out.append(ch)
    body = "".join(out)
    if body[:1] in ("@", "?"):
        body = "\\" + body
    return '"' + body + '"'


def pbx_string(text: str) -> str:
    """A quoted string for an Xcode ``project.pbxproj`` (OpenStep plist) file.

    Parameters
    ----------
    text:
        Any text (the file is UTF-8; non-ASCII stays literal as Xcode writes it).

    Returns
    -------
    str
        ``"..."`` with ``\\``, ``"``, newline, tab and other control characters escaped.
    """
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\U{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def markdown_inline(text: str) -> str:
    """``text`` on one line for a Markdown heading or sentence (newlines become spaces).

    Parameters
    ----------
    text:
        Any text.

    Returns
    -------
    str
        Single-line text with Markdown/HTML-active characters backslash-escaped.
    """
    one_line = " ".join(_control_free(text).splitlines()) or text
    return re.sub(r"([\\`*_{}\[\]<>#|!])", r"\\\1", one_line)


def _ascii_words(text: str) -> list[str]:
    """ASCII alphanumeric words of ``text`` after dropping accents (Ä -> A)."""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if ord(ch) < 128)
    return re.findall(r"[A-Za-z0-9]+", ascii_only)


def type_name(text: str, fallback: str = "App") -> str:
    """An ASCII CamelCase identifier for project, target and product names.

    Parameters
    ----------
    text:
        The app name, any text.
    fallback:
        Used when ``text`` has no ASCII letters or digits.

    Returns
    -------
    str
        E.g. ``'Digit "Reader" ${x}'`` -> ``'DigitReaderX'``; never starts with a digit.
    """
    words = _ascii_words(text)
    name = "".join(w[:1].upper() + w[1:] for w in words)[:48]
    if not name:
        return fallback
    if name[0].isdigit():
        name = fallback + name
    return name


def swift_module_name(text: str) -> str:
    """The iOS target, product and Swift module name for the app name ``text``.

    Parameters
    ----------
    text:
        The app name, any text (the display name stays exactly this text).

    Returns
    -------
    str
        :func:`type_name` of ``text`` (ASCII letters and digits, never a leading digit),
        with ``App`` appended when that would shadow a framework or module the app imports
        (``ExecuTorch``, ``CoreML``, ``SwiftUI``, ``Foundation``, ``os``...), a capitalised
        Swift keyword or a type of the generated code: ``"ExecuTorch"`` -> ``"ExecuTorchApp"``.
    """
    name = type_name(text)
    if name.lower() in _SWIFT_RESERVED_MODULES:
        name += "App"
    return name


def xcode_setting_literal(text: str, expansions: int = 1) -> str:
    """``text`` as an Xcode build setting value that expands back to exactly ``text``.

    Xcode expands ``$(NAME)``, ``${NAME}``, ``$[NAME]`` and ``$NAME`` in build setting values
    and reads ``$$`` as one literal ``$`` (swift-build, ``MacroExpressionParser``).
    ``INFOPLIST_KEY_*`` values are expanded twice: once when the setting is read, once more
    when the generated Info.plist is processed with build-setting expansion on (swift-build,
    ``InfoPlistProcessorTaskAction``): pass ``expansions=2`` for them.

    Parameters
    ----------
    text:
        Any text.
    expansions:
        How many times the value goes through macro expansion.

    Returns
    -------
    str
        ``text`` with every ``$`` written as ``2 ** expansions`` dollars (still to be quoted
        with :func:`pbx_string`).
    """
    return text.replace("$", "$" * (2**expansions))


def _segment(word: str) -> str:
    seg = re.sub(r"[^a-z0-9_]", "_", word.lower())
    seg = re.sub(r"_+", "_", seg).strip("_")
    if not seg:
        return ""
    if not seg[0].isalpha():
        seg = "p" + seg
    if seg in _RESERVED_SEGMENTS:
        seg += "_"
    return seg


def package_id(app_name: str, requested: str | None = None) -> str:
    """A valid Android ``applicationId`` (also a Kotlin package name).

    Parameters
    ----------
    app_name:
        The app name; used to derive ``com.example.<name>`` when ``requested`` is None.
    requested:
        A package id the user asked for; each segment is sanitised (accents dropped,
        invalid characters replaced, keywords suffixed with ``_``).

    Returns
    -------
    str
        At least two lowercase segments, each ``[a-z][a-z0-9_]*``.
    """
    if requested:
        segments = [
            _segment("_".join(_ascii_words(part)) or part)
            for part in re.split(r"[.\s/]+", requested)
        ]
        segments = [s for s in segments if s]
    else:
        name = _segment("".join(_ascii_words(app_name)).lower()) or "app"
        segments = ["com", "example", name]
    if not segments:
        segments = ["com", "example", "app"]
    if len(segments) < 2:
        segments.insert(0, "com")
    return ".".join(segments)


def bundle_id(app_name: str, requested: str | None = None) -> str:
    """A valid iOS ``PRODUCT_BUNDLE_IDENTIFIER`` (letters, digits, ``-`` and ``.``).

    Parameters
    ----------
    app_name, requested:
        As for :func:`package_id`.

    Returns
    -------
    str
        The sanitised package id with ``_`` turned into ``-``.
    """
    return package_id(app_name, requested).replace("_", "-")


def float32_literal(value: float) -> str:
    """The shortest decimal that parses back to the same float32 as ``value``.

    Parameters
    ----------
    value:
        A number (e.g. a mean or std from preprocess.json).

    Returns
    -------
    str
        Positional notation (``'0.003921569'``), valid in Kotlin (with ``f``), Swift and JS.
    """
    text = np.format_float_positional(np.float32(value), unique=True, trim="0")
    if text.endswith("."):
        text += "0"
    return text


def labels_txt(labels: list[str]) -> str:
    """``labels.txt``: one label a line, ``\\`` and line breaks backslash-escaped.

    Parameters
    ----------
    labels:
        Class labels in index order.

    Returns
    -------
    str
        The file content (apps read ``labels.json``; this file is for people and tools).
    """

    def esc(label: str) -> str:
        return label.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")

    return "".join(esc(label) + "\n" for label in labels)
