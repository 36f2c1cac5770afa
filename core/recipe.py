"""The recipe: everything a user set up (model, data, variants, export, gates) as TOML.

The GUI saves and opens it; ``deploy-studio run`` runs it: same engine, same numbers.
Unknown keys are errors that name the key and the allowed ones; every variant's steps are
checked against the registries (and against each other) before any work starts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_studio.core.errors import RecipeError
from deploy_studio.core.models.loaded import ModelSpec

DATA_SOURCES_HINT = "builtin:digits | mnist:DIR | imagefolder:DIR | random"
TOP_KEYS = {"name", "model", "data", "preprocess", "benchmark", "variant", "export", "gates"}
MODEL_KEYS = {"source", "weights", "input_shape", "trust", "output"}
DATA_KEYS = {"source", "calibration_samples", "eval_samples"}
BENCH_KEYS = {"threads", "warmup", "runs"}
VARIANT_KEYS = {"name", "format", "convert", "steps", "enabled"}
EXPORT_KEYS = {"templates", "app_name", "variant", "ios_branch"}
GATE_KEYS = {"max_accuracy_drop", "max_size_bytes", "max_latency_ms", "min_top1_agreement", "min_snr_db"}


@dataclass
class DataSpec:
    source: str = "builtin:digits"
    calibration_samples: int = 128
    eval_samples: int = 500


@dataclass
class BenchmarkSpec:
    threads: int = 1
    warmup: int = 10
    runs: int = 50


@dataclass
class StepSpec:
    """One optimization step: its registry ``kind`` and its options (defaults filled)."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **self.options}


@dataclass
class VariantSpec:
    """A named, ordered list of steps producing one artifact in ``format``."""

    name: str
    format: str = "eager"
    convert: str = "export"
    steps: list[StepSpec] = field(default_factory=list)
    enabled: bool = True

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"name": self.name, "format": self.format}
        if self.format != "eager":
            d["convert"] = self.convert
        if self.steps:
            d["steps"] = [s.to_dict() for s in self.steps]
        if not self.enabled:
            d["enabled"] = False
        return d


@dataclass
class TemplateSpec:
    """One app project: its platform, runtime and (optionally) the variant it ships."""

    platform: str
    runtime: str | None = None
    variant: str | None = None


@dataclass
class ExportSpec:
    templates: list[TemplateSpec] = field(default_factory=list)
    app_name: str = "Deploy Studio App"
    variant: str | None = None  # which variant's artifact goes into the apps (default: fastest fitting)
    ios_branch: str | None = None


@dataclass
class Gates:
    """Limits per variant; None means "not set" (the fidelity gates then use their defaults,
    see :mod:`core.gates`; ``false`` turns a default gate off)."""

    max_accuracy_drop: float | None = None
    max_size_bytes: int | None = None
    max_latency_ms: float | None = None
    min_top1_agreement: float | bool | None = None
    min_snr_db: float | bool | None = None


@dataclass
class Recipe:
    name: str
    model: ModelSpec
    data: DataSpec = field(default_factory=DataSpec)
    benchmark: BenchmarkSpec = field(default_factory=BenchmarkSpec)
    variants: list[VariantSpec] = field(default_factory=list)
    export: ExportSpec = field(default_factory=ExportSpec)
    gates: Gates = field(default_factory=Gates)
    path: Path | None = None
    preprocess: dict[str, Any] = field(default_factory=dict)  # [preprocess] overrides

    def enabled_variants(self) -> list[VariantSpec]:
        return [v for v in self.variants if v.enabled]

    def copy(self) -> Recipe:
        return copy.deepcopy(self)

    # --- serialisation -----------------------------------------------------------------
    def to_dict(self) -> dict:
        model: dict[str, Any] = {"source": self.model.source}
        if self.model.weights:
            model["weights"] = self.model.weights
        if self.model.input_shape:
            model["input_shape"] = list(self.model.input_shape)
        model["trust"] = bool(self.model.trust)
        if self.model.output not in (None, ""):
            model["output"] = self.model.output
        d: dict[str, Any] = {
            "name": self.name,
            "model": model,
            "data": vars(self.data).copy(),
            "benchmark": vars(self.benchmark).copy(),
            "variant": [v.to_dict() for v in self.variants],
        }
        if self.preprocess:
            d["preprocess"] = dict(self.preprocess)
        export: dict[str, Any] = {
            "templates": [_template_dict(t) for t in self.export.templates],
            "app_name": self.export.app_name,
        }
        if self.export.variant:
            export["variant"] = self.export.variant
        if self.export.ios_branch:
            export["ios_branch"] = self.export.ios_branch
        d["export"] = export
        gates = {k: v for k, v in vars(self.gates).items() if v is not None}
        if gates:
            d["gates"] = gates
        return d

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> Path:
        from deploy_studio.core.fsutil import write_text_atomic

        path = Path(path)
        write_text_atomic(path, self.to_toml())
        self.path = path
        return path


def _template_dict(t: TemplateSpec):
    if t.runtime is None and t.variant is None:
        return t.platform
    d = {"platform": t.platform}
    if t.runtime is not None:
        d["runtime"] = t.runtime
    if t.variant is not None:
        d["variant"] = t.variant
    return d


def _check_keys(table: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(table, dict):
        raise RecipeError(f"{where} must be a table, got {type(table).__name__}")
    for k in table:
        if k not in allowed:
            raise RecipeError(
                f"unknown key {k!r} in {where}", f"allowed keys: {', '.join(sorted(allowed))}"
            )
    return table


def _typed(table: dict, key: str, kind, where: str, default=None):
    if key not in table:
        return default
    v = table[key]
    ok = isinstance(v, kind) and not (kind in (int, float, (int, float)) and isinstance(v, bool))
    if not ok:
        name = getattr(kind, "__name__", "number")
        raise RecipeError(f"{where}.{key} must be {name}, got {v!r}")
    return v


def _fraction(v, where: str):
    if v is not None and not 0 <= v <= 1:
        raise RecipeError(f"{where} must be a fraction between 0 and 1, got {v}", "e.g. 0.95 for 95%")
    return v


def _positive(v, where: str, allow_zero: bool = False):
    if v is not None and (v < 0 or (v == 0 and not allow_zero)):
        raise RecipeError(f"{where} must be {'>= 0' if allow_zero else '> 0'}, got {v}")
    return v


def parse_recipe(d: dict, base_dir: Path | None = None) -> Recipe:
    """Validate a recipe dict (from TOML) and build a :class:`Recipe`."""
    from deploy_studio.core.registry import CONVERTERS, FORMATS, STEPS

    _check_keys(d, TOP_KEYS, "the recipe")
    name = _typed(d, "name", str, "recipe", "untitled")
    m = _check_keys(d.get("model", {}), MODEL_KEYS, "[model]")
    source = _typed(m, "source", str, "[model]")
    if not source:
        raise RecipeError("[model] needs source", "e.g. source = \"builtin:digits-cnn\"")
    shape = m.get("input_shape")
    if shape is not None and (
        not isinstance(shape, list) or not shape or not all(isinstance(s, int) and s > 0 for s in shape)
    ):
        raise RecipeError(f"[model].input_shape must be a list of positive ints, got {shape!r}", "e.g. [1, 3, 224, 224]")
    weights = _typed(m, "weights", str, "[model]")
    if base_dir is not None:
        source = _rebase(source, base_dir)
        weights = _rebase(weights, base_dir) if weights else None
    output = m.get("output")
    if output is not None and (isinstance(output, bool) or not isinstance(output, (str, int))):
        raise RecipeError(f"[model].output must be an output name or index, got {output!r}", 'e.g. output = "logits"')
    model = ModelSpec(source, weights, shape, bool(_typed(m, "trust", bool, "[model]", False)),
                      str(output) if output is not None else None)
    from deploy_studio.core.data.preprocess import parse_overrides

    preprocess = parse_overrides(d.get("preprocess", {}))

    dd = _check_keys(d.get("data", {}), DATA_KEYS, "[data]")
    data = DataSpec(
        source=_typed(dd, "source", str, "[data]", "builtin:digits"),
        calibration_samples=_positive(_typed(dd, "calibration_samples", int, "[data]", 128), "[data].calibration_samples", True),
        eval_samples=_positive(_typed(dd, "eval_samples", int, "[data]", 500), "[data].eval_samples", True),
    )
    kind, _, arg = data.source.partition(":")
    if not (data.source in ("builtin:digits", "random") or (kind in ("mnist", "imagefolder") and arg)):
        raise RecipeError(f"[data].source {data.source!r} is not a data source", f"use {DATA_SOURCES_HINT}")
    if kind in ("mnist", "imagefolder") and base_dir is not None:
        data.source = f"{kind}:{_rebase(arg, base_dir)}"

    b = _check_keys(d.get("benchmark", {}), BENCH_KEYS, "[benchmark]")
    bench = BenchmarkSpec(
        threads=_positive(_typed(b, "threads", int, "[benchmark]", 1), "[benchmark].threads"),
        warmup=_positive(_typed(b, "warmup", int, "[benchmark]", 10), "[benchmark].warmup", True),
        runs=_positive(_typed(b, "runs", int, "[benchmark]", 50), "[benchmark].runs"),
    )

    variants: list[VariantSpec] = []
    raw_variants = d.get("variant", [])
    if not isinstance(raw_variants, list):
        raise RecipeError("variants are written as [[variant]] tables")
    for i, v in enumerate(raw_variants):
        where = f"[[variant]] #{i + 1}"
        _check_keys(v, VARIANT_KEYS, where)
        vname = _typed(v, "name", str, where)
        if not vname:
            raise RecipeError(f"{where} needs a name")
        where = f"variant {vname!r}"
        if any(x.name == vname for x in variants):
            raise RecipeError(f"two variants are named {vname!r}", "give each variant its own name")
        fmt = _typed(v, "format", str, where, "eager")
        FORMATS.get(fmt, where)
        conv = _typed(v, "convert", str, where, "export")
        CONVERTERS.get(conv, where)
        steps = []
        raw_steps = v.get("steps", [])
        if not isinstance(raw_steps, list):
            raise RecipeError(f"{where}: steps must be a list of inline tables", 'e.g. steps = [{ kind = "quantize", mode = "int8-static" }]')
        for s in raw_steps:
            if not isinstance(s, dict) or "kind" not in s:
                raise RecipeError(f"{where}: each step needs a kind", f"allowed kinds: {', '.join(STEPS.keys())}")
            entry = STEPS.get(s["kind"], where)
            opts = entry.resolve_options({k: val for k, val in s.items() if k != "kind"}, f"{where} step {s['kind']}")
            if base_dir is not None:
                for o in entry.options:
                    if o.path and isinstance(opts.get(o.key), str) and opts[o.key]:
                        opts[o.key] = _rebase(opts[o.key], base_dir)
            steps.append(StepSpec(s["kind"], opts))
        spec = VariantSpec(vname, fmt, conv, steps, bool(_typed(v, "enabled", bool, where, True)))
        check_variant(spec)
        variants.append(spec)

    e = _check_keys(d.get("export", {}), EXPORT_KEYS, "[export]")
    templates = []
    raw_templates = e.get("templates", [])
    if not isinstance(raw_templates, list):
        raise RecipeError(
            f"[export].templates must be a list, got {raw_templates!r}",
            'e.g. templates = ["android", "ios", "web"]',
        )
    for t in raw_templates:
        if isinstance(t, str):
            templates.append(TemplateSpec(t))
        elif isinstance(t, dict) and isinstance(t.get("platform"), str):
            _check_keys(t, {"platform", "runtime", "variant"}, "[export].templates entry")
            templates.append(TemplateSpec(t["platform"], t.get("runtime"), t.get("variant")))
        else:
            raise RecipeError(f"[export].templates entry {t!r} is not valid", 'use "android", "ios", "web" or { platform = "android", runtime = "pytorch-lite" }')
    for t in templates:
        check_template(t)
    export = ExportSpec(
        templates=templates,
        app_name=_typed(e, "app_name", str, "[export]", "Deploy Studio App"),
        variant=_typed(e, "variant", str, "[export]"),
        ios_branch=_typed(e, "ios_branch", str, "[export]"),
    )
    for chosen, where in [(export.variant, "[export].variant")] + [(t.variant, f"[export].templates {t.platform}") for t in templates]:
        if chosen and not any(v.name == chosen for v in variants):
            raise RecipeError(f"{where}: {chosen!r} is not a variant of this recipe", f"variants: {', '.join(v.name for v in variants)}")
    for t in templates:
        if t.variant:
            from deploy_studio.core.templates import PLATFORMS

            fmt = PLATFORMS[t.platform][t.runtime]
            v = next(v for v in variants if v.name == t.variant)
            if v.format != fmt:
                fitting = [x.name for x in variants if x.format == fmt]
                raise RecipeError(
                    f"[export].templates {t.platform}: the {t.runtime} runtime runs {fmt} artifacts, "
                    f"but variant {t.variant!r} is {v.format}",
                    f"{fmt} variants: {', '.join(fitting)}" if fitting else f"add a {fmt} variant",
                )

    g = _check_keys(d.get("gates", {}), GATE_KEYS, "[gates]")
    gates = Gates(
        max_accuracy_drop=_positive(_typed(g, "max_accuracy_drop", (int, float), "[gates]"), "[gates].max_accuracy_drop", True),
        max_size_bytes=_positive(_typed(g, "max_size_bytes", int, "[gates]"), "[gates].max_size_bytes"),
        max_latency_ms=_positive(_typed(g, "max_latency_ms", (int, float), "[gates]"), "[gates].max_latency_ms"),
        min_top1_agreement=False if g.get("min_top1_agreement") is False else
        _fraction(_typed(g, "min_top1_agreement", (int, float), "[gates]"), "[gates].min_top1_agreement"),
        min_snr_db=False if g.get("min_snr_db") is False else _typed(g, "min_snr_db", (int, float), "[gates]"),
    )
    return Recipe(name, model, data, bench, variants, export, gates, preprocess=preprocess)


def check_variant(spec: VariantSpec) -> None:
    """Reject an impossible combination of converter, steps and format before any work."""
    from deploy_studio.core.registry import FORMATS, STEPS

    where = f"variant {spec.name!r}"
    fmt = FORMATS.get(spec.format, where)
    converters = fmt.extra.get("converters")
    if spec.format == "eager" and spec.convert not in ("export",):
        pass  # eager ignores the converter
    elif converters and spec.convert not in converters:
        raise RecipeError(
            f"{where}: format {spec.format!r} cannot be made with convert = {spec.convert!r}",
            f"for {spec.format} use convert = {' or '.join(repr(c) for c in converters)}",
        )
    for i, step in enumerate(spec.steps):
        entry = STEPS.get(step.kind, where)
        check = getattr(entry.obj, "check", None)
        if check is not None:
            check(spec, i, step.options)


def check_template(t: TemplateSpec) -> None:
    from deploy_studio.core.templates import PLATFORMS, default_runtime

    if t.platform not in PLATFORMS:
        raise RecipeError(f"[export].templates: unknown platform {t.platform!r}", f"platforms: {', '.join(PLATFORMS)}")
    if t.runtime is None:
        t.runtime = default_runtime(t.platform)
    if t.runtime not in PLATFORMS[t.platform]:
        raise RecipeError(
            f"[export].templates: {t.platform} has no runtime {t.runtime!r}",
            f"{t.platform} runtimes: {', '.join(PLATFORMS[t.platform])}",
        )


def _rebase(p: str, base: Path) -> str:
    """Resolve a relative file path in a recipe against the recipe's folder (when it exists there)."""
    if p.startswith(("builtin:", "torchvision:")):
        return p
    path_part, suffix = p, ""
    head, sep, tail = p.rpartition(":")
    if sep and head.endswith(".py"):
        path_part, suffix = head, ":" + tail
    q = Path(path_part).expanduser()
    if not q.is_absolute() and (base / q).exists():
        q = base / q
    return str(q) + suffix


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe TOML file."""
    path = Path(path)
    if path.is_dir():
        raise RecipeError(f"recipe {path} is a folder, not a file", "pass the path of a .toml recipe")
    if not path.is_file():
        raise RecipeError(f"recipe {path} does not exist", "pass the path of a .toml recipe")
    import tomli  # TOML 1.1: the multi-line inline tables recipes use for steps

    try:
        d = tomli.loads(path.read_text(encoding="utf-8"))
    except (tomli.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RecipeError(f"{path} is not valid TOML: {e}", "check the line named above") from None
    recipe = parse_recipe(d, path.resolve().parent)
    recipe.path = path
    return recipe
