"""Wall time of ``deploy-studio tune`` on the digits demo recipe, and what it recommends.

Runs the CLI (a child process, as a user would) on ``resources/recipes/demo.toml`` (or the
recipe given) with ``--no-cache`` so every candidate is built, then prints the wall time,
the per-stage seconds and counts, and the recommended variant's p50 latency, top-1 accuracy
and size. Extra arguments go to ``tune`` (e.g. ``--prune-amounts 0,0.3,0.5 --no-distill``
for the space tune searched before issue 14).

    python benchmarks/tune_demo.py [RECIPE] [-- TUNE ARGS...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = argv[: argv.index("--")] if "--" in argv else argv
    recipe = args[0] if args else str(ROOT / "resources" / "recipes" / "demo.toml")
    with tempfile.TemporaryDirectory(prefix="ds-tune-bench-") as tmp:
        out = Path(tmp) / "out"
        cmd = [sys.executable, "-m", "deploy_studio.core.cli", "tune", recipe, "--out", str(out)]
        t0 = time.perf_counter()
        proc = subprocess.run([*cmd, "--no-cache", *extra], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if not (out / "report.json").is_file():
            print(proc.stderr[-2000:], file=sys.stderr)
            return proc.returncode or 1
        report = json.loads((out / "report.json").read_text())
    tune = report["tune"]
    print(f"recipe: {recipe} {' '.join(extra)}".rstrip())
    print(f"wall time: {wall:.1f} s (tune.seconds {tune['seconds']})")
    for st in tune.get("stages") or []:
        print(
            f"  stage {st['stage']}: measured {st['measured']}, kept {len(st['kept'])}, "
            f"{st['seconds']} s"
        )
    rows = {r["name"]: r for r in report["variants"]}
    best = rows.get(report.get("recommended") or "")
    if best is None:
        print(f"recommended: none ({tune['note']})")
        return 0
    acc = (best.get("accuracy") or {}).get("top1")
    print(
        f"recommended: {best['name']}: p50 {best['latency_ms']['p50']:.4f} ms, top-1 "
        f"{acc:.2%} (original {report['baseline']['accuracy']:.2%}), {best['size_bytes']:,} bytes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
