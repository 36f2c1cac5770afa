"""The recipe: everything a user set up (model, data, variants, export, gates) as TOML.

The GUI saves and opens it; ``deploy-studio run`` runs it: same engine, same numbers. Each
table is a dataclass below; its fields are the keys the table accepts, with their defaults and
rules (:mod:`deploy_studio.core.schema`), so :func:`parse_recipe` and :meth:`Recipe.to_dict`
are symmetric and there is one validation pass. Unknown keys are errors that name the key and
the allowed ones; every variant's steps are checked against the registries (and against each
other) before any work starts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy_studio.core.data.sources import SOURCES_HINT, check_source, rebase_source
from deploy_studio.core.errors import RecipeError
from deploy_studio.core.models.init_args import check as check_init_args
from deploy_studio.core.models.loaded import ModelSpec
from deploy_studio.core.schema import check_keys, keys_of, parse_table, rule, table_of

DATA_SOURCES_HINT = SOURCES_HINT


@dataclass
class DataSpec:
    """``[data]``: where samples come from and how they are split."""

    source: str = field(default="builtin:digits", metadata=rule(DATA_SOURCES_HINT))
    calibration_samples: int = field(
        default=128, metadata=rule("samples for calibration and training", minimum=0)
    )
    eval_samples: int = field(
        default=500, metadata=rule("held-out samples for accuracy and parity", minimum=0)
    )


@dataclass
class BenchmarkSpec:
    """``[benchmark]``: how latency is measured."""

    threads: int | list[int] = field(
        default=1,
        metadata=rule(
            "threads of every runtime; a list measures latency at each count (the first is the "
            "headline latency)",
            minimum=1,
            example="threads = [1, 2, 4]",
        ),
    )
    warmup: int = field(default=10, metadata=rule("untimed runs first", minimum=0))
    runs: int = field(
        default=50, metadata=rule("timed runs (more while the p50 is not known to +-2%)", minimum=1)
    )
    profile: bool = field(
        default=False,
        metadata=rule(
            "also profile each runnable variant: per-operator times, peak memory and load "
            "time (slower; see core/profile)"
        ),
    )

    @property
    def thread_counts(self) -> list[int]:
        """Every thread count latency is measured at, the headline's first."""
        return list(self.threads) if isinstance(self.threads, list) else [int(self.threads)]

    @property
    def headline_threads(self) -> int:
        """The thread count of the headline latency (``latency_ms``)."""
        return self.thread_counts[0]

    @property
    def scaling(self) -> bool:
        """Whether the recipe asked for latency at a list of thread counts."""
        return isinstance(self.threads, list)

    def set_headline_threads(self, n: int) -> None:
        """Make ``n`` the headline count (a list keeps its other counts after it)."""
        if self.scaling:
            self.threads = [int(n)] + [t for t in self.thread_counts if t != int(n)]
        else:
            self.threads = int(n)

    def report_dict(self) -> dict:
        """The report's ``benchmark`` table: ``threads`` is the headline count (an integer for
        every consumer); ``thread_counts`` lists every count when the recipe gave a list."""
        d: dict[str, object] = {
            "threads": self.headline_threads,
            "warmup": self.warmup,
            "runs": self.runs,
        }
        if self.scaling:
            d["thread_counts"] = self.thread_counts
        if self.profile:
            d["profile"] = True
        return d


def check_thread_counts(bench: BenchmarkSpec) -> None:
    """A list of thread counts: not empty, positive integers (checked by the type), no repeats."""
    if not isinstance(bench.threads, list):
        return
    hint = "e.g. threads = [1, 2, 4] (the first is the headline latency), or one integer"
    if not bench.threads:
        raise RecipeError("[benchmark].threads is an empty list", hint)
    repeated = sorted({t for t in bench.threads if bench.threads.count(t) > 1})
    if repeated:
        raise RecipeError(
            f"[benchmark].threads lists {', '.join(map(str, repeated))} more than once", hint
        )


@dataclass
class StepSpec:
    """One optimization step: its registry ``kind`` and its options (defaults filled)."""

    kind: str
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **self.options}


@dataclass
class VariantSpec:
    """One ``[[variant]]``: a named, ordered list of steps producing one artifact in ``format``."""

    name: str = field(metadata=rule("the variant's name", required=True, example='"int8-pte"'))
    format: str = "eager"
    convert: str = "export"
    steps: list[StepSpec] = field(default_factory=list)
    enabled: bool = True
    format_options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        from deploy_studio.core.formats.contract import converts

        d: dict[str, Any] = {"name": self.name, "format": self.format}
        if converts(self.format):
            d["convert"] = self.convert
        if self.steps:
            d["steps"] = [s.to_dict() for s in self.steps]
        if not self.enabled:
            d["enabled"] = False
        if self.format_options:
            d["format_options"] = dict(self.format_options)
        return d


@dataclass
class TemplateSpec:
    """One app project: its platform, runtime and (optionally) the variant it ships."""

    platform: str = field(metadata=rule("android, ios or web", required=True))
    runtime: str | None = None
    variant: str | None = None

    def to_toml(self):
        if self.runtime is None and self.variant is None:
            return self.platform
        return table_of(self)


LITERT_ACCELERATORS = ("cpu", "gpu")
"""``[export] litert_accelerator`` values (the Android LiteRT app's CompiledModel accelerator)."""


@dataclass
class ExportSpec:
    """``[export]``: the app projects a run renders."""

    templates: list[TemplateSpec] = field(default_factory=list)
    app_name: str = "Deploy Studio App"
    variant: str | None = None  # which variant's artifact goes into the apps (default: ship_choice)
    ios_branch: str | None = None
    # platform -> the ONNX Runtime execution provider its onnxruntime app adds, e.g.
    # { android = "nnapi", ios = "coreml" } (core.templates.providers; default cpu)
    onnxruntime_providers: dict[str, str] | None = None
    # the Android LiteRT app's accelerator: "gpu" tries LiteRT's GPU accelerator first and
    # falls back to the CPU (XNNPACK) when the device has none or it cannot compile the model
    litert_accelerator: str = field(
        default="cpu",
        metadata=rule(
            "the Android LiteRT app's accelerator: cpu or gpu", choices=LITERT_ACCELERATORS
        ),
    )


@dataclass
class Gates:
    """``[gates]``: limits per variant; None means "not set" (the fidelity gates then use
    their defaults, see :mod:`deploy_studio.core.gates`; ``false`` turns a default gate off)."""

    max_accuracy_drop: float | None = field(
        default=None, metadata=rule("fraction of top-1, e.g. 0.01", minimum=0)
    )
    max_metric_drop: float | None = field(
        default=None,
        metadata=rule(
            "drop of the task's metric vs the original (mean IoU, mAP@0.5: fraction; "
            "MAE: increase), e.g. 0.02",
            minimum=0,
        ),
    )
    max_size_bytes: int | None = field(
        default=None, metadata=rule("bytes the app ships", minimum=1)
    )
    max_latency_ms: float | None = field(
        default=None, metadata=rule("p50 in ms", minimum=0, exclusive_minimum=True)
    )
    min_top1_agreement: float | None = field(
        default=None,
        metadata=rule(
            "fraction of samples with the original's top-1, e.g. 0.95",
            minimum=0,
            maximum=1,
            allow_false=True,
        ),
    )
    min_snr_db: float | None = field(
        default=None, metadata=rule("output SNR in dB, e.g. 20", allow_false=True)
    )


@dataclass
class Recipe:
    """A whole recipe (``path`` is where it was read from or saved to, not part of it)."""

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
        """The TOML tables; :func:`parse_recipe` reads them back to an equal recipe."""
        model = table_of(self.model)
        model["trust"] = bool(self.model.trust)
        d: dict[str, Any] = {
            "name": self.name,
            "model": model,
            "data": table_of(self.data),
            "benchmark": table_of(self.benchmark),
            "variant": [v.to_dict() for v in self.variants],
        }
        if self.preprocess:
            d["preprocess"] = dict(self.preprocess)
        export = table_of(self.export, skip=("templates",))
        export["templates"] = [t.to_toml() for t in self.export.templates]
        d["export"] = export
        gates = table_of(self.gates)
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


TOP_KEYS = ("name", "model", "data", "preprocess", "benchmark", "variant", "export", "gates")


def parse_recipe(d: dict, base_dir: Path | None = None) -> Recipe:
    """Validate a recipe dict (from TOML) and build a :class:`Recipe` (one pass, every table).

    ``base_dir`` (the recipe's folder) resolves relative paths: the model, its weights, data
    folders and step options that name files (a distill student).
    """
    from deploy_studio.core.data.preprocess import parse_overrides

    check_keys(d, TOP_KEYS, "the recipe")
    name = d.get("name", "untitled")
    if not isinstance(name, str):
        raise RecipeError(f"the recipe's name must be text, got {name!r}")
    model = parse_table(ModelSpec, d.get("model", {}), "[model]")
    if not model.source:
        raise RecipeError("[model] needs source", 'e.g. source = "builtin:digits-cnn"')
    if model.output is not None:
        model.output = str(model.output)
    model.init_args = check_init_args(model.init_args, "[model].init_args")
    if model.inputs is not None:
        from deploy_studio.core.models.signature import parse_inputs

        if model.input_shape is not None:
            raise RecipeError(
                "[model] has both input_shape and inputs",
                "keep inputs (input_shape is the shorthand for one float32 input)",
            )
        model.inputs = [i.to_dict() for i in parse_inputs(model.inputs, "[model].inputs")]
    if model.task is not None:
        from deploy_studio.core.tasks import TASK_NAMES

        if model.task not in TASK_NAMES:
            raise RecipeError(
                f"[model].task {model.task!r} is not a task",
                "use one of " + ", ".join(TASK_NAMES) + " (or leave it out to guess it)",
            )
    if base_dir is not None:
        model.source = _rebase(model.source, base_dir)
        model.weights = _rebase(model.weights, base_dir) if model.weights else None
    preprocess = parse_overrides(d.get("preprocess", {}))
    data = parse_table(DataSpec, d.get("data", {}), "[data]")
    check_source(data.source)
    if base_dir is not None:
        data.source = rebase_source(data.source, lambda p: _rebase(p, base_dir))
    bench = parse_table(BenchmarkSpec, d.get("benchmark", {}), "[benchmark]")
    check_thread_counts(bench)
    variants = _parse_variants(d.get("variant", []), base_dir)
    export = _parse_export(d.get("export", {}), variants)
    gates = parse_table(Gates, d.get("gates", {}), "[gates]")
    return Recipe(name, model, data, bench, variants, export, gates, preprocess=preprocess)


def _parse_variants(raw: Any, base_dir: Path | None) -> list[VariantSpec]:
    from deploy_studio.core.registry import CONVERTERS, FORMATS, STEPS

    if not isinstance(raw, list):
        raise RecipeError("variants are written as [[variant]] tables")
    variants: list[VariantSpec] = []
    for i, v in enumerate(raw):
        where = f"[[variant]] #{i + 1}"
        check_keys(v, keys_of(VariantSpec), where)
        if not isinstance(v.get("name"), str) or not v.get("name"):
            raise RecipeError(f"{where} needs a name", 'e.g. name = "int8-pte"')
        where = f"variant {v['name']!r}"
        if any(x.name == v["name"] for x in variants):
            raise RecipeError(
                f"two variants are named {v['name']!r}", "give each variant its own name"
            )
        raw_steps = v.get("steps", [])
        if not isinstance(raw_steps, list):
            raise RecipeError(
                f"{where}: steps must be a list of inline tables",
                'e.g. steps = [{ kind = "quantize", mode = "int8-static" }]',
            )
        steps = []
        for s in raw_steps:
            if not isinstance(s, dict) or "kind" not in s:
                raise RecipeError(
                    f"{where}: each step needs a kind", f"allowed kinds: {', '.join(STEPS.keys())}"
                )
            entry = STEPS.get(s["kind"], where)
            opts = entry.resolve_options(
                {k: val for k, val in s.items() if k != "kind"}, f"{where} step {s['kind']}"
            )
            if base_dir is not None:
                for o in entry.options:
                    if o.path and isinstance(opts.get(o.key), str) and opts[o.key]:
                        opts[o.key] = _rebase(opts[o.key], base_dir)
            steps.append(StepSpec(s["kind"], opts))
        spec = parse_table(VariantSpec, v, where, skip=("steps",), steps=steps)
        fmt = FORMATS.get(spec.format, where)
        CONVERTERS.get(spec.convert, where)
        if fmt.options:  # checked here; the format fills in its defaults when it builds
            spec.format_options = fmt.resolve_options(
                spec.format_options, f"{where} format_options", defaults=False
            )
        elif spec.format_options:
            raise RecipeError(
                f"{where}: format {spec.format!r} takes no format_options", "remove format_options"
            )
        check_variant(spec)
        variants.append(spec)
    return variants


def _parse_export(table: Any, variants: list[VariantSpec]) -> ExportSpec:
    e = check_keys(table, keys_of(ExportSpec), "[export]")
    raw = e.get("templates", [])
    if not isinstance(raw, list):
        raise RecipeError(
            f"[export].templates must be a list, got {raw!r}",
            'e.g. templates = ["android", "ios", "web"]',
        )
    templates = []
    for t in raw:
        if isinstance(t, str):
            templates.append(TemplateSpec(t))
        elif isinstance(t, dict):
            templates.append(parse_table(TemplateSpec, t, "[export].templates entry"))
        else:
            raise RecipeError(
                f"[export].templates entry {t!r} is not valid",
                'use "android", "ios", "web" or { platform = "android", runtime = "pytorch-lite" }',
            )
    for t in templates:
        check_template(t)
    export = parse_table(ExportSpec, e, "[export]", skip=("templates",), templates=templates)
    from deploy_studio.core.templates.providers import check_providers

    export.onnxruntime_providers = check_providers(export.onnxruntime_providers)
    names = [v.name for v in variants]
    for chosen, where in [(export.variant, "[export].variant")] + [
        (t.variant, f"[export].templates {t.platform}") for t in templates
    ]:
        if chosen and chosen not in names:
            raise RecipeError(
                f"{where}: {chosen!r} is not a variant of this recipe",
                f"variants: {', '.join(names)}",
            )
    for t in templates:
        if t.variant:
            from deploy_studio.core.templates import PLATFORMS

            fmt = PLATFORMS[t.platform][str(t.runtime)]
            v = next(v for v in variants if v.name == t.variant)
            if v.format != fmt:
                fitting = [x.name for x in variants if x.format == fmt]
                raise RecipeError(
                    f"[export].templates {t.platform}: the {t.runtime} runtime runs {fmt} artifacts, "
                    f"but variant {t.variant!r} is {v.format}",
                    f"{fmt} variants: {', '.join(fitting)}" if fitting else f"add a {fmt} variant",
                )
    return export


def skip_uninstalled(recipe: Recipe) -> list[str]:
    """Disable the variants whose format needs an optional package that is not installed (the
    bundled demo's LiteRT variant without ``.[litert]``); returns one message per variant."""
    from deploy_studio.core.registry import FORMATS

    skipped = []
    for v in recipe.enabled_variants():
        missing = FORMATS.get(v.format).obj.missing()
        if missing:
            v.enabled = False
            skipped.append(f"skipped variant {v.name!r}: {missing}")
    return skipped


def check_variant(spec: VariantSpec) -> None:
    """Reject an impossible combination of converter, steps and format before any work."""
    from deploy_studio.core.registry import FORMATS, STEPS

    where = f"variant {spec.name!r}"
    fmt = FORMATS.get(spec.format, where).obj
    converters = fmt.converters  # none: the format takes the module as it is
    if converters and spec.convert not in converters:
        raise RecipeError(
            f"{where}: format {spec.format!r} cannot be made with convert = {spec.convert!r}",
            f"for {spec.format} use convert = {' or '.join(repr(c) for c in converters)}",
        )
    fmt.options_for(spec)  # format_options: known keys, typed values
    check_step_order(spec)
    for i, step in enumerate(spec.steps):
        entry = STEPS.get(step.kind, where)
        check = getattr(entry.obj, "check", None)
        if check is not None:
            check(spec, i, step.options)


def step_order(kind: str) -> int | None:
    """Where a step of ``kind`` runs among a variant's steps: the ``order`` its registration
    declares (``@STEPS.register("prune", order=20, ...)``; lower runs first), None when free."""
    from deploy_studio.core.registry import STEPS

    return STEPS.get(kind).extra.get("order")


def step_insert_index(steps: list[StepSpec], kind: str) -> int:
    """Where a new step of ``kind`` goes in ``steps``: before the first step that must run
    after it (at the end when none must, or when its order is free)."""
    order = step_order(kind)
    if order is not None:
        for i, s in enumerate(steps):
            later = step_order(s.kind)
            if later is not None and later > order:
                return i
    return len(steps)


def check_step_order(spec: VariantSpec) -> None:
    """Reject steps out of their declared order (quantize before prune, prune before distill)."""
    from deploy_studio.core.registry import STEPS

    where = f"variant {spec.name!r}"
    ordered = sorted(
        (e for e in STEPS.entries() if e.extra.get("order") is not None),
        key=lambda e: e.extra["order"],
    )
    orders = [STEPS.get(s.kind, where).extra.get("order") for s in spec.steps]
    for i, (step, order) in enumerate(zip(spec.steps, orders, strict=True)):
        for later, later_order in zip(spec.steps[i + 1 :], orders[i + 1 :], strict=True):
            if order is None or later_order is None or later_order >= order:
                continue
            first = [e.key for e in reversed(ordered) if e.extra["order"] < order]
            why = STEPS.get(later.kind).extra.get("order_reason")
            raise RecipeError(
                f"{where}: {step.kind} must come after "
                + " and ".join(filter(None, [", ".join(first[:-1]), first[-1]])),
                f"steps run in the order {' → '.join(e.key for e in ordered)}: move {step.kind} "
                f"after {later.kind}" + (f" ({why})" if why else ""),
            )


def check_template(t: TemplateSpec) -> None:
    from deploy_studio.core.templates import PLATFORMS, default_runtime

    if t.platform not in PLATFORMS:
        raise RecipeError(
            f"[export].templates: unknown platform {t.platform!r}",
            f"platforms: {', '.join(PLATFORMS)}",
        )
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
        raise RecipeError(
            f"recipe {path} is a folder, not a file", "pass the path of a .toml recipe"
        )
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
