"""What the window's workers run: thin calls into ``core``, executed on pool threads.

Every function here takes a :class:`core.progress.Reporter` first and imports ``core``
lazily, so the main thread never pays for torch. They hold no engine logic: each one calls
the engine's own API (``load_model``, ``summarize``, ``load_dataset``, ``open_runner``,
``run_recipe``, ``run_variants``, ``export_apps``, ``write_report``) and returns plain data.
"""

from __future__ import annotations

import platform as _platform
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BUILTIN_MODELS = {
    "builtin:digits-cnn": "Digits demo (SimpleCNN, trained on scikit-learn digits)",
    "builtin:digits-cnn-small": "Digits student (small CNN, untrained)",
}
"""The Built-in menu's own models (spec -> menu text)."""

TORCHVISION_COMMON = [
    "mobilenet_v3_small", "mobilenet_v3_large", "mobilenet_v2", "resnet18", "resnet50",
    "efficientnet_b0", "squeezenet1_1", "shufflenet_v2_x0_5", "regnet_y_400mf",
    "convnext_tiny", "vit_b_16",
]
"""torchvision architectures shown first in the Built-in menu."""


@dataclass
class EngineInfo:
    """What the window needs from the engine's registries to render forms and menus."""

    steps: list = field(default_factory=list)  # core.registry.Entry
    formats: list = field(default_factory=list)
    converters: list = field(default_factory=list)
    platforms: dict[str, list[str]] = field(default_factory=dict)  # platform -> runtimes
    platform_formats: dict[str, dict[str, str]] = field(default_factory=dict)
    default_runtimes: dict[str, str] = field(default_factory=dict)
    torchvision: list[str] = field(default_factory=list)

    def step(self, key: str):
        return next(e for e in self.steps if e.key == key)

    def fmt(self, key: str):
        return next(e for e in self.formats if e.key == key)


def warm_up(reporter) -> EngineInfo:
    """Import the engine (torch, registries, templates) off the main thread."""
    reporter.progress("starting engine", 0.1, "importing torch")
    import deploy_studio.core.engine  # noqa: F401 - the import is the point
    import deploy_studio.core.recipe  # noqa: F401

    reporter.progress("starting engine", 0.5, "discovering steps and formats")
    from deploy_studio.core.registry import CONVERTERS, FORMATS, STEPS

    info = EngineInfo(steps=STEPS.entries(), formats=FORMATS.entries(), converters=CONVERTERS.entries())
    try:
        from deploy_studio.core.templates import PLATFORMS, default_runtime

        info.platforms = {p: list(rts) for p, rts in PLATFORMS.items()}
        info.platform_formats = {p: dict(rts) for p, rts in PLATFORMS.items()}
        info.default_runtimes = {p: default_runtime(p) for p in PLATFORMS}
    except Exception as e:  # noqa: BLE001 - templates are optional for the window to start
        reporter.log(f"app templates unavailable: {e}")
    reporter.progress("starting engine", 0.6, "loading runtimes and data readers")
    preload_runtimes(reporter)
    reporter.progress("starting engine", 0.8, "listing torchvision architectures")
    try:
        import torchvision

        info.torchvision = sorted(torchvision.models.list_models(module=torchvision.models))
    except Exception:  # noqa: BLE001
        info.torchvision = list(TORCHVISION_COMMON)
    reporter.progress("starting engine", 1.0, "ready")
    return info


def preload_runtimes(reporter) -> None:
    """Import what later jobs in this process load (native libraries, data readers) now.

    Importing a native library holds the GIL while it is mapped; done during a run it would
    stall the main thread for a few hundred ms, so it happens here, at start-up, once.
    """
    import importlib

    for name in ("PIL.Image", "sklearn.datasets", "deploy_studio.core.data.datasets", "deploy_studio.core.measure", "deploy_studio.core.apps",
                 "deploy_studio.core.report", "deploy_studio.core.build.job", "torch.jit.mobile", "onnxruntime",
                 "executorch.runtime", "executorch.extension.pybindings.portable_lib",
                 "multiprocessing.popen_spawn_posix", "jinja2"):
        reporter.check()
        try:
            importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - a missing optional runtime shows up when used
            reporter.log(f"could not preload {name}: {e}")


# --- models ---------------------------------------------------------------------------
_model_lock = threading.Lock()
_current_model: dict[str, Any] = {}


@dataclass
class ModelInfo:
    """A loaded model's summary (``core.models.summary.summarize``) and its spec.

    ``model`` (the :class:`core.models.LoadedModel`) becomes the one predictions run when the
    window accepts it (:func:`use_model`): a load that fails or is superseded changes nothing.
    """

    spec: dict
    summary: dict
    model: Any = field(default=None, repr=False, compare=False)


def use_model(info: ModelInfo) -> None:
    """Make ``info``'s model the current one (main thread, when the document takes it)."""
    with _model_lock:
        _current_model["model"] = info.model


def load_model_job(reporter, spec: dict) -> ModelInfo:
    """Load and validate a model (a real forward pass) and summarise it."""
    from deploy_studio.core.models import ModelSpec, load_model
    from deploy_studio.core.models.summary import summarize

    model = load_model(ModelSpec.from_dict(spec), reporter)
    reporter.progress("summarise model", 0.5)
    summary = summarize(model)
    return ModelInfo(model.spec.to_dict(), summary, model)


def load_recipe_job(reporter, path: str):
    """Read and validate a recipe file (registry checks need torch, hence off-thread)."""
    from deploy_studio.core.recipe import load_recipe

    reporter.progress("open recipe", 0.0, str(path))
    return load_recipe(path)


# --- samples ---------------------------------------------------------------------------
@dataclass
class Samples:
    """Held-out samples at model size, for thumbnails and predictions."""

    source: str
    images: np.ndarray  # uint8 [N, H, W, C]
    labels: np.ndarray | None
    classes: list[str]
    indices: np.ndarray  # indices into the dataset
    notes: list[str]


def load_samples_job(reporter, source: str, preprocess: dict, calibration: int,
                     evaluation: int, limit: int = 96) -> Samples:
    """The first ``limit`` held-out samples of ``source`` (the split the engine evaluates on),
    fitted to model size with the effective preprocessing (``Preprocess.to_dict()``)."""
    from deploy_studio.core.data import Preprocess, load_dataset

    reporter.progress("load samples", 0.0, source)
    pre = Preprocess.from_dict(preprocess)
    ds = load_dataset(source, pre, limit=None if source != "random" else max(64, calibration + evaluation))
    _, eval_idx = ds.split(calibration, evaluation)
    idx = eval_idx[:limit] if len(eval_idx) else np.arange(min(limit, len(ds)))
    reporter.progress("load samples", 1.0)
    return Samples(ds.name, ds.images[idx].copy(), None if ds.labels is None else ds.labels[idx].copy(),
                   list(ds.classes), idx, list(ds.notes))


def check_normalisation_job(reporter, source: str, preprocess: dict, calibration: int,
                            evaluation: int) -> list[dict]:
    """Held-out accuracy of the loaded model under the current preprocessing and the common
    normalisations (``core.session.normalisation_table``), best first."""
    import copy

    from deploy_studio.core.data import Preprocess, load_dataset
    from deploy_studio.core.session import normalisation_table

    with _model_lock:
        model = _current_model.get("model")
    if model is None:
        raise RuntimeError("no model is loaded")
    reporter.progress("check normalisation", 0.0, source)
    pre = Preprocess.from_dict(preprocess)
    ds = load_dataset(source, pre)
    if ds.labels is None:
        from deploy_studio.core.errors import DataError

        raise DataError(f"{source} has no labels: accuracy under each normalisation cannot be compared",
                        "choose a labelled data source (built-in digits, MNIST, an image folder with class folders)")
    _, eval_idx = ds.split(calibration, evaluation)
    probe = copy.copy(model)
    probe.preprocess = pre
    rows = normalisation_table(probe, ds, eval_idx)
    reporter.progress("check normalisation", 1.0)
    return rows


_runners: dict[tuple, Any] = {}
_runner_lock = threading.Lock()


def _runner_for(row: dict, out_dir: Path):
    from deploy_studio.core.runtimes import open_runner

    path = out_dir / row["artifact"]
    key = (row["runtime"], str(path), path.stat().st_mtime_ns if path.exists() else 0)
    with _runner_lock:
        if key not in _runners:
            for k in [k for k in _runners if k[1] == str(path)]:
                _runners.pop(k).close()
            _runners[key] = open_runner(row["runtime"], path, 1)
        return _runners[key]


OPTIMIZED_EAGER_NOTE = ("optimized eager model lives in the build process; "
                       "export it as pte/onnx to compare here")
"""Why an eager variant with steps has no prediction (its module is not in this process)."""


def not_runnable_note(row: dict) -> str:
    """Why a built artifact without a host runtime is not run: Core ML says so plainly."""
    if row.get("format") == "coreml":
        return f"Core ML: not runnable on {_platform.system() or 'this host'} (structural check only)"
    return f"{row.get('format', 'this format')}: no runtime on this host"


@dataclass
class Prediction:
    """One variant's top-3 on the selected sample and whether it agrees with the original."""

    variant: str
    top3: list[tuple[str, float]] | None
    agrees: bool | None
    note: str = ""


def predict_job(reporter, pixels: np.ndarray, rows: list[dict], out_dir: str | None,
                labels: list[str], preprocess: dict | None = None) -> tuple[list[tuple[str, float]], list[Prediction]]:
    """The original model's and each built variant's top-3 for one sample (batch-1 calls).

    Each artifact runs in its own runtime, as in the benchmark. Eager artifacts of plain
    fp32 variants are the original module. Two kinds are not run, and the note says why:
    Core ML (Core ML runs only on Apple platforms) and eager variants with optimization
    steps (the optimized module exists only in the child process that built it).
    """
    from deploy_studio.core.measure import topk
    from deploy_studio.core.runtimes import open_runner

    with _model_lock:
        model = _current_model.get("model")
    if model is None:
        raise RuntimeError("no model is loaded")
    from deploy_studio.core.data import Preprocess

    pre = Preprocess.from_dict(preprocess) if preprocess else model.preprocess
    x = pre.apply(pixels)[None]
    ref = open_runner("eager", None, 1, module=model.module).run(x)[0]
    ref_top = topk(ref, labels, 3)
    preds = []
    for row in rows:
        reporter.check()
        name = row["name"]
        if row.get("error") or not row.get("artifact"):
            preds.append(Prediction(name, None, None, "not built"))
            continue
        if row.get("runtime") is None:
            preds.append(Prediction(name, None, None, not_runnable_note(row)))
            continue
        try:
            if row["runtime"] == "eager":
                if row.get("steps"):
                    preds.append(Prediction(name, None, None, OPTIMIZED_EAGER_NOTE))
                    continue
                out = ref
            else:
                out = _runner_for(row, Path(out_dir)).run(x)[0]
        except Exception as e:  # noqa: BLE001 - one failing runtime must not hide the others
            preds.append(Prediction(name, None, None, f"failed: {str(e).splitlines()[0][:120]}"))
            continue
        top = topk(out, labels, 3)
        preds.append(Prediction(name, top, int(np.argmax(out)) == int(np.argmax(ref))))
    return ref_top, preds


# --- runs and exports ------------------------------------------------------------------
def run_job(reporter, recipe, out_dir: str, templates: bool) -> dict:
    """``core.engine.run_recipe`` in a child process: the report (also written to ``out_dir``)."""
    from deploy_studio.core.engine import run_recipe

    with _runner_lock:  # artifacts are about to be replaced
        for r in _runners.values():
            r.close()
        _runners.clear()
    return run_recipe(recipe, out_dir, reporter=reporter, isolate=True, templates=templates)


@dataclass
class ExportResult:
    """What an export wrote: the report, the artifacts and the app projects."""

    out_dir: str
    report: dict
    artifacts: list[str]
    apps: list[dict]


def export_job(reporter, recipe, variant_names: list[str], templates: list[tuple],
               app_name: str, out_dir: str, built_dir: str | None, built_rows: dict[str, dict]) -> ExportResult:
    """Ship chosen variants and render app projects into ``out_dir`` (``core.export``).

    ``templates`` holds ``(platform, runtime)`` or ``(platform, runtime, variant)``: the
    variant the app ships (None: the engine's ``ship_choice``). Variants already built by
    this window are copied from ``built_dir`` with their measured rows; the others are built
    by the engine.
    """
    from deploy_studio.core.export import export_results
    from deploy_studio.core.recipe import TemplateSpec, check_template

    rec = recipe.copy()
    rec.variants = [v for v in rec.variants if v.name in variant_names]
    rec.export.templates = []
    for platform, runtime, *chosen in templates:
        t = TemplateSpec(platform, runtime, chosen[0] if chosen else None)
        check_template(t)
        rec.export.templates.append(t)
    rec.export.app_name = app_name
    report = export_results(rec, out_dir, built_rows=built_rows, built_dir=built_dir, reporter=reporter)
    out = Path(out_dir)
    artifacts = [r["artifact"] for r in report["variants"] if r.get("artifact")]
    return ExportResult(str(out), report, artifacts, list(report.get("templates", [])))
