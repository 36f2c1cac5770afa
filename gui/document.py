"""The window's document: the :class:`deploy_studio.core.recipe.Recipe` being edited plus its results.

Panels receive one :class:`Document` and listen to its signals; they change the recipe only
through its methods, which keep the dirty flag, the variant colours and the results in step.
``core.recipe`` is imported lazily (it pulls in torch) so the window can appear first.

Results are typed (:mod:`deploy_studio.core.report.model`): rows are
:class:`~deploy_studio.core.report.model.VariantResult`, the finished run a
:class:`~deploy_studio.core.report.model.Report`, gate results
:class:`~deploy_studio.core.report.model.GateVerdict`. The engine sends them as plain data
(events and report.json); the setters here are where they become typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor

from deploy_studio.core.report.model import (
    GateVerdict,
    Latency,
    Report,
    VariantResult,
    as_row,
)
from deploy_studio.gui.colors import variant_color

if TYPE_CHECKING:
    from deploy_studio.core.recipe import Recipe, VariantSpec


class Document(QObject):
    """A recipe being edited, the model's summary, and the latest results.

    Signals
    -------
    recipe_replaced : the whole recipe changed (new / open / model opened); the model summary
        is None until its model has loaded, and ``model_changed`` follows.
    variants_changed : a variant was added, removed, renamed, reordered or edited.
    settings_changed : data, benchmark or export settings changed.
    dirty_changed(bool), path_changed(object)
    model_changed : the model summary changed (``model_summary``; None while a replaced recipe's
        model loads): anything computed from the previous model (samples, predictions) is stale.
    results_cleared, result_changed(str), live_latency(str), variant_progress(str)
    report_changed : a finished run's report is available (``report``).
    gates_changed : the gate limits or the gate results (``gate_results``) changed.
    task_changed : the recipe's ``[model] task`` was set (``task_info`` may have changed).
    """

    recipe_replaced = Signal()
    variants_changed = Signal()
    settings_changed = Signal()
    dirty_changed = Signal(bool)
    path_changed = Signal(object)
    model_changed = Signal()
    results_cleared = Signal()
    result_changed = Signal(str)
    live_latency = Signal(str)
    variant_progress = Signal(str)
    report_changed = Signal()
    gates_changed = Signal()
    task_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.recipe: Recipe | None = None
        self.dirty = False
        self.model_summary: dict | None = None
        self.model_kind: str | None = None
        self.results: dict[str, VariantResult] = {}
        self.previous_results: dict[str, VariantResult] = {}  # each variant's row before this run
        self.live: dict[str, Latency] = {}  # latency of a variant being measured, so far
        self.progress: dict[str, tuple[float, str]] = {}
        self.report: Report | None = None
        self.gate_results: list[GateVerdict] = []  # the report's, re-checked when limits change
        self.sensitivity: dict[str, list[dict]] = {}  # variant -> per-layer rows of its last build
        self.numerics: dict[str, dict] = {}  # variant -> its last build's numerical debugger data
        self.out_dir: Path | None = None
        self.copy_of: Path | None = None  # a built-in recipe this untitled document was copied from
        self._colour_slots: dict[str, int] = {}

    # --- recipe ------------------------------------------------------------------------
    @property
    def path(self) -> Path | None:
        return self.recipe.path if self.recipe is not None else None

    @property
    def has_recipe(self) -> bool:
        return self.recipe is not None

    def set_recipe(
        self, recipe: Recipe | None, dirty: bool = False, copy_of: Path | None = None
    ) -> None:
        """Replace the whole recipe (results, previous results and colours start over).

        ``copy_of``: the built-in recipe file this untitled recipe is a copy of (for the title).
        """
        self.recipe = recipe
        self.copy_of = Path(copy_of) if copy_of is not None else None
        self.previous_results = {}
        self._colour_slots = {}
        for v in recipe.variants if recipe else []:
            self._slot(v.name)
        self.model_summary = None
        self.model_kind = None
        self.clear_results()
        self.report = None
        self.sensitivity = {}
        self.numerics = {}
        self.recipe_replaced.emit()
        self.model_changed.emit()  # no summary until the recipe's model has loaded
        self.path_changed.emit(self.path)
        self.set_dirty(dirty)

    def set_dirty(self, dirty: bool = True) -> None:
        if dirty != self.dirty:
            self.dirty = dirty
            self.dirty_changed.emit(dirty)

    def saved(self, path: Path) -> None:
        """Tell the document its recipe was written to ``path``."""
        self.recipe.path = Path(path)
        self.copy_of = None
        self.path_changed.emit(self.path)
        self.set_dirty(False)

    def set_model_summary(self, summary: dict | None) -> None:
        self.model_summary = summary
        self.model_kind = summary.get("kind") if summary else None
        self.model_changed.emit()
        self.variants_changed.emit()  # validity can depend on the model's kind

    def settings_edited(self) -> None:
        """Data, benchmark, gates or export settings were edited in place."""
        self.settings_changed.emit()
        self.set_dirty(True)

    # --- the model's task and inputs ----------------------------------------------------
    def set_model_task(self, task: str | None) -> None:
        """Declare the model's task (``[model] task``; None: guessed from the outputs)."""
        if self.recipe is None or self.recipe.model.task == task:
            return
        self.recipe.model.task = task
        self.task_changed.emit()
        self.settings_edited()

    def set_model_inputs(self, inputs: list[dict] | None) -> None:
        """Declare the model's named inputs (``[model] inputs``, validated by the caller);
        they replace the ``input_shape`` shorthand. The model must be loaded again."""
        self.recipe.model.inputs = [dict(i) for i in inputs] if inputs else None
        if inputs:
            self.recipe.model.input_shape = None
        self.settings_edited()

    @property
    def task_info(self) -> dict | None:
        """The task the numbers are about: the finished run's, else the one the recipe
        declares, else the loaded model's (guessed); None when nothing is known
        (then it is classification)."""
        if self.report is not None:
            return self.report.task
        declared = self.recipe.model.task if self.recipe is not None else None
        loaded = (self.model_summary or {}).get("task")
        if loaded and (declared is None or loaded.get("name") == declared):
            return loaded
        if declared:
            from deploy_studio.core.tasks import TASKS, make_task

            if declared in TASKS:
                return {**make_task(declared).describe(), "guessed": False, "why": "[model] task"}
        return None

    # --- variants ----------------------------------------------------------------------
    @property
    def variants(self) -> list[VariantSpec]:
        return self.recipe.variants if self.recipe else []

    def variant(self, name: str) -> VariantSpec | None:
        return next((v for v in self.variants if v.name == name), None)

    def unique_name(self, base: str) -> str:
        """``base``, or ``base-2``, ``base-3``... whichever no variant uses yet."""
        names = {v.name for v in self.variants}
        if base not in names:
            return base
        i = 2
        while f"{base}-{i}" in names:
            i += 1
        return f"{base}-{i}"

    def add_variant(self, spec: VariantSpec, index: int | None = None) -> VariantSpec:
        """Add ``spec`` (renamed if its name is taken) and return it."""
        spec.name = self.unique_name(spec.name)
        if index is None:
            self.recipe.variants.append(spec)
        else:
            self.recipe.variants.insert(index, spec)
        self._slot(spec.name)
        self.variants_changed.emit()
        self.set_dirty(True)
        return spec

    def duplicate_variant(self, name: str) -> VariantSpec | None:
        v = self.variant(name)
        if v is None:
            return None
        import copy

        dup = copy.deepcopy(v)
        dup.name = self.unique_name(f"{v.name}-copy")
        return self.add_variant(dup, self.variants.index(v) + 1)

    def remove_variant(self, name: str) -> None:
        v = self.variant(name)
        if v is None:
            return
        self.recipe.variants.remove(v)
        self.results.pop(name, None)
        self.previous_results.pop(name, None)
        self.sensitivity.pop(name, None)
        self.numerics.pop(name, None)
        self.live.pop(name, None)
        self.variants_changed.emit()
        self.set_dirty(True)

    def set_enabled(self, name: str, enabled: bool) -> None:
        v = self.variant(name)
        if v is not None and v.enabled != enabled:
            v.enabled = enabled
            self.variants_changed.emit()
            self.set_dirty(True)

    def variant_edited(self, old_name: str, spec: VariantSpec) -> None:
        """The variant called ``old_name`` was edited in place (and maybe renamed to spec.name)."""
        if old_name != spec.name:
            slot = self._colour_slots.pop(old_name, None)
            if slot is not None:
                self._colour_slots[spec.name] = slot
            for d in (
                self.results,
                self.previous_results,
                self.live,
                self.progress,
                self.sensitivity,
                self.numerics,
            ):
                if old_name in d:
                    d[spec.name] = d.pop(old_name)
        old = self.results.pop(spec.name, None)  # its numbers no longer describe it
        if old is not None and old.artifact and old.ok:
            self.previous_results[spec.name] = old  # but stay to compare the next build with
        self.live.pop(spec.name, None)
        self.variants_changed.emit()
        self.set_dirty(True)

    def problem_of(self, spec: VariantSpec) -> tuple[str, str] | None:
        """Why ``spec`` cannot be built, as (message, hint), or None when it can.

        Uses the engine's own checks (``check_variant`` and the model-kind check) so the
        window explains exactly what ``deploy-studio run`` would refuse.
        """
        from deploy_studio.core.errors import StudioError
        from deploy_studio.core.recipe import check_variant

        if sum(1 for v in self.variants if v.name == spec.name) > 1:
            return (f"two variants are named {spec.name!r}", "give each variant its own name")
        if not spec.name.strip():
            return ("the variant needs a name", "")
        try:
            check_variant(spec)
            if self.model_kind:
                from deploy_studio.core.pipeline.build import check_model_kind

                check_model_kind(spec, self.model_kind)
        except StudioError as e:
            return (e.message, e.hint)
        return None

    # --- colours -----------------------------------------------------------------------
    def _slot(self, name: str) -> int:
        if name not in self._colour_slots:
            used = set(self._colour_slots.values())
            i = 0
            while i in used:
                i += 1
            self._colour_slots[name] = i
        return self._colour_slots[name]

    def color(self, name: str) -> QColor:
        """The variant's colour in the table and in every chart."""
        return variant_color(self._slot(name))

    # --- results -----------------------------------------------------------------------
    def clear_results(self) -> None:
        self.results = {}
        self.live = {}
        self.progress = {}
        self.gate_results = []
        self.results_cleared.emit()
        self.gates_changed.emit()

    def start_run(self, out_dir: Path) -> None:
        """A run starts: its rows replace the results. Each variant's last measured row moves
        to ``previous_results`` to compare the new one with (a variant the last run did not
        measure keeps its older row)."""
        measured = {n: r for n, r in self.results.items() if r.artifact and r.ok}
        self.previous_results = {**self.previous_results, **measured}
        self.clear_results()
        self.report = None
        self.out_dir = Path(out_dir)
        for v in self.variants:
            if v.enabled:
                self.progress[v.name] = (0.0, "queued")
                self.variant_progress.emit(v.name)

    def set_progress(self, name: str, fraction: float, stage: str) -> None:
        self.progress[name] = (fraction, stage)
        self.variant_progress.emit(name)

    def set_live_latency(self, name: str, latency: Latency | dict) -> None:
        """The latency measured so far of a variant being benchmarked (a ``latency`` event)."""
        self.live[name] = latency if isinstance(latency, Latency) else Latency.from_dict(latency)
        self.live_latency.emit(name)

    def set_result(self, name: str, row: VariantResult | dict) -> None:
        """A variant's finished row (a ``result`` event's data, or already typed)."""
        row = as_row(row)
        self._slot(name)
        self.results[name] = row
        sens = row.step("quantize").get("sensitivity")
        if sens:
            self.sensitivity[name] = sens
        q = row.step("quantize")
        if q.get("numerics"):
            self.numerics[name] = {
                "rows": q["numerics"],
                "worst": q.get("numerics_worst") or [],
                "suggest": q.get("numerics_suggest") or [],
            }
        self.progress[name] = (1.0, "done" if row.ok else "failed")
        self.result_changed.emit(name)

    def set_report(self, report: Report | dict, out_dir: Path | None = None) -> None:
        """A finished run (typed, or report.json's data): its rows become the results (same
        numbers as report.json)."""
        report = report if isinstance(report, Report) else Report.from_dict(report)
        self.report = report
        if out_dir is not None:
            self.out_dir = Path(out_dir)
        for row in report.variants:
            self.set_result(row.name, row)
        self.gate_results = list(report.gates)
        self.report_changed.emit()
        self.gates_changed.emit()

    # --- gates -------------------------------------------------------------------------
    def set_gates(self, gates) -> None:
        """New gate limits (a :class:`deploy_studio.core.recipe.Gates`); a finished run is re-checked at once.

        The check is the engine's own ``evaluate_gates`` on the run's measured rows, so the
        window shows what ``deploy-studio run`` would decide with the new limits.
        """
        self.recipe.gates = gates
        if self.report is not None:
            from dataclasses import replace

            from deploy_studio.core.engine import evaluate_gates

            self.gate_results = evaluate_gates(
                self.recipe, replace(self.report, variants=self.report_rows())
            )
        self.settings_edited()
        self.gates_changed.emit()

    def previous_of(self, name: str) -> VariantResult | None:
        """Variant ``name``'s last measured row before the current run (None when there is none)."""
        return self.previous_results.get(name)

    def gates_of(self, name: str) -> list[GateVerdict]:
        """The gate results of variant ``name`` (empty when no gate applies or no run yet)."""
        if name not in self.results:  # edited since the run: its old verdicts no longer apply
            return []
        return [g for g in self.gate_results if g.variant == name]

    def report_rows(self) -> list[VariantResult]:
        """The last run's rows that still describe their variant (edited ones are gone)."""
        if self.report is None:
            return []
        return [self.results[r.name] for r in self.report.variants if r.name in self.results]

    def result_names(self) -> list[str]:
        """Rows to show, by name: every recipe variant in order, then rows added by the run (apps)."""
        names = [v.name for v in self.variants]
        return names + [n for n in self.results if n not in names]

    def result_rows(self) -> list[VariantResult]:
        """The results in :meth:`result_names` order (variants without a result left out)."""
        return [self.results[n] for n in self.result_names() if n in self.results]

    @property
    def baseline_accuracy(self) -> float | None:
        return self.report.baseline_accuracy if self.report is not None else None
