"""The suite: realistic mobile architectures on real data, the peers' defaults against ``tune``.

Run from the repository root::

    python benchmarks/suite.py [--models mobilenet_v3_small,shufflenet_v2,resnet18,vit_small]
                               [--quick] [--runs 100] [--warmup 20] [--time-budget S] [--out DIR]
                               [--formats pte,onnx,tflite] [--modes none,int8-static]
                               [--amounts 0,0.5] [--no-distill]

Each model (torchvision mobilenet_v3_small, shufflenet_v2_x0_5, resnet18, and a small ViT,
10 classes, 3x64x64 inputs) is trained once on MNIST's held-in side and cached (see
benchmarks/_suite_train.py; scikit-learn's digits where ../shared/data/mnist is absent).
Then, in one run, per model:

- the peers' defaults (benchmarks/_peers.py): ExecuTorch + XNNPACK fp32 and PT2E int8,
  ONNX Runtime fp32 and quantize_static QDQ int8, LiteRT fp32 and PT2E int8 (when
  litert-torch is installed);
- the studio's recommendation: ``core.tune.tune`` with ``max_accuracy_drop = 0.01`` and
  ``--time-budget`` (default 900 s per model) on a recipe pointing at the trained weights and
  the same held-out split. Its space by default: the peers' runtimes (pte, onnx, tflite),
  fp32 and static int8, not pruned and 50 % pruned, and tune's students (the shallower one,
  and the narrower one where the family has a width multiplier); --formats / --modes /
  --amounts / --no-distill change it (--quick: pte int8-static, unpruned and 50 % pruned, no
  students, 300 s);

all timed side by side in their own runtimes (batch 1, interleaved rounds, p50 at 1 and 4
threads) and evaluated on the held-out images. Prints size, p50@1, p50@4, top-1 and drop per
row, and the targets: best peer default within 1 point / studio p50 at 1 thread >= 1.5x;
studio size / int8 floor (the smallest peer int8 artifact) <= 1.02x where the studio chose
int8; studio within 1 point; tune's wall time within --time-budget. A missed target prints MISS; the exit code is 0 regardless
(it is a benchmark), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _peers
import _suite_train as st

SPEEDUP_TARGET, SIZE_TARGET, DROP_BUDGET = 1.5, 1.02, 0.01
THREADS = (1, 4)
SUITE_FORMATS = ("pte", "onnx", "tflite")


def _tunable() -> list[str]:
    from deploy_studio.core.tune import tune_formats

    return tune_formats()


def _search(args) -> dict:
    """Overrides of tune's search space (formats, quantize modes, prune amounts): tune's own
    defaults unless given; --quick searches pte int8-static, unpruned and 50% pruned."""
    space: dict = {}
    if args.formats:
        space["formats"] = args.formats.split(",")
    if args.modes:
        space["modes"] = [None if m == "none" else m for m in args.modes.split(",")]
    if args.amounts:
        space["amounts"] = [float(a) for a in args.amounts.split(",")]
    return space


def studio(key: str, sd: st.SuiteData, weights: Path, args, out: Path) -> tuple[dict, dict]:
    """Run tune on the trained model; returns (recommended row, tune summary)."""
    from deploy_studio.core.errors import StudioError
    from deploy_studio.core.recipe import parse_recipe
    from deploy_studio.core.tune import tune

    spec = st.model_spec(key, sd.size, weights)
    model = {"source": spec.source, "weights": spec.weights, "input_shape": spec.input_shape}
    if spec.init_args:
        model["init_args"] = spec.init_args
    space = _search(args)
    recipe = parse_recipe(
        {
            "name": f"suite {key}",
            "model": model,
            "data": sd.data,
            "preprocess": sd.preprocess,
            "benchmark": {"threads": 1, "warmup": args.warmup, "runs": args.runs},
            "variant": [{"name": f, "format": f} for f in space["formats"]],
        }
    )
    accepted = inspect.signature(tune).parameters
    extra = {}
    if args.time_budget and "time_budget" in accepted:
        extra["time_budget"] = args.time_budget
    if args.no_distill and "distill" in accepted:
        extra["distill"] = False
    started = time.perf_counter()
    try:
        report = tune(
            recipe,
            out,
            max_accuracy_drop=DROP_BUDGET,
            reporter=st._printer(f"{key} tune"),
            isolate=False,
            **space,
            **extra,
        )
    except StudioError as e:  # the peers' rows still print; the targets say MISS
        why = e.message + (f" (try: {e.hint})" if e.hint else "")
        print(f"    tune FAILED: {why}", flush=True)
        return None, {
            "seconds": round(time.perf_counter() - started, 1),
            "variants": {},
            "note": why,
        }
    rows = {r["name"]: r for r in report["variants"]}
    summary = {
        "seconds": round(time.perf_counter() - started, 1),
        "recommended": report.get("recommended"),
        "variants": {
            n: {
                "p50_ms": (r.get("latency_ms") or {}).get("p50"),
                "top1": (r.get("accuracy") or {}).get("top1"),
                "size_bytes": r.get("size_bytes"),
                "error": r.get("error"),
            }
            for n, r in rows.items()
        },
        "baseline_top1": (report.get("baseline") or {}).get("accuracy"),
        "time_budget": extra.get("time_budget"),
        "note": (report.get("tune") or {}).get("note"),
    }
    name = report.get("recommended")
    return (rows[name] if name else None), summary


def peers(key: str, module, sd: st.SuiteData, out: Path) -> tuple[dict[str, Path], dict]:
    """Every peer default's artifact (label -> path), and why any peer is missing."""
    calib = sd.calibration()
    example = calib[:1]
    built: dict[str, Path] = {}
    failed: dict[str, str] = {}
    builders = [
        (_peers.EXECUTORCH, lambda: _peers.executorch_defaults(module, example, calib, out, key)),
        (_peers.ORT, lambda: _peers.ort_defaults(module, example, calib.numpy(), out, key)),
    ]
    if _peers.litert_missing():
        failed[_peers.LITERT] = _peers.litert_missing()
    else:
        builders.append(
            (_peers.LITERT, lambda: _peers.litert_defaults(module, example, calib, out, key))
        )
    for label, build in builders:
        t0 = time.perf_counter()
        try:
            built.update(build())
            print(f"    built {label} defaults in {time.perf_counter() - t0:.0f} s", flush=True)
        except Exception as e:  # noqa: BLE001 - a peer that cannot build its default is a row
            failed[label] = (
                f"{type(e).__name__}: {str(e).strip().splitlines()[0][:160] if str(e).strip() else ''}"
            )
            print(f"    {label} defaults FAILED: {failed[label]}", flush=True)
    return built, failed


def measure(artifacts: dict[str, tuple[str, Path | None]], module, sd: st.SuiteData, args):
    """size, p50 at each thread count (interleaved) and held-out top-1 of every artifact
    (label -> (runtime, path); path None = the eager module)."""
    from deploy_studio.core.measure import run_outputs
    from deploy_studio.core.progress import NULL_REPORTER
    from deploy_studio.core.runtimes import open_runner

    x_eval, y_eval = sd.eval_tensors()
    x_eval, y_eval = x_eval.numpy(), y_eval.numpy()
    rows = {
        k: {"runtime": rt, "size_bytes": p.stat().st_size if p else None, "p50_ms": {}}
        for k, (rt, p) in artifacts.items()
    }
    per_round = max(1, args.runs // 5)
    for threads in THREADS:
        runners = {
            k: open_runner(rt, p, threads, module=module if p is None else None)
            for k, (rt, p) in artifacts.items()
        }
        p50 = _peers.side_by_side(runners, x_eval[:1], 5, per_round, warmup=args.warmup)
        for k, v in p50.items():
            rows[k]["p50_ms"][threads] = v
        if threads == 1:
            for k, r in runners.items():
                logits = run_outputs(r, x_eval, NULL_REPORTER)
                rows[k]["top1"] = float((logits.argmax(1) == y_eval).mean())
        for r in runners.values():
            r.close()
    return rows


def target(name: str, value: float | None, limit: float, op: str, detail: str = "") -> dict:
    if value is None:
        print(f"  [n/a ] {name}: {detail}")
        return {"target": name, "value": None, "limit": limit, "op": op, "status": "n/a"}
    ok = value >= limit if op == ">=" else value <= limit
    status = "PASS" if ok else "MISS"
    print(f"  [{status}] {name}: {value:.3g} {op} {limit:g}" + (f"  ({detail})" if detail else ""))
    return {"target": name, "value": value, "limit": limit, "op": op, "status": status}


def targets(rows: dict[str, dict], studio_label: str, ref_top1: float, int8_chosen: bool):
    """The three targets, computed from the measured rows."""
    peer = {k: r for k, r in rows.items() if k != studio_label}
    s = rows[studio_label]
    within = {k: r for k, r in peer.items() if ref_top1 - r["top1"] <= DROP_BUDGET + 1e-9}
    out = []
    if within:
        best = min(within, key=lambda k: within[k]["p50_ms"][1])
        ratio = within[best]["p50_ms"][1] / s["p50_ms"][1]
        detail = f"{best} {within[best]['p50_ms'][1]:.3f} ms vs studio {s['p50_ms'][1]:.3f} ms"
    else:
        ratio, detail = None, "no peer default is within 1 point"
    out.append(target("best peer p50 / studio p50 @1 thread", ratio, SPEEDUP_TARGET, ">=", detail))
    int8 = {k: r for k, r in peer.items() if k.endswith("int8") and r["size_bytes"]}
    if int8_chosen and int8:
        floor = min(int8, key=lambda k: int8[k]["size_bytes"])
        out.append(
            target(
                "studio size / int8 floor",
                s["size_bytes"] / int8[floor]["size_bytes"],
                SIZE_TARGET,
                "<=",
                f"{floor} {int8[floor]['size_bytes'] / 1e6:.3f} MB",
            )
        )
    else:
        why = "the studio did not choose int8" if not int8_chosen else "no peer int8 artifact"
        out.append(target("studio size / int8 floor", None, SIZE_TARGET, "<=", why))
    drop = 100 * (ref_top1 - s["top1"])
    out.append(target("studio accuracy drop (points)", drop, 100 * DROP_BUDGET, "<=", ""))
    return out


def print_table(rows: dict[str, dict], ref_top1: float) -> None:
    print(
        f"  {'row':<42} {'size MB':>9} {'p50@1 ms':>9} {'p50@4 ms':>9} {'top-1 %':>8} {'drop pt':>8}"
    )
    for k, r in rows.items():
        size = f"{r['size_bytes'] / 1e6:>9.3f}" if r["size_bytes"] else f"{'-':>9}"
        print(
            f"  {k:<42} {size} {r['p50_ms'][1]:>9.3f} {r['p50_ms'][4]:>9.3f} "
            f"{100 * r['top1']:>8.2f} {100 * (ref_top1 - r['top1']):>8.2f}"
        )


def run_model(key: str, sd: st.SuiteData, args, out: Path) -> dict:
    import torch

    from deploy_studio.core.models import load_model
    from deploy_studio.core.training import accuracy

    epochs = 1 if args.quick else st.ARCHS[key]["epochs"]
    print(f"\n== {key} ({st.ARCHS[key]['source'].rsplit('/', 1)[-1]}) ==", flush=True)
    weights, trained = st.trained(key, sd, epochs)
    how = "cached" if trained["cached"] else "trained now"
    print(
        f"  {trained['epochs']} epoch(s) on {trained['train_samples']} images in "
        f"{trained['seconds']:.0f} s ({how}): {weights}",
        flush=True,
    )
    module = load_model(st.model_spec(key, sd.size, weights)).module.eval()
    x_eval, y_eval = sd.eval_tensors()
    with torch.no_grad():
        ref = accuracy(module, x_eval, y_eval)
    print(f"  eager fp32 held-out top-1 {100 * ref:.2f}%", flush=True)
    t0 = time.perf_counter()
    built, failed = peers(key, module, sd, out / key / "peers")
    peer_seconds = time.perf_counter() - t0
    rec, tune_summary = studio(key, sd, weights, args, out / key / "tune")
    print(
        f"    tune: {len(tune_summary['variants'])} variants in {tune_summary['seconds']:.0f} s, "
        f"recommended {rec['name'] if rec else None}",
        flush=True,
    )
    artifacts = {k: (_peers.runtime_of(k), p) for k, p in built.items()}
    studio_label = None
    if rec is not None:
        studio_label = f"studio tune: {rec['name']}"
        path = out / key / "tune" / rec["artifact"] if rec["format"] != "eager" else None
        artifacts[studio_label] = (rec["runtime"], path)
    rows = measure(artifacts, module, sd, args)
    print(f"  batch 1, {args.warmup} warm-up + 5 interleaved rounds of {max(1, args.runs // 5)}")
    print_table(rows, ref)
    for label, why in failed.items():
        print(f"  {label}: not measured ({why})")
    results = []
    if studio_label:
        int8_chosen = any(
            s.get("kind") == "quantize" and "int8" in str(s.get("mode")) for s in rec["steps"]
        )
        results = targets(rows, studio_label, ref, int8_chosen)
    else:
        print(f"  [MISS] tune recommended nothing ({tune_summary['note']})")
        results = [{"target": "tune recommended a variant", "status": "MISS"}]
    if tune_summary.get("time_budget"):
        budget = tune_summary["time_budget"]
        results.append(
            target(
                "tune wall time / --time-budget",
                tune_summary["seconds"] / budget,
                1.0,
                "<=",
                f"{tune_summary['seconds']:.0f} s of {budget:.0f} s",
            )
        )
    return {
        "model": key,
        "source": st.ARCHS[key]["source"],
        "training": {k: v for k, v in trained.items() if k != "history"},
        "eager_fp32_top1": ref,
        "peer_build_seconds": round(peer_seconds, 1),
        "peers_failed": failed,
        "tune": tune_summary,
        "rows": {
            k: {**r, "p50_ms": {str(t): v for t, v in r["p50_ms"].items()}} for k, r in rows.items()
        },
        "studio_row": studio_label,
        "targets": results,
    }


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(st.ARCHS))
    p.add_argument("--quick", action="store_true", help="1 epoch, less data, a smaller search")
    p.add_argument("--runs", type=int, default=None, help="timed calls per artifact (default 100)")
    p.add_argument("--warmup", type=int, default=None, help="untimed calls first (default 20)")
    p.add_argument(
        "--time-budget",
        type=float,
        default=None,
        help="seconds per model, passed to tune (default 900, --quick 300; 0 = no budget)",
    )
    p.add_argument("--out", default=None, help="folder of artifacts and suite.json")
    p.add_argument("--data", default=None, help="MNIST IDX folder, or 'digits'")
    p.add_argument("--size", type=int, default=64, help="input height = width (default 64)")
    p.add_argument("--formats", default=None, help="tune's formats, e.g. pte,onnx")
    p.add_argument("--modes", default=None, help="tune's quantize modes, 'none' = fp32")
    p.add_argument("--amounts", default=None, help="tune's structured prune amounts")
    p.add_argument("--no-distill", action="store_true", help="no distilled students in tune")
    args = p.parse_args(argv)
    bad = [m for m in args.models.split(",") if m not in st.ARCHS]
    if bad:
        p.error(f"unknown model(s) {', '.join(bad)}; choose from {', '.join(st.ARCHS)}")
    if args.size < 32:
        p.error("--size must be at least 32")
    args.runs = args.runs or (20 if args.quick else 100)
    if args.time_budget is None:
        args.time_budget = 300.0 if args.quick else 900.0
    if args.time_budget < 0:
        p.error("--time-budget must be >= 0 seconds")
    args.warmup = args.warmup if args.warmup is not None else (5 if args.quick else 20)
    if args.quick:
        args.no_distill = True
        args.formats = args.formats or "pte"
        args.modes = args.modes or "int8-static"
        args.amounts = args.amounts or "0,0.5"
    # the suite's space: the peers' runtimes, fp32 and static int8 (what the peers ship), not
    # pruned / half pruned, and tune's students: 5 groups x 6, which fits a 4-model run in an hour
    args.formats = args.formats or ",".join(f for f in SUITE_FORMATS if f in _tunable())
    args.modes = args.modes or "none,int8-static"
    args.amounts = args.amounts or "0,0.5"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(1)  # eager reference and calibration; runners set their own
    out = Path(args.out or tempfile.mkdtemp(prefix="ds-suite-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sd = st.load_data(args.data, args.size, args.quick)
    print(f"data: {sd.description}")
    print(f"host: {os.cpu_count()} CPUs; artifacts in {out}", flush=True)
    results = [run_model(k, sd, args, out) for k in args.models.split(",")]
    print("\n== summary ==")
    for r in results:
        line = "; ".join(
            f"{t['target']}: "
            + (f"{t['value']:.3g} " if t.get("value") is not None else "")
            + t["status"]
            for t in r["targets"]
        )
        print(f"  {r['model']}: {line}")
    seconds = round(time.perf_counter() - started, 1)
    print(f"  total {seconds:.0f} s")
    summary = {
        "data": sd.description,
        "quick": args.quick,
        "seconds": seconds,
        "threads": list(THREADS),
        "models": results,
    }
    tmp = out / "suite.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2))
    os.replace(tmp, out / "suite.json")
    print(f"  results in {out / 'suite.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
