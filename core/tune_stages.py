"""The stages of ``tune`` (successive halving) against one worker: stage 1 builds and briefly
measures the candidates, stage 2 measures the survivors in full.

Stage 1 goes through the candidates in order and, besides building each:

- *blocks a prefix*: when the first float build of a pruned or distilled group loses more
  than the budget plus :data:`PROBE_MARGIN`, the group's other candidates (quantized: they
  lose more) are not built;
- *adds a keep_fp32 follow-up*: when an int8-static candidate misses the budget and the
  numerical debugger (or the sensitivity table) of its prefix named layers, the same
  candidate with those layers kept float is tried next;
- *keeps to the time budget*: a build starts only when the median build so far fits in the
  time left.

Then :func:`deploy_studio.core.halving.halve` picks the survivors; stage 2 measures them
again with the recipe's benchmark (``MeasureVariant``: no rebuild) while time is left.
"""

from __future__ import annotations

import copy
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy_studio.core.errors import Cancelled, RecipeError
from deploy_studio.core.halving import halve
from deploy_studio.core.pareto import Budget, accuracy_drop, within_budget
from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.recipe import Recipe, StepSpec, VariantSpec, check_variant
from deploy_studio.core.report.model import VariantResult

ORIGINAL = "original-eager"  # the original model's candidate: always built and kept
SHORT_WARMUP, SHORT_RUNS = 2, 5  # stage 1's short measurement
PROBE_MARGIN = 0.05  # a prefix's float build losing budget + this blocks the prefix
KEEP_AT_MOST = 2  # layers a keep_fp32 follow-up keeps float
SUGGEST_BELOW_DB = 20.0  # as the numerical debugger's own note: a layer adding this much error


@dataclass
class Clock:
    """Wall time since the search started against an optional budget (seconds)."""

    started: float
    budget: float | None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def fits(self, expected: float) -> bool:
        """Whether work expected to take ``expected`` seconds ends within the budget."""
        return self.budget is None or self.elapsed() + expected <= self.budget


@dataclass
class StageOne:
    rows: list[VariantResult] = field(default_factory=list)
    survivors: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    followups: dict[str, list[str]] = field(default_factory=dict)  # name -> layers kept float
    summary: dict = field(default_factory=dict)


@dataclass
class StageTwo:
    rows: dict[str, VariantResult] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)


def short_recipe(search: Recipe) -> Recipe:
    """``search`` with stage 1's short measurement: few runs, the headline thread count only."""
    short = search.copy()
    bench = short.benchmark
    bench.warmup = min(SHORT_WARMUP, bench.warmup)
    bench.runs = min(SHORT_RUNS, bench.runs)
    bench.threads = bench.headline_threads
    bench.profile = False
    return short


def prefix_of(v: VariantSpec) -> str:
    """The variant's model-changing steps (before quantize) as a readable key ("" for none)."""
    parts = []
    for s in v.steps:
        if s.kind == "quantize":
            break
        if s.kind == "prune":
            parts.append(f"pruned {s.options['amount']:g}")
        else:
            parts.append(f"{s.kind} {s.options.get('student', '')}".strip())
    return " + ".join(parts)


def _mode(v: VariantSpec) -> str | None:
    return next((s.options["mode"] for s in v.steps if s.kind == "quantize"), None)


def run_stage_one(
    search: Recipe,
    variants: list[VariantSpec],
    out: Path,
    reporter: Reporter,
    worker,
    budget: Budget,
    baseline: float | None,
    clock: Clock,
    cache: bool = True,
) -> StageOne:
    """Build and briefly measure ``variants`` in order (see the module docstring), then halve."""
    from deploy_studio.core.engine import run_variants

    t0 = time.perf_counter()
    short = short_recipe(search)
    result = StageOne()
    blocked: dict[str, str] = {}
    dropped: dict[str, str] = {}
    probed: set[str] = set()
    blamed: dict[str, list[str]] = {}  # prefix -> layers its int8 debugger/sensitivity named
    durations: list[float] = []
    queue = list(variants)
    done = 0
    while queue:
        v = queue.pop(0)
        prefix = prefix_of(v)
        total = done + len(queue) + 1
        if v.name != ORIGINAL:
            if prefix in blocked:
                dropped[v.name] = blocked[prefix]
                continue
            expected = statistics.median(durations) if durations else 0.0
            if not clock.fits(expected):
                result.skipped[v.name] = _time_reason(clock, expected, "build")
                continue
        short.variants = [v]
        started = time.perf_counter()
        row = run_variants(short, [v], out, reporter, worker, overall=(done, total), cache=cache)[0]
        durations.append(time.perf_counter() - started)
        done += 1
        result.rows.append(row)
        layers = _blamed_layers(row)
        if layers and prefix not in blamed:
            blamed[prefix] = layers
        if prefix and prefix not in probed and row.ok:
            probed.add(prefix)
            why = _probe_miss(row, budget, baseline, prefix)
            if why and _mode(v) is None:
                blocked[prefix] = why
        if _needs_blame(v, row, budget, baseline) and prefix not in blamed:
            blamed[prefix] = _diagnose(short, v, out, reporter, worker, clock, durations)
        follow = _followup(v, row, budget, baseline, blamed.get(prefix))
        if follow is not None and follow.name not in {r.name for r in result.rows}:
            result.followups[follow.name] = list(follow.steps[-1].options["keep_fp32"])
            queue.insert(0, follow)
    survivors, halved = halve(result.rows, baseline, budget, keep=[ORIGINAL])
    result.survivors = survivors
    dropped.update(halved)
    result.summary = {
        "stage": 1,
        "warmup": short.benchmark.warmup,
        "runs": short.benchmark.runs,
        "threads": [short.benchmark.headline_threads],
        "measured": len(result.rows),
        "kept": survivors,
        "dropped": dropped,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return result


def measure_survivors(
    search: Recipe, one: StageOne, out: Path, reporter: Reporter, worker, clock: Clock
) -> StageTwo:
    """Stage 2: the survivors measured again with the recipe's full benchmark (every thread
    count); a survivor the time budget cannot pay for keeps its stage-1 figures."""
    from deploy_studio.core.worker.requests import MeasureVariant

    t0 = time.perf_counter()
    result = StageTwo()
    by_name = {r.name: r for r in one.rows}
    durations: list[float] = []
    todo = [by_name[n] for n in one.survivors if by_name[n].ok and by_name[n].runtime]
    for i, row in enumerate(todo):
        expected = statistics.median(durations) if durations else 0.0
        if not clock.fits(expected):
            result.skipped[row.name] = _time_reason(clock, expected, "full measurement")
            continue
        reporter.emit(
            Event(
                "progress",
                stage="overall",
                fraction=i / max(len(todo), 1),
                message=f"measuring {row.name} in full",
                variant=None,
            )
        )
        started = time.perf_counter()
        try:
            data = worker.call(
                MeasureVariant(search, row.to_dict(samples=True), str(out)),
                reporter.for_variant(row.name).emit,
                reporter.cancel,
            )
        except Cancelled:
            raise
        except Exception as e:  # noqa: BLE001 - a failed re-measure keeps stage 1's figures
            result.skipped[row.name] = f"full measurement failed: {getattr(e, 'message', e)}"
            continue
        durations.append(time.perf_counter() - started)
        new = VariantResult.from_dict(data)
        result.rows[row.name] = new
        reporter.emit(
            Event("result", stage="variant", variant=row.name, data=new.to_dict(samples=True))
        )
    bench = search.benchmark
    result.summary = {
        "stage": 2,
        "warmup": bench.warmup,
        "runs": bench.runs,
        "threads": bench.thread_counts,
        "measured": len(result.rows),
        "kept": list(result.rows),
        "dropped": {},
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return result


def _time_reason(clock: Clock, expected: float, what: str) -> str:
    return (
        f"time budget: {clock.elapsed():.0f} s of {clock.budget:g} s used, a {what} takes "
        f"about {expected:.1f} s"
    )


def _probe_miss(row: VariantResult, budget: Budget, baseline: float | None, prefix: str) -> str:
    """Why a prefix's first float build rules out its group ("" when it does not)."""
    if budget.basis == "accuracy":
        drop = accuracy_drop(row, baseline)
        if drop is not None and drop > (budget.limit or 0.0) + PROBE_MARGIN:
            return (
                f"not built: the {prefix} model loses {drop:.2%} in float ({row.name}), more "
                f"than the {budget.limit:.2%} budget + {PROBE_MARGIN:.0%}; quantizing it loses more"
            )
    if budget.basis == "fidelity":
        agreement = row.agreement
        if agreement is not None and agreement < (budget.limit or 0.0) - PROBE_MARGIN:
            return (
                f"not built: the {prefix} model agrees with the original on {agreement:.2%} in "
                f"float ({row.name}), under the {budget.limit:.2%} budget - {PROBE_MARGIN:.0%}"
            )
    return ""


def _blamed_layers(row: VariantResult) -> list[str]:
    """Layers an int8-static build's numerical debugger (or sensitivity table) blames."""
    q = (row.step_data or {}).get("quantize") or {}
    worst = list(q.get("numerics_worst") or [])
    if worst:
        snr = {r["layer"]: r.get("local_snr_db") for r in q.get("numerics") or []}
        bad = [n for n in worst if (snr.get(n) is not None and snr[n] < SUGGEST_BELOW_DB)]
        return (bad or worst[:1])[:KEEP_AT_MOST]
    sens = [r["layer"] for r in q.get("sensitivity") or [] if (r.get("accuracy_drop") or 0.0) > 0.0]
    return sens[:KEEP_AT_MOST]


def _needs_blame(v: VariantSpec, row: VariantResult, budget: Budget, baseline) -> bool:
    """An int8-static candidate that built but misses the budget."""
    if _mode(v) != "int8-static" or not row.ok or budget.basis is None:
        return False
    return not within_budget(row, budget, baseline)


def _diagnose(
    short: Recipe,
    v: VariantSpec,
    out: Path,
    reporter: Reporter,
    worker,
    clock: Clock,
    durations: list[float],
) -> list[str]:
    """The layers the numerical debugger blames on ``v``'s model ([] when it cannot tell, or
    the time budget cannot pay for it)."""
    from deploy_studio.core.worker.requests import DiagnoseInt8

    if not clock.fits(statistics.median(durations) if durations else 0.0):
        return []
    reporter.emit(
        Event(
            "log",
            stage="overall",
            variant=v.name,
            message=f"[{v.name}] misses the budget: "
            "the int8 numerical debugger looks for the layers to keep float",
        )
    )
    try:
        q = worker.call(DiagnoseInt8(short, v.name, str(out)), reporter.emit, reporter.cancel)
    except Cancelled:
        raise
    except Exception:  # noqa: BLE001 - no diagnosis: no follow-up, the search goes on
        return []
    return _blamed_layers(VariantResult(v.name, v.format, step_data={"quantize": q}))


def _followup(
    v: VariantSpec,
    row: VariantResult,
    budget: Budget,
    baseline: float | None,
    layers: list[str] | None,
) -> VariantSpec | None:
    """``v`` with one more of ``layers`` kept float, when ``v`` is int8-static and misses the
    budget: the worst layer first; if that still misses, the worst two (at most
    :data:`KEEP_AT_MOST`)."""
    if not layers or _mode(v) != "int8-static" or not row.ok or budget.basis is None:
        return None
    if within_budget(row, budget, baseline):
        return None
    q = v.steps[-1]
    kept = list(q.options.get("keep_fp32") or [])
    if kept and not v.name.endswith(_suffix(kept)):
        return None  # the recipe's own keep_fp32, not a follow-up of ours
    more = [n for n in layers if n not in kept][: max(0, KEEP_AT_MOST - len(kept))]
    if not more:
        return None
    keep = [*kept, more[0]]
    options = {k: val for k, val in q.options.items() if k != "debug"}
    options["keep_fp32"] = keep
    steps = [*v.steps[:-1], StepSpec("quantize", options)]
    base = v.name.removesuffix(_suffix(kept)) if kept else v.name
    follow = VariantSpec(base + _suffix(keep), v.format, v.convert, copy.deepcopy(steps))
    try:
        check_variant(follow)
    except RecipeError:
        return None  # the format cannot keep layers float (its quantizer has no keep_fp32)
    return follow


def _suffix(layers: list[str]) -> str:
    return "-keep-" + "-".join(re.sub(r"[^A-Za-z0-9]+", "_", n).strip("_") for n in layers)
