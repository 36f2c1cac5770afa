"""The ``deploy-studio`` command line: gui, inspect, run, demo, tune.

Exit codes: 0 success; 1 a gate or a variant failed; 2 bad input (a short message, no
traceback unless ``--debug``); 130 cancelled with Ctrl-C (no partial files left).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from deploy_studio.core.errors import Cancelled, RecipeError, StudioError
from deploy_studio.core.report.model import Report


def _shape(text: str) -> list[int]:
    try:
        shape = [int(v) for v in text.replace("x", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1,3,224,224") from None
    if not shape or any(v <= 0 for v in shape):
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1,3,224,224")
    return shape


def _init_args(text: str) -> dict:
    from deploy_studio.core.models.init_args import parse_json

    try:
        return parse_json(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


INIT_ARGS_HELP = (
    "the model class's constructor arguments as a JSON object, e.g. '{\"num_classes\": 5}' "
    "(a recipe's [model] init_args)"
)


def _input(text: str) -> dict:
    from deploy_studio.core.models.signature import parse_input_arg

    try:
        return parse_input_arg(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's default is exit 2 too; keep our wording short
        self.print_usage(sys.stderr)
        sys.stderr.write(f"deploy-studio: error: {message}\n")
        sys.exit(2)


def _model_options(p: argparse.ArgumentParser, init_help: str) -> None:
    """--input (repeatable), --task and --init-args: what a model needs beyond its file."""
    from deploy_studio.core.tasks import TASK_NAMES

    p.add_argument(
        "--input",
        type=_input,
        action="append",
        dest="inputs",
        metavar="NAME:SHAPE:DTYPE",
        help="one named input (repeat for each), e.g. --input tokens:1x50:int64; dtype "
        "float32 (default), float16, int64, int32 or bool",
    )
    p.add_argument(
        "--task",
        choices=TASK_NAMES,
        help="the model's task (default: [model] task, else guessed from its outputs)",
    )
    p.add_argument("--init-args", type=_init_args, help=init_help)


def _check_inputs(inputs: list[dict] | None) -> None:
    """Refuse two --input of one name."""
    names = [i["name"] for i in inputs or []]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise RecipeError(f"--input {dup!r} is given twice", "give each input its own name")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="deploy-studio", description="Take a trained PyTorch model to phones.")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    g = sub.add_parser("gui", help="open the window (optionally on a recipe)")
    g.add_argument("recipe", nargs="?")
    g.add_argument("--run", action="store_true", help="build and measure every variant")
    g.add_argument("--out", help="with --run: write report.json/html here")
    g.add_argument("--screenshot", help="save the window as PNG once the charts are filled")
    g.add_argument("--exit-when-done", action="store_true")

    i = sub.add_parser("inspect", help="load a model, run one forward pass, print a summary")
    i.add_argument("model")
    i.add_argument("--weights")
    i.add_argument("--input-shape", type=_shape, help="one float32 input's shape, e.g. 1,3,224,224")
    _model_options(i, INIT_ARGS_HELP)
    i.add_argument(
        "--trust", action="store_true", help="allow a pickled whole module to run its code"
    )
    i.add_argument("--json", action="store_true")

    r = sub.add_parser("run", help="build, measure and export every variant of a recipe")
    r.add_argument("recipe")
    r.add_argument("--out", required=True)
    _model_options(r, INIT_ARGS_HELP + ", overriding it")
    r.add_argument(
        "--no-isolate", action="store_true", help="build in this process (no child process)"
    )
    r.add_argument(
        "--no-cache", action="store_true", help="rebuild every variant, even unchanged ones"
    )

    d = sub.add_parser("demo", help="run the built-in digits demo recipe end to end")
    d.add_argument("--out", required=True)
    d.add_argument(
        "--no-cache", action="store_true", help="rebuild every variant, even unchanged ones"
    )

    t = sub.add_parser("tune", help="search quantize x prune x format within an accuracy budget")
    t.add_argument("recipe")
    t.add_argument("--out", required=True)
    _model_options(t, INIT_ARGS_HELP + ", overriding it")
    t.add_argument(
        "--no-cache", action="store_true", help="rebuild every variant, even unchanged ones"
    )
    t.add_argument(
        "--max-accuracy-drop",
        type=float,
        default=None,
        help="labelled data: the accuracy budget (fraction, default 0.01)",
    )
    t.add_argument(
        "--min-agreement",
        type=float,
        default=None,
        help="unlabelled data: the fidelity budget, least top-1 agreement with the original "
        "(default 1 - max accuracy drop)",
    )
    t.add_argument(
        "--time-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop starting builds and measurements that would overrun this many seconds "
        "(the skipped candidates are listed in the report)",
    )
    t.add_argument(
        "--formats",
        default=None,
        help='formats to search, comma-separated, or "all" (default: the recipe\'s tunable '
        "formats, else all)",
    )
    t.add_argument(
        "--prune-amounts",
        default=None,
        help="prune amounts to search, comma-separated, 0 to 0.8 (default 0,0.3,0.5,0.7)",
    )
    t.add_argument(
        "--no-distill", action="store_true", help="do not search a distilled narrower student"
    )
    t.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="build N variants at a time in local worker processes, then measure them one at "
        "a time (default 1: build and measure each in turn)",
    )
    t.add_argument(
        "--ray",
        default=None,
        metavar="ADDRESS",
        help="build on a Ray cluster (auto: the one `ray start` runs here; local: a private "
        'Ray on this machine; or HEAD:6379), then measure here one at a time (pip install -e ".[ray]")',
    )
    return p


def main(argv: list[str] | None = None, open_window=None) -> int:
    """Run the CLI. ``open_window(args) -> exit code`` opens the window (``deploy-studio`` with
    no arguments, or ``gui``); the ``deploy-studio`` launcher (``deploy_studio.gui.launch``)
    passes it, so the engine never imports the window."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = args.debug or os.environ.get("DEPLOY_STUDIO_DEBUG") == "1"
    if args.command in (None, "gui"):
        return _gui(args, open_window)
    _quiet_libraries()
    try:
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "run":
            return _run(
                _load_recipe(args),
                Path(args.out),
                isolate=not args.no_isolate,
                cache=not args.no_cache,
            )
        if args.command == "demo":
            from deploy_studio.core.fsutil import resource_path
            from deploy_studio.core.recipe import load_recipe, skip_uninstalled

            demo = load_recipe(resource_path("recipes", "demo.toml"))
            for line in skip_uninstalled(demo):
                print(line, file=sys.stderr)
            return _run(
                demo,
                Path(args.out),
                cache=not args.no_cache,
            )
        if args.command == "tune":
            return _tune(args)
    except StudioError as e:
        if debug:
            traceback.print_exc()
        print(f"error: {e.message}", file=sys.stderr)
        if e.hint:
            print(f"try: {e.hint}", file=sys.stderr)
        return e.exit_code
    except (Cancelled, KeyboardInterrupt):
        print("\ncancelled: no partial files were left behind", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which exited: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no 2nd error at exit
        return 0
    parser.print_help()
    return 2


def _load_recipe(args):
    """The recipe of ``run``/``tune``, with ``--init-args``, ``--input`` and ``--task`` (when
    given) as its model's."""
    from deploy_studio.core.models.signature import parse_inputs
    from deploy_studio.core.recipe import load_recipe

    recipe = load_recipe(args.recipe)
    if args.init_args is not None:
        recipe.model.init_args = args.init_args or None
    if args.inputs:
        _check_inputs(args.inputs)
        recipe.model.inputs = [i.to_dict() for i in parse_inputs(args.inputs, "--input")]
        recipe.model.input_shape = None
    if args.task:
        recipe.model.task = args.task
    return recipe


def _quiet_libraries() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("torch", "torch.onnx", "coremltools", "executorch", "torchao", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _gui(args, open_window) -> int:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    ):
        print(
            "error: there is no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset)",
            file=sys.stderr,
        )
        print(
            "try: deploy-studio demo --out DIR (the same work, headless), or QT_QPA_PLATFORM=offscreen "
            "deploy-studio gui RECIPE --run --out DIR --screenshot PNG --exit-when-done",
            file=sys.stderr,
        )
        return 2
    if open_window is None:
        print(
            "error: this entry point runs the engine only; the window is opened by `deploy-studio` "
            "(deploy_studio.gui.launch)",
            file=sys.stderr,
        )
        print(
            "try: deploy-studio gui ... (or python -m deploy_studio.gui.launch gui ...)",
            file=sys.stderr,
        )
        return 2
    return open_window(args)


def _inspect(args) -> int:
    """Load the model in a worker process (a file that crashes a native loader becomes an
    error, not a dead CLI) and print its summary."""
    from deploy_studio.core.models.loaded import ModelSpec
    from deploy_studio.core.worker import Worker
    from deploy_studio.core.worker.requests import LoadModel

    if args.inputs and args.input_shape:
        print(
            "error: --input-shape and --input both declare the model's inputs",
            file=sys.stderr,
        )
        print(
            "try: --input NAME:SHAPE:DTYPE once per input, without --input-shape", file=sys.stderr
        )
        return 2
    _check_inputs(args.inputs)
    spec = ModelSpec(
        args.model,
        args.weights,
        args.input_shape,
        args.trust,
        init_args=args.init_args or None,
        inputs=args.inputs or None,
        task=args.task,
    )
    worker = Worker()
    try:
        summary = worker.call(LoadModel(spec))["summary"]
    except StudioError as e:
        if args.json:
            print(
                json.dumps(
                    {
                        "ok": False,
                        "error": e.message,
                        "hint": e.hint,
                        "params": None,
                        "input_shape": args.input_shape,
                        "inputs": args.inputs,
                        "output_shape": None,
                        "layer": getattr(e, "layer", None),
                    }
                )
            )
            return 2
        raise
    finally:
        worker.close()
    if args.json:
        print(json.dumps({"ok": True, "error": None, **summary}, indent=2))
        return 0
    _print_summary(summary)
    return 0


def _partial(coverage: dict | None) -> bool:
    """Whether an ExecuTorch program left ops outside its delegate."""
    if not coverage:
        return False
    return coverage.get("ops_delegated") != coverage.get("ops_total")


def coverage_text(coverage: dict) -> str:
    """One line of an ExecuTorch program's partition coverage."""
    share = coverage.get("flops_delegated_share")
    left = coverage.get("undelegated") or {}
    text = (
        f"coverage: {coverage.get('ops_delegated')}/{coverage.get('ops_total')} ops in the "
        f"{coverage.get('delegate')} delegate"
        + (f", {share:.0%} of the FLOPs" if share is not None else "")
    )
    if left:
        text += "; outside: " + ", ".join(f"{op} x{n}" for op, n in list(left.items())[:4])
    return text


def _print_summary(s: dict) -> None:
    size = s["size_bytes"]
    flops = s["flops"]
    print(f"model        {s['spec']}  ({s['kind']})")
    print(f"parameters   {s['params']:,}")
    print(f"size         {size / 1e6:.2f} MB" if size is not None else "size         n/a")
    inputs, outputs = s.get("inputs") or [], s.get("outputs") or []
    if len(inputs) > 1 or any(i["dtype"] != "float32" or i.get("dynamic") for i in inputs):
        for i in inputs:
            extra = ", ".join(
                [f"dim {d}: {lo}..{hi}" for d, (lo, hi) in (i.get("dynamic") or {}).items()]
                + ([f"values {i['range'][0]}..{i['range'][1]}"] if i.get("range") else [])
            )
            print(
                f"input        {i['name']} {i['shape']} {i['dtype']}"
                + (f" ({extra})" if extra else "")
            )
    else:
        print(f"input shape  {s['input_shape']}")
    if len(outputs) > 1:
        for o in outputs:
            task = "  (task output)" if o.get("task") else ""
            print(f"output       {o['name']} {o['shape']} {o['dtype']}{task}")
    else:
        print(f"output shape {s['output_shape']}")
    info = s.get("task")
    if info:
        how = f"guessed: {info['why']}" if info.get("guessed") else info["why"]
        print(f"task         {info['name']} ({how}); metric {info['metric']['label']}")
        if info.get("postprocess"):
            pp = ", ".join(f"{k}={v}" for k, v in info["postprocess"].items())
            print(f"postprocess  {pp}")
    print(
        f"FLOPs        {flops:,}"
        if flops is not None
        else "FLOPs        not countable for this model"
    )
    for n in s["notes"]:
        print(f"note         {n}")
    if s["layers"]:
        w = max(12, *(len(r["name"]) for r in s["layers"]))
        t = max(8, *(len(r["type"]) for r in s["layers"]))
        print()
        print(f"{'layer':<{w}}  {'type':<{t}}  {'params':>10}  output shape")
        for r in s["layers"]:
            shape = r["output_shape"] if r["output_shape"] is not None else "—"
            print(f"{r['name']:<{w}}  {r['type']:<{t}}  {r['params']:>10,}  {shape}")


def _run(recipe, out: Path, isolate: bool = True, cache: bool = True) -> int:
    from deploy_studio.core.engine import report_exit_code, run_recipe
    from deploy_studio.core.progress import Reporter
    from deploy_studio.core.terminal import TerminalProgress

    progress = TerminalProgress()
    try:
        report = run_recipe(recipe, out, reporter=Reporter(progress), isolate=isolate, cache=cache)
    finally:
        progress.finish()
    _print_results(report, out)
    return report_exit_code(report)


def cost_columns(cost: dict | None) -> str:
    """The table's ``GFLOP/s`` and ``bound, of peak`` cells (see ``core/cost``)."""
    if not cost:
        return f"{'n/a':>8} {'':<14}"
    bound, of_peak = cost.get("bound"), cost.get("of_peak")
    where = f"{bound or 'n/a'}" + (f", {of_peak:.0%}" if of_peak is not None else "")
    return f"{cost['gflops_per_s']:>8.2f} {where:<14}"


def _print_results(report_data: dict, out: Path) -> None:
    report = Report.from_dict(report_data)
    if report.notes:
        print("\nbefore trusting these numbers:")
        for n in report.notes:
            print(f"  ! {n}")
    origin = report.preprocess.get("origin")
    if origin:
        print(f"preprocessing: {origin}")
    w = max([22, *(len(v.name) for v in report.variants)])  # long tune names stay aligned
    task = report.task
    metric = task["metric"]
    percent = metric.get("unit", "percent") == "percent"
    head = {"top1": "acc", "miou": "mIoU", "map50": "mAP50"}.get(metric["key"], metric["key"])
    head += " %" if percent else ""
    agree = "agree %" if task.get("agreement") else "cos"
    base = report.baseline_metric
    if task["name"] != "classification":
        print(
            f"\ntask: {task['name']}; {metric['label']} of the original: "
            + (f"{base * 100:.2f} %" if percent and base is not None else f"{base}")
        )
    print(
        f"\n{'variant':<{w}} {'format':<7} {'size MB':>9} {'p50 ms':>9} {head:>7} {agree:>8} "
        f"{'SNR dB':>7} {'GFLOP/s':>8} {'bound, of peak':<14}"
    )
    for v in report.variants:
        if v.error:
            print(f"{v.name:<{w}} {v.format:<7} FAILED: {v.error}")
            continue
        lat, acc, snr = v.p50, v.metric, v.snr_db
        agr = v.agreement if task.get("agreement") else (v.parity.cosine if v.parity else None)
        acc_text = "n/a" if acc is None else (f"{acc * 100:.2f}" if percent else f"{acc:.4g}")
        agr_text = (
            "n/a"
            if agr is None
            else (f"{agr * 100:.1f}" if task.get("agreement") else f"{agr:.5f}")
        )
        print(
            f"{v.name:<{w}} {v.format:<7} {(v.size_bytes or 0) / 1e6:>9.3f} "
            f"{(f'{lat:.3f}' if lat is not None else 'n/a'):>9} {acc_text:>7} "
            f"{agr_text:>8} {(f'{snr:.1f}' if snr is not None else 'n/a'):>7} "
            f"{cost_columns(v.cost)}"
        )
        if v.not_runnable:
            print(f"  not measured here: {v.not_runnable}")
        if v.threads_scaling:
            print(
                "  threads: "
                + ", ".join(
                    f"{t['threads']}: p50 "
                    + (f"{t['p50']:.3f}" if t.get("p50") is not None else "n/a")
                    + " ms"
                    for t in v.threads_scaling
                )
            )
        worst = v.step("quantize").get("numerics_worst")
        if worst:
            print(f"  int8 error enters most at: {', '.join(worst)} (see report.html)")
        cov = v.coverage
        if cov and (cov.get("delegate") != "xnnpack" or _partial(cov)):
            print(f"  {coverage_text(cov)}")
        for name, p in ((v.parity.outputs or {}) if v.parity else {}).items():
            diff, osnr, cos = p.get("max_abs_diff"), p.get("snr_db"), p.get("cosine")
            print(
                f"  output {name}: max |diff| {f'{diff:.2e}' if diff is not None else 'n/a'}, "
                f"SNR {f'{osnr:.1f} dB' if osnr is not None else 'n/a'}, "
                f"cosine {f'{cos:.6f}' if cos is not None else 'n/a'}"
            )
    _print_footer(report, out)


def _print_footer(report: Report, out: Path) -> None:
    """Under the table: this host's limits, gates that did not pass, apps, the report path."""
    if report.host_limits:
        from deploy_studio.core.cost.host import limits_text

        print(limits_text(report.host_limits))
    for g in report.gates:
        if g.status == "passed":
            continue
        value = f"{g.value:.6g}" if isinstance(g.value, float) else g.value
        reason = f": {g.reason}" if g.reason else ""
        print(f"gate {g.status.upper()}: {g.name} = {value} (limit {g.limit}){reason}")
    for t in report.templates:
        ep = f", execution provider {t.execution_provider}" if t.execution_provider else ""
        print(f"app: {t.platform} ({t.runtime}{ep}): {t.path or 'FAILED: ' + (t.error or '')}")
    print(f"report: {out / 'report.html'}")


def _tune(args) -> int:
    from deploy_studio.core.engine import report_exit_code
    from deploy_studio.core.progress import Reporter
    from deploy_studio.core.scaleout.prebuild import make_executor
    from deploy_studio.core.terminal import TerminalProgress
    from deploy_studio.core.tune import DEFAULT_AMOUNTS, check_time_budget, tune, tune_formats

    check_time_budget(args.time_budget)  # before the model loads: a bad flag fails at once
    formats = _csv(args.formats, str, "--formats")
    if formats == ["all"]:
        formats = tune_formats()
    amounts = _csv(args.prune_amounts, float, "--prune-amounts")
    executor = make_executor(args.workers, args.ray)  # bad flags fail before any work
    recipe = _load_recipe(args)
    progress = TerminalProgress()
    try:
        report = tune(
            recipe,
            Path(args.out),
            max_accuracy_drop=args.max_accuracy_drop,
            reporter=Reporter(progress),
            min_agreement=args.min_agreement,
            cache=not args.no_cache,
            formats=formats,
            amounts=DEFAULT_AMOUNTS if amounts is None else amounts,
            time_budget=args.time_budget,
            distill=not args.no_distill,
            executor=executor,
        )
    finally:
        progress.finish()
        if executor is not None:
            executor.close()
    _print_results(report, Path(args.out))
    for line in tune_summary(report["tune"]):
        print(line)
    print(f"pareto: {', '.join(report.get('pareto') or [])}")
    print(f"recommended: {report.get('recommended') or 'none'} ({report['tune']['note']})")
    return 0 if report.get("recommended") else report_exit_code(report)


def _csv(text: str | None, kind, flag: str) -> list | None:
    """A comma-separated flag value as a list of ``kind`` (None when not given)."""
    from deploy_studio.core.errors import RecipeError

    if text is None:
        return None
    try:
        items = [kind(x.strip()) for x in text.split(",") if x.strip()]
    except ValueError:
        items = []
    if not items:
        raise RecipeError(
            f"{flag} takes a comma-separated list, got {text!r}", f"e.g. {flag} 0,0.5"
        )
    return items


def tune_summary(tune: dict) -> list[str]:
    """A few lines on the stages of a tune: measured, kept, dropped, time."""
    lines = []
    for st in tune.get("stages") or []:
        dropped = st.get("dropped") or {}
        lines.append(
            f"stage {st['stage']} (warmup {st.get('warmup')}, runs {st.get('runs')}): "
            f"measured {st['measured']}, kept {len(st['kept'])}"
            + (f", dropped {len(dropped)}" if dropped else "")
            + f" ({st['seconds']:.1f} s)"
        )
    skipped = tune.get("skipped") or {}
    if skipped:
        lines.append(f"skipped for time: {', '.join(skipped)}")
    cache = tune.get("prefix_cache") or {}
    if cache.get("reused"):
        lines.append(
            f"prefix cache: {cache['computed']} prune/distill result(s) computed, "
            f"reused {cache['reused']} time(s)"
        )
    if tune.get("recommended_threads"):
        lines.append(
            f"fastest thread count of the recommended variant: {tune['recommended_threads']}"
        )
    lines.append(f"tune wall time: {tune['seconds']:.1f} s")
    return lines


if __name__ == "__main__":
    sys.exit(main())
