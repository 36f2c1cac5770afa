"""Measured targets of the optimization steps (issue 3), side by side in one run.

Run from the repository root::

    python benchmarks/optimizations.py [--out DIR] [--skip-torchvision] [--archs resnet18]

Part 1, the digits demo (builtin:digits-cnn on builtin:digits, 1 thread): builds fp32 eager,
fp32 pte, int8-static pte, structured-l1 0.5 + finetuning, and a distilled
builtin:digits-cnn-small through the engine (the same path as ``deploy-studio run``), then
re-times the latency pairs interleaved, so load on the machine hits both sides alike.
Targets: int8 pte <= 0.30x fp32 pte size, >= 3x faster than fp32 eager, <= 1 point lost;
pruned <= 0.6x params, <= 2 points lost; student <= 0.25x params, >= 95% held-out.

Part 2, torchvision mobilenet_v3_small and resnet18 (random weights and data, latency only,
1 thread): the studio's variants (fp32/int8-static pte, int8-static onnx, 30%/50%
structured-pruned int8 pte) against ONNX Runtime's own best: the plain ONNX export run in
ORT, and ORT ``quantize_static`` QDQ int8 (S8S8 and U8S8 activations, per-channel; the
faster counts). Targets: the studio's fastest is at least as fast as ORT's best, and a
30-50% pruned int8 variant beats it. Prints ratios and PASS/FAIL per target; writes
``DIR/optimizations.json``. Exit 1 when a target fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _peers import ort_defaults, side_by_side  # noqa: E402

RESULTS: list[dict] = []


def target(name: str, value: float, limit: float, op: str, detail: str = "") -> bool:
    """Record and print one target (``op`` is "<=", ">=" or ">")."""
    ok = {"<=": value <= limit, ">=": value >= limit, ">": value > limit}[op]
    RESULTS.append(
        {"target": name, "value": value, "limit": limit, "op": op, "passed": ok, "detail": detail}
    )
    print(
        f"  [{'PASS' if ok else 'FAIL'}] {name}: {value:.4g} {op} {limit:g}"
        + (f"  ({detail})" if detail else "")
    )
    return ok


def _progress_printer():
    last = {"t": 0.0}

    def on_event(e):
        if e.kind == "log" and e.message:
            print(f"    {e.variant or ''}: {e.message}", flush=True)
        elif e.kind == "result":
            row = e.data
            lat = (row.get("latency_ms") or {}).get("p50")
            err = row.get("error")
            print(
                f"    built {row['name']}: "
                + (f"ERROR {err}" if err else f"{row['size_bytes']:,} B, p50 {lat:.3f} ms"),
                flush=True,
            )
        elif e.kind == "progress" and time.time() - last["t"] > 30:
            last["t"] = time.time()
            print(f"    ... {e.variant or ''} {e.stage} {e.fraction or 0:.0%}", flush=True)

    return on_event


def run_engine(recipe_dict: dict, out: Path):
    from deploy_studio.core.engine import run_recipe
    from deploy_studio.core.progress import Reporter
    from deploy_studio.core.recipe import parse_recipe

    recipe = parse_recipe(recipe_dict)
    report = run_recipe(
        recipe, out, reporter=Reporter(_progress_printer()), isolate=False, templates=False
    )
    rows = {r["name"]: r for r in report["variants"]}
    failed = {k: r["error"] for k, r in rows.items() if r.get("error")}
    if failed:
        print(f"  variants failed: {failed}")
    return report, rows


# --- part 1: digits ------------------------------------------------------------------------


def digits(out: Path, runs: int) -> None:
    from deploy_studio.core.models import ModelSpec, load_model
    from deploy_studio.core.runtimes import open_runner
    from deploy_studio.core.session import open_session

    print("\n== digits demo (builtin:digits-cnn, builtin:digits, 1 thread) ==", flush=True)
    recipe = {
        "name": "digits optimizations",
        "model": {"source": "builtin:digits-cnn"},
        "data": {"source": "builtin:digits", "calibration_samples": 128, "eval_samples": 500},
        "benchmark": {"threads": 1, "warmup": 10, "runs": 50},
        "variant": [
            {"name": "fp32-eager", "format": "eager"},
            {"name": "fp32-pte", "format": "pte"},
            {
                "name": "int8-pte",
                "format": "pte",
                "steps": [{"kind": "quantize", "mode": "int8-static"}],
            },
            {
                "name": "pruned50-pte",
                "format": "pte",
                "steps": [
                    {
                        "kind": "prune",
                        "method": "structured-l1",
                        "amount": 0.5,
                        "finetune_epochs": 2,
                    }
                ],
            },
            {
                "name": "student-pte",
                "format": "pte",
                "steps": [
                    {
                        "kind": "distill",
                        "student": "builtin:digits-cnn-small",
                        "epochs": 10,
                        "temperature": 4.0,
                        "alpha": 0.7,
                    }
                ],
            },
        ],
    }
    report, rows = run_engine(recipe, out / "digits")
    base = report["baseline"]["accuracy"]
    teacher_params = report["model"]["params"]

    # latency pair re-timed interleaved: fp32 eager (the loaded module) vs the int8 .pte
    session = open_session(ModelSpec("builtin:digits-cnn"), _data_spec(recipe["data"]))
    model = load_model(ModelSpec("builtin:digits-cnn"))
    x = session.eval_x[:1]
    runners = {
        "fp32-eager": open_runner("eager", None, 1, module=model.module),
        "fp32-pte": open_runner("executorch", out / "digits" / rows["fp32-pte"]["artifact"], 1),
        "int8-pte": open_runner("executorch", out / "digits" / rows["int8-pte"]["artifact"], 1),
    }
    p50 = side_by_side(runners, x, rounds=10, per_round=runs)
    print("  p50 latency (ms, interleaved): " + ", ".join(f"{k} {v:.4f}" for k, v in p50.items()))
    for k, r in rows.items():
        acc = (r.get("accuracy") or {}).get("top1")
        print(
            f"  {k:14s} size {r['size_bytes'] or 0:>10,} B  params {r['params'] or 0:>9,}  "
            f"top-1 {acc if acc is None else round(acc, 4)}  engine p50 {(r.get('latency_ms') or {}).get('p50')}"
        )
    print(f"  original accuracy {base:.4f}")
    target(
        "int8-static pte size / fp32 pte size",
        rows["int8-pte"]["size_bytes"] / rows["fp32-pte"]["size_bytes"],
        0.30,
        "<=",
    )
    target(
        "fp32 eager p50 / int8-static pte p50 (speed-up, 1 thread)",
        p50["fp32-eager"] / p50["int8-pte"],
        3.0,
        ">=",
        f"{p50['fp32-eager']:.4f} ms vs {p50['int8-pte']:.4f} ms",
    )
    target(
        "int8-static pte accuracy drop (points)",
        100 * (base - rows["int8-pte"]["accuracy"]["top1"]),
        1.0,
        "<=",
    )
    target(
        "structured-l1 0.5 params / original",
        rows["pruned50-pte"]["params"] / teacher_params,
        0.6,
        "<=",
    )
    target(
        "structured-l1 0.5 + finetune accuracy drop (points)",
        100 * (base - rows["pruned50-pte"]["accuracy"]["top1"]),
        2.0,
        "<=",
    )
    target(
        "distilled digits-cnn-small params / teacher",
        rows["student-pte"]["params"] / teacher_params,
        0.25,
        "<=",
    )
    target(
        "distilled digits-cnn-small held-out accuracy",
        rows["student-pte"]["accuracy"]["top1"],
        0.95,
        ">=",
    )
    for r in runners.values():
        r.close()


def _data_spec(d: dict):
    from deploy_studio.core.recipe import DataSpec

    return DataSpec(**d)


# --- part 2: torchvision vs ONNX Runtime ---------------------------------------------------


def ort_baselines(arch: str, folder: Path, calibration: np.ndarray) -> dict[str, Path]:
    """ONNX Runtime's own path (benchmarks/_peers.py): the plain ONNX export, and
    quantize_static QDQ int8 with S8S8 and U8S8 activations."""
    import torch

    from deploy_studio.core.models import ModelSpec, load_model

    model = load_model(ModelSpec(f"torchvision:{arch}", input_shape=[1, 3, 224, 224]))
    example = torch.from_numpy(calibration[:1])
    paths = ort_defaults(
        model.module.eval(), example, calibration, folder, arch, activations=("s8s8", "u8s8")
    )
    names = {"ONNX Runtime fp32": "ort-fp32", "ONNX Runtime int8": "ort-int8-s8s8"}
    return {names.get(k, k.replace("ONNX Runtime int8-", "ort-int8-")): v for k, v in paths.items()}


def torchvision_arch(arch: str, out: Path, runs: int) -> None:
    from deploy_studio.core.runtimes import open_runner

    print(
        f"\n== {arch} (torchvision, random weights and data, latency only, 1 thread) ==", flush=True
    )
    q = {"kind": "quantize", "mode": "int8-static"}
    recipe = {
        "name": f"{arch} optimizations",
        "model": {"source": f"torchvision:{arch}", "input_shape": [1, 3, 224, 224]},
        "data": {"source": "random", "calibration_samples": 16, "eval_samples": 4},
        "benchmark": {"threads": 1, "warmup": 2, "runs": 5},
        "variant": [
            {"name": "studio-fp32-pte", "format": "pte"},
            {"name": "studio-int8-pte", "format": "pte", "steps": [q]},
            {"name": "studio-int8-onnx", "format": "onnx", "steps": [q]},
            {
                "name": "studio-pruned30-int8-pte",
                "format": "pte",
                "steps": [{"kind": "prune", "method": "structured-l1", "amount": 0.3}, q],
            },
            {
                "name": "studio-pruned50-int8-pte",
                "format": "pte",
                "steps": [{"kind": "prune", "method": "structured-l1", "amount": 0.5}, q],
            },
        ],
    }
    folder = out / arch
    _report, rows = run_engine(recipe, folder)
    from deploy_studio.core.models import ModelSpec
    from deploy_studio.core.session import open_session

    session = open_session(
        ModelSpec(f"torchvision:{arch}", input_shape=[1, 3, 224, 224]), _data_spec(recipe["data"])
    )
    calibration = session.model.preprocess.apply(session.dataset.images[session.train_idx[:16]])
    print("  exporting and quantizing with ONNX Runtime's own tools ...", flush=True)
    ort_paths = ort_baselines(arch, folder / "ort", calibration)
    runners = {}
    for name, r in rows.items():
        if not r.get("error"):
            runners[name] = open_runner(r["runtime"], folder / r["artifact"], 1)
    for name, path in ort_paths.items():
        runners[name] = open_runner("onnxruntime", path, 1)
    x = session.eval_x[:1]
    p50 = side_by_side(runners, x, rounds=5, per_round=runs, warmup=5)
    for name, v in sorted(p50.items(), key=lambda kv: kv[1]):
        size = rows[name]["size_bytes"] if name in rows else ort_paths[name].stat().st_size
        params = rows[name]["params"] if name in rows else None
        print(
            f"  {name:26s} p50 {v:8.2f} ms  size {size:>11,} B"
            + (f"  params {params:,}" if params else "")
        )
    ort_best_name = min((k for k in p50 if k.startswith("ort-")), key=p50.get)
    ort_best = p50[ort_best_name]
    studio = {k: v for k, v in p50.items() if k.startswith("studio-")}
    fastest = min(studio, key=studio.get)
    pruned = {k: v for k, v in studio.items() if "pruned" in k}
    best_pruned = min(pruned, key=pruned.get) if pruned else None
    target(
        f"{arch}: ORT best p50 / studio fastest p50",
        ort_best / studio[fastest],
        1.0,
        ">=",
        f"{fastest} {studio[fastest]:.2f} ms vs {ort_best_name} {ort_best:.2f} ms",
    )
    if best_pruned:
        target(
            f"{arch}: ORT best p50 / pruned int8 p50",
            ort_best / pruned[best_pruned],
            1.0,
            ">",
            f"{best_pruned} {pruned[best_pruned]:.2f} ms vs {ort_best_name} {ort_best:.2f} ms",
        )
    else:
        target(f"{arch}: a pruned int8 variant built", 0.0, 1.0, ">=", "all pruned variants failed")
    for r in runners.values():
        r.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    p.add_argument("--skip-torchvision", action="store_true", help="only the digits targets")
    p.add_argument("--archs", nargs="*", default=["mobilenet_v3_small", "resnet18"])
    p.add_argument("--runs", type=int, default=40, help="timed calls per runner per round")
    args = p.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="ds-bench-opt-"))
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    digits(out, args.runs)
    if not args.skip_torchvision:
        for arch in args.archs:
            torchvision_arch(arch, out, max(5, args.runs // 4))
    summary = {"seconds": round(time.perf_counter() - started, 1), "targets": RESULTS}
    (out / "optimizations.json").write_text(json.dumps(summary, indent=2))
    failed = [r["target"] for r in RESULTS if not r["passed"]]
    print(
        f"\n{len(RESULTS) - len(failed)}/{len(RESULTS)} targets passed in {summary['seconds']:.0f} s; "
        f"details in {out / 'optimizations.json'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
