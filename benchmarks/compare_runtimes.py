"""Eager PyTorch against every runtime, fp32 and int8, side by side in one run (batch 1, 1 thread).

For builtin:digits-cnn (trained, real held-out digits), torchvision mobilenet_v3_small and
resnet18 (random weights: no hub downloads here) this builds, with the engine, fp32 and int8
artifacts for ExecuTorch + XNNPACK (.pte, int8: PT2E static), ONNX Runtime (.onnx, int8: static
QDQ), LiteRT (.tflite, int8: PT2E static through litert-torch) and the TorchScript lite
interpreter (.ptl, int8: dynamic, the only int8 it runs), measures each in its own runtime
and prints size, p50 / p90 latency, the ratio to eager and the fidelity to eager (top-1
agreement on real data; cosine of the outputs where the weights are random, whose top-1 is
meaningless).

    python benchmarks/compare_runtimes.py [--runs 100] [--models digits-cnn,mobilenet_v3_small,resnet18]

LiteRT needs the optional extra (pip install -e ".[litert]"); without it its rows say so.
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
RUNTIMES = [  # (label, format, converter, the int8 mode it runs)
    ("ExecuTorch/XNNPACK", "pte", "export", "int8-static"),
    ("ONNX Runtime", "onnx", "export", "int8-static"),
    ("LiteRT", "tflite", "export", "int8-static"),
    ("TorchScript-lite", "ptl", "trace", "int8-dynamic"),
]


def variants() -> list[dict]:
    """eager, then every runtime in fp32 and in its int8 mode."""
    out: list[dict] = [{"name": "eager fp32", "format": "eager"}]
    for label, fmt, convert, mode in RUNTIMES:
        out.append({"name": f"{label} fp32", "format": fmt, "convert": convert})
        out.append(
            {
                "name": f"{label} int8",
                "format": fmt,
                "convert": convert,
                "steps": [{"kind": "quantize", "mode": mode}],
            }
        )
    return out


def fidelity(row: dict) -> str:
    """Top-1 agreement with eager where it means something, else the outputs' cosine."""
    parity = row.get("parity") or {}
    if not parity.get("meaningful", True):
        return "n/a (the random-weight model's outputs are near constant)"
    if parity.get("top1_agreement") is not None:
        return f"{parity['top1_agreement'] * 100:.1f}% top1"
    cosine = parity.get("cosine")
    return f"cos {cosine:.4f}" if cosine is not None else "n/a"


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
        f"{'model':<20} {'variant':<24} {'size MB':>9} {'p50 ms':>9} {'p90 ms':>9} {'vs eager':>9} "
        f"{'acc %':>7}  fidelity to eager"
    )
    for key in args.models.split(","):
        model, data = MODELS[key]
        recipe = parse_recipe(
            {
                "name": f"bench {key}",
                "model": model,
                "data": {**data, "calibration_samples": 8},
                "benchmark": {"threads": 1, "warmup": args.warmup, "runs": args.runs},
                "variant": variants(),
            }
        )
        report = run_recipe(recipe, out_root / key, templates=False)
        rows = report["variants"]
        eager = next(r for r in rows if r["format"] == "eager")["latency_ms"]["p50"]
        for r in rows:
            if r["error"]:
                print(f"{key:<20} {r['name']:<24} FAILED: {r['error'][:90]}")
                continue
            lat = r["latency_ms"]
            top1 = (r.get("accuracy") or {}).get("top1")
            acc = f"{top1 * 100:>7.2f}" if top1 is not None else f"{'-':>7}"
            print(
                f"{key:<20} {r['name']:<24} {r['size_bytes'] / 1e6:>9.2f} {lat['p50']:>9.3f} "
                f"{lat['p90']:>9.3f} {eager / lat['p50']:>8.2f}x {acc}  {fidelity(r)}"
            )
        for precision in ("fp32", "int8"):
            done = [
                r
                for r in rows
                if r["name"].endswith(precision) and not r["error"] and r["format"] != "eager"
            ]
            if done:
                best = min(done, key=lambda r: r["latency_ms"]["p50"])
                print(
                    f"{key:<20} fastest {precision}: {best['name']} ({best['latency_ms']['p50']:.3f} ms)"
                )
        print()
    print("'vs eager' = eager p50 / variant p50 (above 1 = faster than eager).")


if __name__ == "__main__":
    main()
