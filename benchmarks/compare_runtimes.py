"""Eager PyTorch against every export format, side by side in one run (batch 1, 1 thread).

For builtin:digits-cnn, torchvision mobilenet_v3_small and resnet18 this builds fp32 .pte
(ExecuTorch + XNNPACK), .ptl (lite interpreter) and .onnx (ONNX Runtime) artifacts with the
engine, measures each in its own runtime, and prints size, p50 latency and the ratio to eager.

    python benchmarks/compare_runtimes.py [--runs 100] [--models digits-cnn,mobilenet_v3_small,resnet18]

Numbers are from this machine at the time of the run; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from deploy_studio.core.engine import run_recipe
from deploy_studio.core.recipe import parse_recipe

MODELS = {
    "digits-cnn": (
        {"source": "builtin:digits-cnn"},
        {"source": "builtin:digits", "eval_samples": 200},
    ),
    "mobilenet_v3_small": (
        {"source": "torchvision:mobilenet_v3_small"},
        {"source": "random", "eval_samples": 8},
    ),
    "resnet18": ({"source": "torchvision:resnet18"}, {"source": "random", "eval_samples": 8}),
}
VARIANTS = [
    {"name": "eager", "format": "eager"},
    {"name": "pte (ExecuTorch/XNNPACK)", "format": "pte", "convert": "export"},
    {"name": "ptl (lite interpreter)", "format": "ptl", "convert": "trace"},
    {"name": "onnx (ONNX Runtime)", "format": "onnx", "convert": "export"},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--out", default=None, help="keep artifacts and reports here")
    args = ap.parse_args()
    out_root = Path(args.out or tempfile.mkdtemp(prefix="ds-bench-"))
    print(
        f"batch 1, 1 thread, {args.warmup} warm-up + {args.runs} timed runs; artifacts in {out_root}\n"
    )
    print(
        f"{'model':<20} {'variant':<26} {'size MB':>9} {'p50 ms':>9} {'p90 ms':>9} {'vs eager':>9} {'agree %':>8}"
    )
    for key in args.models.split(","):
        model, data = MODELS[key]
        recipe = parse_recipe(
            {
                "name": f"bench {key}",
                "model": model,
                "data": {**data, "calibration_samples": 8},
                "benchmark": {"threads": 1, "warmup": args.warmup, "runs": args.runs},
                "variant": VARIANTS,
            }
        )
        report = run_recipe(recipe, out_root / key, templates=False)
        rows = report["variants"]
        eager = next(r for r in rows if r["format"] == "eager")["latency_ms"]["p50"]
        for r in rows:
            if r["error"]:
                print(f"{key:<20} {r['name']:<26} FAILED: {r['error'][:80]}")
                continue
            lat = r["latency_ms"]
            agree = r["parity"]["top1_agreement"]
            print(
                f"{key:<20} {r['name']:<26} {r['size_bytes'] / 1e6:>9.2f} {lat['p50']:>9.3f} {lat['p90']:>9.3f} "
                f"{eager / lat['p50']:>8.2f}x {agree * 100:>8.1f}"
            )
        print()
    print("'vs eager' = eager p50 / variant p50 (above 1 = faster than eager).")


if __name__ == "__main__":
    main()
