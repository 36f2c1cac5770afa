"""The contract every export format implements: one class, one file in ``core/formats``.

A format says, declaratively, everything the rest of the engine needs to know about it: the
file suffix of its artifacts, the host runtime that runs them (or why none can), the
converters that feed it (the first is the default), the typed ``format_options`` a recipe
may set per variant, the quantize modes it implements (each a :class:`QuantizerPlan`) and the
Python packages its artifacts depend on. Its ``write(ctx, path)`` writes the artifact.

The quantize step only chooses a mode; the variant's format applies it. Recipe validation,
the quantize step's checks, ``tune``, the pipeline, app templates and the build cache all
read this contract, so adding a format is one new file (see docs/adding-a-format.md)::

    @FORMATS.register("torchscript")
    class TorchScriptFormat(Format):
        label = "TorchScript (.pt)"
        suffix = ".pt"
        runtime = "torchscript"
        converters = ("trace", "script")
        quantization = {"fp16": FLOAT16}

        def write(self, ctx, path):
            ...
            return Artifact(self.key, path, [path], self.runtime)

:func:`format_entry` checks a class against the contract when it registers. This module is
light on purpose (no torch): reading the contract never loads a machine-learning library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from deploy_studio.core.registry import Entry, Option, resolve_options

# The quantize step's modes: the vocabulary formats implement a subset of.
QUANTIZE_MODES = ("int8-static", "int8-dynamic", "int8-weight-only", "fp16")


@dataclass
class Artifact:
    """A built artifact on disk: ``files`` are everything an app must ship (path first).

    ``delegates`` names the backends the artifact was lowered to (ExecuTorch's
    ``["xnnpack"]``): the report records them and app templates link their libraries.
    ``not_runnable`` says why this artifact cannot run on this host when its format's runtime
    could run others (a Core ML-delegated ``.pte``); ``runtime`` is then None.
    ``coverage`` is an ExecuTorch program's partition coverage
    (:func:`deploy_studio.core.formats.pte_coverage.partition_coverage`).
    """

    format: str
    path: Path
    files: list[Path]
    runtime: str | None  # the host runtime that runs it, None when it cannot run here
    notes: list[str] = field(default_factory=list)
    delegates: list[str] = field(default_factory=list)
    not_runnable: str = ""
    coverage: dict | None = None

    @property
    def size_bytes(self) -> int:
        total = 0
        for f in self.files:
            if f.is_dir():
                total += sum(p.stat().st_size for p in f.rglob("*") if p.is_file())
            elif f.exists():
                total += f.stat().st_size
        return total


@dataclass(frozen=True)
class QuantizerPlan:
    """How a format implements one quantize mode.

    Attributes
    ----------
    description:
        What is done, in a few words (shown in hints and kept in ``ctx.quantization``).
    prepare:
        ``prepare(ctx, module, options)``, run by the quantize step before conversion:
        replaces ``ctx.module`` (e.g. with a quantized module) and adds notes. ``module`` is
        the working ``nn.Module`` in eval mode (None when ``needs_module`` is False);
        ``options`` are the quantize step's options, ``keep_fp32`` resolved to real layers.
    finish:
        ``finish(artifact, ctx, options) -> Artifact``, run after the format wrote the
        artifact (e.g. ONNX Runtime QDQ on the ``.onnx`` file).
    needs_module:
        Whether the plan needs the model as a PyTorch ``nn.Module`` (a frozen TorchScript
        archive cannot be quantized before export).
    no_keep_fp32:
        Why the plan cannot leave layers in float (``keep_fp32`` is then rejected when the
        recipe is read); '' when it can.
    """

    description: str
    prepare: Callable | None = None
    finish: Callable | None = None
    needs_module: bool = True
    no_keep_fp32: str = ""


def lazy(target: str) -> Callable:
    """A callable that imports ``"package.module:function"`` on its first call.

    Plans name shared quantizers this way so that reading a format's contract (recipe
    checks, the window) never imports torch, torchao or ONNX Runtime.
    """
    module, _, name = target.partition(":")

    def call(*args, **kwargs):
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{target} (imported when called)"
    return call


# The shared plans: the same module-side quantizers serve several formats.
FLOAT16 = QuantizerPlan(
    "float16 model between float32 casts", prepare=lazy("deploy_studio.core.quantizers:float16")
)
TORCHAO_INT8_DYNAMIC = QuantizerPlan(
    "torchao int8 dynamic activations + int8 per-channel weights",
    prepare=lazy("deploy_studio.core.quantizers:torchao_dynamic"),
)


class Format:
    """Base class of an export format (class attributes are the declarative contract).

    Attributes
    ----------
    key: the recipe's ``format = "..."``; set when the class registers.
    label, help: shown in the window and in messages.
    suffix: the artifact's file name suffix (``".pte"``; ``".mlpackage"`` for a folder).
    runtime: the host runtime key (``core.runtimes``) that runs the artifact, or None.
    not_runnable_reason: when ``runtime`` is None, why (shown instead of measurements).
    converters: converter keys that can feed it, the default first; ``()`` when the format
        takes the model as it is (the eager baseline).
    options: typed ``format_options`` a variant may set (``{ delegate = "xnnpack" }``).
    quantization: quantize mode -> :class:`QuantizerPlan`, for the modes it implements.
    unsupported: quantize mode -> why it is not implemented (quoted when a recipe asks).
    packages: Python distributions whose versions change its artifacts or measurements
        (part of the build-cache key).
    extra: when its packages are optional, the pip extra that installs them (``"litert"``):
        :meth:`missing` then says how to get them and the format is skipped by ``tune``.
    """

    key: str = ""
    label: str = ""
    help: str = ""
    suffix: str = ""
    runtime: str | None = None
    not_runnable_reason: str = ""
    converters: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    quantization: ClassVar[Mapping[str, QuantizerPlan]] = {}
    unsupported: ClassVar[Mapping[str, str]] = {}
    packages: tuple[str, ...] = ()
    extra: str = ""

    def write(self, ctx, path: Path) -> Artifact:
        """Write the artifact of ``ctx`` (``ctx.converted``, or ``ctx.module`` when the
        format has no converter) to ``path`` atomically and return it."""
        raise NotImplementedError

    # --- derived from the declarations (a format may refine them) ------------------------
    @property
    def default_converter(self) -> str | None:
        """The converter a variant of this format uses unless it says otherwise."""
        return self.converters[0] if self.converters else None

    def resolve_options(self, given: dict | None, where: str = "") -> dict:
        """``format_options`` checked and completed with the defaults."""
        return resolve_options(self.key, self.options, dict(given or {}), where or self.key)

    def options_for(self, variant) -> dict:
        """The resolved ``format_options`` of ``variant``."""
        where = f"variant {variant.name!r} format_options"
        return self.resolve_options(getattr(variant, "format_options", None), where)

    def quantizer(self, mode: str, options: dict | None = None) -> QuantizerPlan | None:
        """The plan for ``mode`` with these format options, None when not implemented."""
        return self.quantization.get(mode)

    def unsupported_reason(self, mode: str, options: dict | None = None) -> str:
        """Why ``mode`` is not implemented ('' when the format does not say)."""
        return self.unsupported.get(mode, "")

    def app_libraries(self, platform: str, delegates: list[str]) -> list[str]:
        """Libraries an app on ``platform`` links to run an artifact lowered to ``delegates``."""
        return []

    def missing(self) -> str:
        """'' when the format's packages are installed; else what is missing and how to
        install it (only formats with an optional ``extra`` can miss anything)."""
        if not self.extra:
            return ""
        from importlib import metadata

        absent = []
        for dist in self.packages:
            try:
                metadata.version(dist)
            except metadata.PackageNotFoundError:
                absent.append(dist)
        if not absent:
            return ""
        return (
            f"the {self.label} format needs {', '.join(absent)}, which is not installed: "
            f'pip install "deploy-studio[{self.extra}]" (from a checkout: pip install -e ".[{self.extra}]")'
        )


def format_entry(entry: Entry) -> Entry:
    """Check a class registered in ``FORMATS`` against the contract; return the entry to keep.

    The stored entry holds an instance (``entry.obj``) and, for readers of plain entries
    (the window's forms), the options, label and help copied from the class.

    Raises
    ------
    TypeError
        Naming the format and the field that breaks the contract (a bug in the format).
    """
    cls, key = entry.obj, entry.key
    if not (isinstance(cls, type) and issubclass(cls, Format)):
        raise TypeError(f"format {key!r}: {cls!r} must be a class deriving from Format")
    problem = _declaration_problem(cls) or _quantization_problem(cls)
    if entry.options or entry.help or entry.extra or entry.label != key:
        problem = "declares label, help and options as class attributes, not in register()"
    if problem:
        raise TypeError(f"format {key!r} ({cls.__name__}) {problem}")
    fmt = cls()
    fmt.key = key
    extra = {
        "suffix": fmt.suffix,
        "runtime": fmt.runtime,
        "converters": fmt.converters or None,
        "not_runnable": fmt.not_runnable_reason or None,
    }
    return Entry(key, fmt, fmt.options, fmt.label, fmt.help, extra)


def _declaration_problem(cls: type[Format]) -> str:
    """What is wrong with the plain declarations ('' when nothing)."""
    if not isinstance(cls.label, str) or not cls.label:
        return "needs a label"
    suffix = cls.suffix
    if not isinstance(suffix, str) or not suffix or Path("a" + suffix).suffix != suffix:
        return f"needs one file suffix such as '.pte', got {cls.suffix!r}"
    if cls.runtime is None and not cls.not_runnable_reason:
        return "has no runtime: say why in not_runnable_reason"
    if cls.runtime is not None and (not isinstance(cls.runtime, str) or not cls.runtime):
        return f"runtime must be a runtime key or None, got {cls.runtime!r}"
    for name in ("converters", "packages"):
        value = getattr(cls, name)
        if not isinstance(value, tuple) or not all(isinstance(v, str) for v in value):
            return f"{name} must be a tuple of strings, got {value!r}"
    if not isinstance(cls.options, tuple) or not all(isinstance(o, Option) for o in cls.options):
        return "options must be a tuple of registry.Option"
    if cls.write is Format.write:
        return "must implement write(ctx, path) -> Artifact"
    return ""


def _quantization_problem(cls: type[Format]) -> str:
    """What is wrong with the declared quantize modes ('' when nothing)."""
    for mode, plan in cls.quantization.items():
        if mode not in QUANTIZE_MODES:
            return f"implements unknown quantize mode {mode!r} (modes: {', '.join(QUANTIZE_MODES)})"
        if not isinstance(plan, QuantizerPlan) or not plan.description:
            return f"quantization[{mode!r}] must be a QuantizerPlan with a description"
        if plan.prepare is None and plan.finish is None:
            return f"quantization[{mode!r}] does nothing: give prepare and/or finish"
    for mode in cls.unsupported:
        if mode not in QUANTIZE_MODES or mode in cls.quantization:
            return f"unsupported[{mode!r}] names a mode that is unknown or implemented"
    return ""


def converts(format_key: str) -> bool:
    """Whether variants of ``format_key`` go through a converter (False for the eager
    baseline; True for a key that is not registered, so the recipe keeps its converter)."""
    from deploy_studio.core.errors import RecipeError
    from deploy_studio.core.registry import FORMATS

    try:
        return bool(FORMATS.get(format_key).obj.converters)
    except RecipeError:
        return True
