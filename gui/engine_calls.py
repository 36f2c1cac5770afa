"""What the window's pool threads run: thin calls into the engine.

Every function here takes a :class:`deploy_studio.core.progress.Reporter` first (and the window's worker,
:class:`deploy_studio.core.worker.Worker`, where a model is involved) and imports ``core``
lazily, so the main thread never pays for torch. They hold no engine logic: models, samples,
predictions, runs and exports are requests to the worker process, which owns the model; the
window process never loads ExecuTorch or ONNX Runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from deploy_studio.core.report.model import AppResult, Report, VariantResult

BUILTIN_MODELS = {
    "builtin:digits-cnn": "Digits demo (SimpleCNN, trained on scikit-learn digits)",
    "builtin:digits-cnn-small": "Digits student (small CNN, untrained)",
}
"""The Built-in menu's own models (spec -> menu text)."""

TORCHVISION_COMMON = [
    "mobilenet_v3_small",
    "mobilenet_v3_large",
    "mobilenet_v2",
    "resnet18",
    "resnet50",
    "efficientnet_b0",
    "squeezenet1_1",
    "shufflenet_v2_x0_5",
    "regnet_y_400mf",
    "convnext_tiny",
    "vit_b_16",
]
"""torchvision architectures shown first in the Built-in menu."""

TORCHVISION_TASKS = {
    "lraspp_mobilenet_v3_large": "segmentation",
    "deeplabv3_mobilenet_v3_large": "segmentation",
    "fcn_resnet50": "segmentation",
    "ssdlite320_mobilenet_v3_large": "detection",
}
"""torchvision segmentation and detection architectures (arch -> task) in the Built-in menu."""


@dataclass
class DemoRecipe:
    """A bundled demo recipe (``resources/recipes/<name>.toml``) as the Built-in menu lists it."""

    path: Path
    name: str  # the recipe's ``name``
    task: str | None  # its ``[model] task``
    about: str  # its opening comment

    @property
    def label(self) -> str:
        return f"{self.name} ({self.task})" if self.task else self.name


def task_demos() -> list[DemoRecipe]:
    """The bundled demo recipes besides the digits demo (``demo.toml``), by file name. Read
    as plain TOML (no validation: opening one validates it, as File ▸ Open Recipe does)."""
    import tomllib
    from itertools import takewhile

    from deploy_studio.core.fsutil import resource_path

    out = []
    for path in sorted(resource_path("recipes").glob("*.toml")):
        if path.name == "demo.toml":
            continue
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue  # a broken bundled file must not break the menu
        about = " ".join(
            line.lstrip("#").strip()
            for line in takewhile(lambda t: t.startswith("#"), text.splitlines())
        )
        task = (data.get("model") or {}).get("task")
        out.append(DemoRecipe(path, str(data.get("name") or path.stem), task, about))
    return out


@dataclass
class EngineInfo:
    """What the window needs from the engine's registries to render forms and menus."""

    steps: list = field(default_factory=list)  # core.registry.Entry
    formats: list = field(default_factory=list)
    converters: list = field(default_factory=list)
    platforms: dict[str, list[str]] = field(default_factory=dict)  # platform -> runtimes
    platform_formats: dict[str, dict[str, str]] = field(default_factory=dict)
    default_runtimes: dict[str, str] = field(default_factory=dict)
    # platform -> runtime -> the ONNX Runtime execution providers its app can add (default first)
    execution_providers: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    torchvision: list[str] = field(default_factory=list)

    def step(self, key: str):
        return next(e for e in self.steps if e.key == key)

    def fmt(self, key: str):
        return next(e for e in self.formats if e.key == key)


def warm_up(reporter) -> EngineInfo:
    """Import the engine's recipe rules and registries (torch) off the main thread.

    Nothing that runs a model is imported here: ExecuTorch and ONNX Runtime live only in the
    window's worker process (:mod:`deploy_studio.core.worker`).
    """
    reporter.progress("starting engine", 0.1, "importing torch")
    import deploy_studio.core.engine
    import deploy_studio.core.recipe  # noqa: F401

    reporter.progress("starting engine", 0.5, "discovering steps and formats")
    from deploy_studio.core.registry import CONVERTERS, FORMATS, STEPS

    info = EngineInfo(
        steps=STEPS.entries(), formats=FORMATS.entries(), converters=CONVERTERS.entries()
    )
    try:
        from deploy_studio.core.templates import PLATFORMS, default_runtime

        info.platforms = {p: list(rts) for p, rts in PLATFORMS.items()}
        info.platform_formats = {p: dict(rts) for p, rts in PLATFORMS.items()}
        info.default_runtimes = {p: default_runtime(p) for p in PLATFORMS}
        from deploy_studio.core.templates.providers import RUNTIME, provider_choices

        info.execution_providers = {p: {RUNTIME: list(c)} for p, c in provider_choices().items()}
    except Exception as e:  # noqa: BLE001 - templates are optional for the window to start
        reporter.log(f"app templates unavailable: {e}")
    reporter.progress("starting engine", 0.6, "loading data readers")
    preload(reporter)
    reporter.progress("starting engine", 0.8, "listing torchvision architectures")
    try:
        import torchvision

        info.torchvision = sorted(torchvision.models.list_models(module=torchvision.models))
    except Exception:  # noqa: BLE001
        info.torchvision = list(TORCHVISION_COMMON)
    reporter.progress("starting engine", 1.0, "ready")
    return info


def preload(reporter) -> None:
    """Import what later jobs in this process use (the worker client, reports) now.

    Importing holds the GIL; done during a run it would stall the main thread, so it happens
    here, at start-up, once. No runtime (ExecuTorch, ONNX Runtime) is among them.
    """
    import importlib

    for name in (
        "PIL.Image",
        "deploy_studio.core.report",
        "deploy_studio.core.worker",
        "deploy_studio.core.worker.requests",
        "deploy_studio.core.shipping",
        "multiprocessing.popen_spawn_posix",
        "jinja2",
    ):
        reporter.check()
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a missing module shows up when used
            reporter.log(f"could not preload {name}: {e}")


def new_worker():
    """The window's worker process (one per window; restarted after a crash or a cancel)."""
    from deploy_studio.core.worker import Worker

    return Worker()


# --- models ---------------------------------------------------------------------------
@dataclass
class ModelInfo:
    """A loaded model's summary (``core.models.summary.summarize``) and its spec."""

    spec: dict
    summary: dict


def load_model_job(reporter, worker, spec: dict) -> ModelInfo:
    """Load and validate a model in the worker (a real forward pass) and summarise it."""
    from deploy_studio.core.models.loaded import ModelSpec
    from deploy_studio.core.worker.requests import LoadModel

    answer = worker.call(LoadModel(ModelSpec.from_dict(spec)), reporter.emit, reporter.cancel)
    return ModelInfo(answer["spec"], answer["summary"])


def load_recipe_job(reporter, path: str):
    """Read and validate a recipe file (registry checks need torch, hence off-thread)."""
    from deploy_studio.core.recipe import load_recipe

    reporter.progress("open recipe", 0.0, str(path))
    return load_recipe(path)


# --- samples ---------------------------------------------------------------------------
def load_samples_job(reporter, worker, recipe, limit: int | None = None):
    """The first ``limit`` (default ``requests.SAMPLES_SHOWN``) held-out samples of the
    recipe's data (the split the engine evaluates on), fitted to model size with its
    preprocessing (``requests.Samples``)."""
    from deploy_studio.core.worker.requests import LoadSamples

    reporter.progress("load samples", 0.0, recipe.data.source)
    request = LoadSamples(recipe) if limit is None else LoadSamples(recipe, limit)
    return worker.call(request, reporter.emit, reporter.cancel)


def check_normalisation_job(reporter, worker, recipe) -> list[dict]:
    """Held-out accuracy of the recipe's model under its preprocessing and the common
    normalisations (``core.session.normalisation_table``), best first."""
    from deploy_studio.core.worker.requests import CheckNormalisation

    return worker.call(CheckNormalisation(recipe), reporter.emit, reporter.cancel)


def predict_job(
    reporter,
    worker,
    recipe,
    pixels: np.ndarray,
    rows: list[VariantResult | dict],
    out_dir: str | None,
    labels: list[str],
):
    """The original model's and each built variant's top-3 for one sample, each artifact in
    its own runtime, in the worker (``(original top-3, [requests.Prediction])``). The rows
    cross to the worker process as plain data, as every request does."""
    from deploy_studio.core.report.model import as_row
    from deploy_studio.core.worker.requests import Predict

    plain = [as_row(r).to_dict() for r in rows]
    return worker.call(
        Predict(recipe, pixels, plain, out_dir, labels), reporter.emit, reporter.cancel
    )


# --- runs and exports ------------------------------------------------------------------
def run_job(reporter, worker, recipe, out_dir: str, templates: bool) -> Report:
    """``core.engine.run_recipe`` in the window's worker: the typed report (also written to
    ``out_dir`` as report.json)."""
    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.report.model import Report

    return Report.from_dict(
        run_recipe(recipe, out_dir, reporter=reporter, templates=templates, worker=worker)
    )


@dataclass
class ExportResult:
    """What an export wrote: the report (``core.report.model.Report``), the artifacts and the
    app projects (``AppResult``)."""

    out_dir: str
    report: Report
    artifacts: list[str]
    apps: list[AppResult]


def export_job(
    reporter,
    worker,
    recipe,
    variant_names: list[str],
    templates: list[tuple],
    app_name: str,
    out_dir: str,
    built_dir: str | None,
    built_rows: dict[str, VariantResult],
) -> ExportResult:
    """Ship chosen variants and render app projects into ``out_dir`` (``deploy_studio.core.shipping``).

    ``templates`` holds ``(platform, runtime)`` or ``(platform, runtime, variant)``: the
    variant the app ships (None: the engine's ``ship_choice``). Variants already built by
    this window (``built_rows``: name -> ``VariantResult``) are copied from ``built_dir`` with
    their measured rows; the others are built by the engine.
    """
    from deploy_studio.core.recipe import TemplateSpec, check_template
    from deploy_studio.core.report.model import Report
    from deploy_studio.core.shipping import ship_results

    rec = recipe.copy()
    rec.variants = [v for v in rec.variants if v.name in variant_names]
    rec.export.templates = []
    for platform, runtime, *chosen in templates:
        t = TemplateSpec(platform, runtime, chosen[0] if chosen else None)
        check_template(t)
        rec.export.templates.append(t)
    rec.export.app_name = app_name
    report = Report.from_dict(
        ship_results(
            rec,
            out_dir,
            built_rows=built_rows,
            built_dir=built_dir,
            reporter=reporter,
            worker=worker,
        )
    )
    artifacts = [r.artifact for r in report.variants if r.artifact]
    return ExportResult(str(Path(out_dir)), report, artifacts, list(report.templates))
