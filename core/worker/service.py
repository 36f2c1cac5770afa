"""The worker's side: one session (model, data, reference outputs) and the handlers of every
request in :mod:`deploy_studio.core.worker.requests`.

The same :class:`SessionService` runs in the worker process (``deploy_studio.core.worker.process``) or, for
tests and ``--no-isolate``, in the caller's process (``InlineWorker``). It keeps one model and
one session at a time (models can be large) and rebuilds them when a request's recipe names
another model, data source or preprocessing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from deploy_studio.core.progress import Reporter
from deploy_studio.core.report.model import as_row
from deploy_studio.core.worker.requests import (
    BuildVariant,
    CheckNormalisation,
    DiagnoseInt8,
    HostLimits,
    LoadModel,
    LoadSamples,
    MeasureVariant,
    PrebuildVariant,
    Predict,
    Prediction,
    Prepare,
    RenderApps,
    RenderSamples,
    Samples,
    SessionInfo,
)


def _key(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, default=str)


class SessionService:
    """Serves requests against one model and one session, rebuilt only when they change."""

    def __init__(self) -> None:
        self._model_key: str | None = None
        self._model: Any = None  # LoadedModel
        self._session_key: str | None = None
        self._session: Any = None  # Session
        self.model_loads = 0

    # --- dispatch ----------------------------------------------------------------------
    def handle(self, request: Any, reporter: Reporter) -> Any:
        """Answer one request (see :mod:`deploy_studio.core.worker.requests`)."""
        handler: Any = {
            LoadModel: self.load_model,
            Prepare: self.prepare,
            BuildVariant: self.build,
            HostLimits: self.host_limits,
            MeasureVariant: self.measure,
            DiagnoseInt8: self.diagnose,
            PrebuildVariant: self.prebuild,
            LoadSamples: self.samples,
            Predict: self.predict,
            CheckNormalisation: self.check_normalisation,
            RenderApps: self.render_apps,
            RenderSamples: self.render_samples,
        }.get(type(request))
        if handler is None:
            raise TypeError(f"the worker serves no {type(request).__name__} request")
        return handler(request, reporter)

    # --- model and session -------------------------------------------------------------
    def model(self, spec, reporter: Reporter):
        """The loaded model for ``spec`` (loaded once, reused while the spec is the same)."""
        from deploy_studio.core.models import load_model

        key = _key(spec.to_dict())
        if key != self._model_key:
            self._model, self._model_key = None, None  # free the old one first
            self._session, self._session_key = None, None
            self._model = load_model(spec, reporter)
            self._model_key = key
            self.model_loads += 1
        return self._model

    def session(self, recipe, reporter: Reporter, reference: bool = True):
        """The recipe's session; with ``reference`` also its reference outputs and warnings."""
        from deploy_studio.core.session import build_session

        key = _key([recipe.model.to_dict(), vars(recipe.data), recipe.preprocess])
        if key != self._session_key:
            model = self.model(recipe.model, reporter)
            self._session = None
            self._session = build_session(model, recipe.data, recipe.preprocess, reporter)
            self._session_key = key
        if reference:
            self._session.ensure_reference(reporter)
        return self._session

    # --- handlers ----------------------------------------------------------------------
    def load_model(self, req: LoadModel, reporter: Reporter) -> dict:
        from deploy_studio.core.models.summary import summarize

        model = self.model(req.model, reporter)
        reporter.progress("summarise model", 0.5)
        return {"spec": model.spec.to_dict(), "summary": summarize(model)}

    def prepare(self, req: Prepare, reporter: Reporter) -> SessionInfo:
        session = self.session(req.recipe, reporter, req.reference)
        if req.reference:
            from deploy_studio.core.preflight import preflight

            preflight(req.recipe, session, reporter)
        return session.info(req.recipe, self.model_loads)

    def build(self, req: BuildVariant, reporter: Reporter) -> dict:
        from deploy_studio.core.pipeline.run_variant import build_and_measure

        session = self.session(req.recipe, reporter)
        variant = next(v for v in req.recipe.variants if v.name == req.variant)
        return build_and_measure(session, req.recipe, variant, Path(req.out_dir), reporter).to_dict(
            samples=True
        )

    def host_limits(self, req: HostLimits, reporter: Reporter) -> dict:
        from deploy_studio.core.cost.host import host_limits

        return host_limits(req.threads)

    def measure(self, req: MeasureVariant, reporter: Reporter) -> dict:
        from deploy_studio.core.pipeline.run_variant import remeasure

        session = self.session(req.recipe, reporter)
        return remeasure(session, req.recipe, req.row, Path(req.out_dir), reporter)

    def diagnose(self, req: DiagnoseInt8, reporter: Reporter) -> dict:
        from deploy_studio.core.pipeline.diagnose import int8_blame

        session = self.session(req.recipe, reporter)
        variant = next(v for v in req.recipe.variants if v.name == req.variant)
        return int8_blame(session, req.recipe, variant, Path(req.out_dir), reporter)

    def prebuild(self, req: PrebuildVariant, reporter: Reporter) -> dict:
        from deploy_studio.core.scaleout.build_only import build_record

        session = self.session(req.recipe, reporter, reference=False)
        variant = next(v for v in req.recipe.variants if v.name == req.variant)
        return build_record(
            session, req.recipe, variant, Path(req.root), reporter, threads=req.threads
        )

    def samples(self, req: LoadSamples, reporter: Reporter) -> Samples:
        from deploy_studio.core.samples.report import sample_data

        s = self.session(req.recipe, reporter, reference=False)
        ds = s.dataset
        idx = s.eval_idx[: req.limit] if len(s.eval_idx) else np.arange(min(req.limit, len(ds)))
        if ds.has_images:  # the classifier's path as it always was, plus the task's truth
            base = Samples(
                ds.name,
                ds.images[idx].copy(),
                None if ds.labels is None else ds.labels[idx].copy(),
                list(ds.classes),
                idx,
                list(ds.notes),
            )
        else:
            base = Samples(
                ds.name,
                np.zeros((len(idx), 0, 0, 1), np.uint8),
                None if ds.labels is None else ds.labels[idx].copy(),
                list(ds.classes),
                idx,
                list(ds.notes),
                pictures=False,
            )
        return sample_data(s, idx, base)

    def predict(self, req: Predict, reporter: Reporter):
        from deploy_studio.core.measure import topk
        from deploy_studio.core.runtimes import open_runner, run_scope

        s = self.session(req.recipe, reporter, reference=False)
        if req.index is not None or req.task_view:
            return self._predict_view(s, req, reporter)
        x = s.preprocess.apply(req.pixels)[None]
        with run_scope("eager", 1):
            ref = open_runner(
                "eager", None, 1, module=s.model.module, signature=s.model.signature
            ).run(x)[0]
        preds = []
        for row in req.rows:
            reporter.check()
            preds.append(self._prediction(row, x, ref, req, topk))
        return topk(ref, req.labels, 3), preds

    def _prediction(self, data: dict, x, ref, req: Predict, topk) -> Prediction:
        name = as_row(data).name
        out = self._artifact_outputs(data, req, lambda runner: runner.run(x)[0], ref)
        if isinstance(out, str):
            return Prediction(name, None, None, out)
        return Prediction(
            name, topk(out, req.labels, 3), int(np.argmax(out)) == int(np.argmax(ref))
        )

    def _artifact_outputs(self, data: dict, req: Predict, run, eager):
        """What ``run(runner)`` answers for the row's artifact in its own runtime (``eager``
        for the original's eager row), or why it cannot run (a str)."""
        from deploy_studio.core.runtimes import not_runnable_reason, open_runner, run_scope

        row = as_row(data)
        if row.error or not row.artifact or req.out_dir is None:
            return "not built"
        if row.runtime is None:
            return row.not_runnable or not_runnable_reason(row.format)
        if row.runtime == "eager" and row.steps:
            return (
                "an optimized eager model is not saved as a file; "
                "export it as pte/onnx to compare it here"
            )
        try:
            if row.runtime == "eager":
                return eager
            with run_scope(row.runtime, 1):
                runner = open_runner(
                    row.runtime,
                    Path(req.out_dir) / row.artifact,
                    1,
                    signature=self._session.model.signature if self._session else None,
                )
                try:
                    return run(runner)
                finally:
                    runner.close()
        except Exception as e:  # noqa: BLE001 - one failing runtime must not hide the others
            return f"failed: {str(e).splitlines()[0][:120] if str(e) else type(e).__name__}"

    def _predict_view(self, s, req: Predict, reporter: Reporter):
        """The task's view of one sample for the original and every variant (see
        :class:`Predict`)."""
        from deploy_studio.core.runtimes import open_runner, run_scope
        from deploy_studio.core.samples.views import compare, task_view

        if req.index is not None:
            xs = s.dataset.inputs(np.asarray([req.index], np.int64))
        else:
            xs = [s.preprocess.apply(req.pixels)[None]]
        with run_scope("eager", 1):
            ref = open_runner(
                "eager", None, 1, module=s.model.module, signature=s.model.signature
            ).run_all(xs)
        ref = [np.asarray(o) for o in ref]
        task, names = s.task, list(s.model.signature.output_names)
        labels = list(req.labels) or list(s.labels)
        preds = []
        for data in req.rows:
            reporter.check()
            name = as_row(data).name
            out = self._artifact_outputs(
                data, req, lambda runner: [np.asarray(o) for o in runner.run_all(xs)], ref
            )
            if isinstance(out, str):
                preds.append(Prediction(name, None, None, out))
                continue
            try:
                view = task_view(task, out, names, labels)
                value, agrees = compare(task, out, ref)
            except Exception as e:  # noqa: BLE001 - outputs the task cannot read
                preds.append(Prediction(name, None, None, f"failed: {str(e)[:120]}"))
                continue
            preds.append(Prediction(name, view.get("top3"), agrees, "", view, value))
        return task_view(task, ref, names, labels), preds

    def render_samples(self, req: RenderSamples, reporter: Reporter) -> dict:
        from deploy_studio.core.samples.report import render_report_samples

        s = self.session(req.recipe, reporter)
        return render_report_samples(s, Path(req.out_dir), req.count, reporter)

    def check_normalisation(self, req: CheckNormalisation, reporter: Reporter) -> list[dict]:
        from deploy_studio.core.errors import DataError
        from deploy_studio.core.session import normalisation_table

        s = self.session(req.recipe, reporter, reference=False)
        if s.dataset.labels is None:
            raise DataError(
                f"{s.dataset.name} has no labels: accuracy under each normalisation cannot be compared",
                "choose a labelled data source (built-in digits, MNIST, an image folder with class folders)",
            )
        reporter.progress("check normalisation", 0.0)
        rows = normalisation_table(s)
        reporter.progress("check normalisation", 1.0)
        return rows

    def render_apps(self, req: RenderApps, reporter: Reporter):
        from deploy_studio.core.apps import export_apps

        s = self.session(req.recipe, reporter)
        return export_apps(req.recipe, s, req.report, Path(req.out_dir), reporter, self)
