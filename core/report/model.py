"""The report, typed: one module defines every part of report.json (schema 1).

The engine builds these objects; ``to_dict`` writes today's schema-1 keys (the public
contract: ``report.schema.json`` beside this file describes it and the tests validate every
report they produce against it); ``from_dict`` reads them back (the window receives rows as
plain data from the worker). Step-specific data lives under a row's ``step_data`` key,
namespaced by step kind (``{"prune": {...}, "distill": {...}, "quantize": {"sensitivity": [...]}}``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

SCHEMA = 1


def _known(cls, d: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in d.items() if k in names}


@dataclass
class Latency:
    """Batch-1 latency in ms after ``warmup`` untimed calls; ``p50_ci`` is the 95% interval."""

    p10: float | None
    p50: float | None
    p90: float | None
    mean: float | None
    runs: int
    threads: int
    warmup: int
    requested_runs: int | None = None
    p50_ci: list[float] | None = None
    ci_rel: float | None = None
    stable: bool | None = None
    samples_ms: list[float] = field(default_factory=list, repr=False)

    def to_dict(self, samples: bool = False) -> dict:
        d = asdict(self)
        if not samples:
            d.pop("samples_ms")
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> Latency | None:
        if d is None:
            return None
        partial = {"p10": None, "p50": None, "p90": None, "mean": None, "runs": 0, "threads": 1}
        return cls(**{**partial, "warmup": 0, **_known(cls, d)})


@dataclass
class Accuracy:
    """The task's figures on ``samples`` held-out samples (None without labels).

    ``top1`` is a classifier's top-1 accuracy (fraction). ``metric`` names the task's metric
    (``top1``, ``miou``, ``map50``, ``mae``, ``cosine``...), ``value`` is its value,
    ``metrics`` every figure the task measured and ``metric_drop`` how much worse ``value``
    is than the original model's (positive: worse, in the metric's own unit).
    """

    top1: float | None
    samples: int
    metric: str | None = None
    value: float | None = None
    metrics: dict[str, float | None] | None = None
    metric_drop: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("metric", "value", "metrics", "metric_drop"):
            if d[k] is None:
                d.pop(k)
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> Accuracy | None:
        return None if d is None else cls(**{"top1": None, "samples": 0, **_known(cls, d)})


@dataclass
class Parity:
    """How an artifact reproduces the original model on the same samples (see core.measure).

    The top-level figures are the task output's (the model's only output, or the one
    ``[model] output`` names); a model with several outputs also gets ``outputs``: per named
    output ``max_abs_diff``, ``snr_db``, ``cosine`` and ``samples``. ``agreement`` is the
    task's fidelity figure (``agreement_kind``: top-1, pixel or matched-box agreement), equal
    to ``top1_agreement`` for a classifier; tasks judged by cosine and SNR have none.
    """

    max_abs_diff: float | None
    top1_agreement: float | None
    snr_db: float | None
    samples: int
    meaningful: bool = True
    note: str | None = None
    outputs: dict[str, dict] | None = None
    agreement: float | None = None
    agreement_kind: str | None = None
    cosine: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("note", "outputs", "agreement", "agreement_kind", "cosine"):
            if d[k] is None:
                d.pop(k)
        return d

    @classmethod
    def from_dict(cls, d: dict | None) -> Parity | None:
        if d is None:
            return None
        partial = {"max_abs_diff": None, "top1_agreement": None, "snr_db": None, "samples": 0}
        return cls(**{**partial, **_known(cls, d)})


@dataclass
class VariantResult:
    """One variant's row: what was built and what was measured (a failed variant keeps its
    row with ``error`` set and null measurements).

    ``not_runnable`` says why a built artifact was not run on this host (a Core ML- or
    Vulkan-delegated ``.pte``): it has a size, no latency or accuracy. ``coverage`` is an
    ExecuTorch program's partition coverage: ``{delegate, ops_delegated, ops_total,
    flops_delegated_share, undelegated: {op: count}}`` (see ``core/formats/pte_coverage.py``),
    with ``hints`` (what to try) when a common op among them runs on portable kernels.
    ``profile``, ``memory`` and ``load_ms`` are set with ``[benchmark] profile = true``: the
    per-operator profile (``Profile.to_dict``), ``{peak_rss_bytes, baseline_rss_bytes,
    planned_bytes}`` and ``{cold, warm}`` (see ``core/profile``).
    ``threads_scaling`` (with ``[benchmark] threads = [...]``) is the latency at each thread
    count: ``[{threads, p50, p90, runs, applied}]``, ``applied`` being the count the runtime
    reported it ran with; the first entry is ``latency_ms``'s.
    ``cost`` (every row with a latency) is the cost model of one inference (see
    ``core/cost``): ``{flops, weight_bytes, gflops_per_s, intensity, bound, of_peak, method}``
    -- FLOPs (a multiply-add is 2), bytes of weights read at the artifact's storage precision
    (``method`` says how they were counted), FLOPs / p50, FLOPs per weight byte, "compute" or
    "memory" against the host's balance and the achieved share of the attainable GFLOP/s
    (the report's ``host_limits``).
    """

    name: str
    format: str
    convert: str | None = None
    steps: list[dict] = field(default_factory=list)
    format_options: dict = field(default_factory=dict)
    artifact: str | None = None
    files: list[str] = field(default_factory=list)
    size_bytes: int | None = None
    params: int | None = None
    runtime: str | None = None
    delegates: list[str] = field(default_factory=list)
    not_runnable: str | None = None
    coverage: dict | None = None
    profile: dict | None = None
    memory: dict | None = None
    load_ms: dict | None = None
    latency_ms: Latency | None = None
    threads_scaling: list[dict] | None = None
    cost: dict | None = None
    accuracy: Accuracy | None = None
    parity: Parity | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    build_seconds: float | None = None
    step_data: dict[str, Any] = field(default_factory=dict)
    cached: dict | None = None
    traceback: str | None = None

    # --- the numbers everyone reads ----------------------------------------------------
    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def p50(self) -> float | None:
        return self.latency_ms.p50 if self.latency_ms else None

    @property
    def top1(self) -> float | None:
        return self.accuracy.top1 if self.accuracy else None

    @property
    def agreement(self) -> float | None:
        """The task's agreement with the original (top-1, pixel, matched boxes)."""
        if not self.parity:
            return None
        if self.parity.agreement is not None:
            return self.parity.agreement
        return self.parity.top1_agreement

    @property
    def metric(self) -> float | None:
        """The task's metric (top-1, mean IoU, mAP@0.5, MAE...)."""
        if not self.accuracy:
            return None
        return self.accuracy.value if self.accuracy.metric else self.accuracy.top1

    @property
    def metric_drop(self) -> float | None:
        return self.accuracy.metric_drop if self.accuracy else None

    @property
    def snr_db(self) -> float | None:
        return self.parity.snr_db if self.parity else None

    def step(self, kind: str) -> dict:
        """The data a step left (``{}`` when it did not run)."""
        return self.step_data.get(kind) or {}

    def to_dict(self, samples: bool = False) -> dict:
        d: dict[str, Any] = {
            "name": self.name,
            "format": self.format,
            "convert": self.convert,
            "steps": list(self.steps),
            "artifact": self.artifact,
            "files": list(self.files),
            "size_bytes": self.size_bytes,
            "params": self.params,
            "runtime": self.runtime,
            "latency_ms": self.latency_ms.to_dict(samples) if self.latency_ms else None,
            "accuracy": self.accuracy.to_dict() if self.accuracy else None,
            "parity": self.parity.to_dict() if self.parity else None,
            "error": self.error,
            "notes": list(self.notes),
        }
        if self.format_options:
            d["format_options"] = dict(self.format_options)
        if self.delegates:
            d["delegates"] = list(self.delegates)
        if self.not_runnable:
            d["not_runnable"] = self.not_runnable
        if self.coverage is not None:
            d["coverage"] = dict(self.coverage)
        for key in ("profile", "memory", "load_ms"):
            if getattr(self, key) is not None:
                d[key] = dict(getattr(self, key))
        if self.threads_scaling is not None:
            d["threads_scaling"] = [dict(t) for t in self.threads_scaling]
        if self.cost is not None:
            d["cost"] = dict(self.cost)
        if self.build_seconds is not None:
            d["build_seconds"] = self.build_seconds
        if self.step_data:
            d["step_data"] = self.step_data
        if self.cached is not None:
            d["cached"] = self.cached
        if self.traceback:
            d["traceback"] = self.traceback
        return d

    @classmethod
    def from_dict(cls, d: dict) -> VariantResult:
        kw = _known(cls, d)
        kw["latency_ms"] = Latency.from_dict(d.get("latency_ms"))
        kw["accuracy"] = Accuracy.from_dict(d.get("accuracy"))
        kw["parity"] = Parity.from_dict(d.get("parity"))
        kw.setdefault("name", "?")
        kw.setdefault("format", "?")
        return cls(**kw)


def as_row(row: VariantResult | dict) -> VariantResult:
    """A typed row from either a :class:`VariantResult` or its schema-1 dict."""
    return row if isinstance(row, VariantResult) else VariantResult.from_dict(row)


@dataclass
class GateVerdict:
    """One gate on one variant (see core.gates for the statuses)."""

    name: str
    gate: str
    variant: str
    limit: float
    value: float | None
    passed: bool | None
    status: str
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_dict(self) -> dict:
        d = asdict(self)
        if d["reason"] is None:
            d.pop("reason")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> GateVerdict:
        status = d.get("status") or ("passed" if d.get("passed") else "failed")
        return cls(**{**_known(cls, d), "status": status})


def as_verdict(v: GateVerdict | dict) -> GateVerdict:
    return v if isinstance(v, GateVerdict) else GateVerdict.from_dict(v)


@dataclass
class AppResult:
    """One rendered app project (or why it could not be rendered)."""

    platform: str
    runtime: str
    path: str | None = None
    variant: str | None = None
    format: str | None = None
    error: str | None = None
    # ONNX Runtime apps: the execution provider the app adds (falling back to CPU) and the
    # one the desktop measured with (always "cpu"); None for other runtimes.
    execution_provider: str | None = None
    desktop_provider: str | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("variant", "format", "error", "execution_provider", "desktop_provider"):
            if d[k] is None:
                d.pop(k)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> AppResult:
        return cls(**_known(cls, d))


@dataclass
class ModelInfo:
    """The model a report measured. ``input_shape``/``output_shape`` are the first input's
    and the task output's; ``inputs``/``outputs`` (every named input and flattened output)
    are written when the model has more than one float32 input of the shorthand, or more
    than one output."""

    spec: str
    weights: str | None
    params: int
    input_shape: list[int]
    output_shape: list[int]
    kind: str
    output: str | int | None = None
    inputs: list[dict] | None = None
    outputs: list[dict] | None = None
    task: dict | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for k in ("inputs", "outputs", "task"):
            if d[k] is None:
                d.pop(k)
        return d


@dataclass
class DatasetInfo:
    name: str
    eval_samples: int
    calibration_samples: int
    labelled: bool
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    """The whole report.json (schema 1)."""

    name: str
    created: str
    host: dict
    model: ModelInfo
    dataset: DatasetInfo
    baseline_accuracy: float | None
    benchmark: dict
    preprocess: dict
    degenerate: str | None = None
    notes: list[str] = field(default_factory=list)
    variants: list[VariantResult] = field(default_factory=list)
    gates: list[GateVerdict] = field(default_factory=list)
    templates: list[AppResult] = field(default_factory=list)
    pareto: list[str] | None = None
    recommended: str | None = None
    tune: dict | None = None
    baseline_metrics: dict[str, float | None] | None = None  # the original's task figures
    # this host's peak GFLOP/s and memory bandwidth at the headline thread count
    # ({peak_gflops, bandwidth_gbs, threads, method}, see core/cost/host.py); set when a
    # variant has a cost
    host_limits: dict | None = None

    @property
    def task(self) -> dict:
        """The model's task (``name``, ``metric`` {key, label, higher_is_better, unit}...);
        a report written before tasks existed is a classification report."""
        if self.model.task:
            return self.model.task
        return {
            "name": "classification",
            "label": "Classification",
            "metric": {
                "key": "top1",
                "label": "top-1 accuracy",
                "higher_is_better": True,
                "unit": "percent",
            },
            "agreement": "top-1 agreement",
        }

    @property
    def baseline_metric(self) -> float | None:
        """The original model's value of the task's metric."""
        key = self.task["metric"]["key"]
        if self.baseline_metrics and key in self.baseline_metrics:
            return self.baseline_metrics[key]
        return self.baseline_accuracy if key == "top1" else None

    def row(self, name: str) -> VariantResult | None:
        return next((v for v in self.variants if v.name == name), None)

    def to_dict(self, samples: bool = False) -> dict:
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "name": self.name,
            "created": self.created,
            "host": self.host,
            "model": self.model.to_dict(),
            "dataset": self.dataset.to_dict(),
            "baseline": {"accuracy": self.baseline_accuracy, "degenerate": self.degenerate},
            "benchmark": dict(self.benchmark),
            "preprocess": dict(self.preprocess),
            "notes": list(self.notes),
            "variants": [v.to_dict(samples) for v in self.variants],
            "gates": [g.to_dict() for g in self.gates],
            "templates": [t.to_dict() for t in self.templates],
        }
        if self.baseline_metrics is not None:
            d["baseline"]["metrics"] = dict(self.baseline_metrics)
        if self.pareto is not None:
            d["pareto"] = list(self.pareto)
            d["recommended"] = self.recommended
        if self.tune is not None:
            d["tune"] = self.tune
        if self.host_limits is not None:
            d["host_limits"] = dict(self.host_limits)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Report:
        base = d.get("baseline") or {}
        return cls(
            name=d.get("name", ""),
            created=d.get("created", ""),
            host=d.get("host") or {},
            model=ModelInfo(**_known(ModelInfo, d["model"])),
            dataset=DatasetInfo(**_known(DatasetInfo, d["dataset"])),
            baseline_accuracy=base.get("accuracy"),
            degenerate=base.get("degenerate"),
            benchmark=d.get("benchmark") or {},
            preprocess=d.get("preprocess") or {},
            notes=list(d.get("notes") or []),
            variants=[VariantResult.from_dict(v) for v in d.get("variants") or []],
            gates=[GateVerdict.from_dict(g) for g in d.get("gates") or []],
            templates=[AppResult.from_dict(t) for t in d.get("templates") or []],
            pareto=d.get("pareto"),
            recommended=d.get("recommended"),
            tune=d.get("tune"),
            baseline_metrics=base.get("metrics"),
            host_limits=d.get("host_limits"),
        )
