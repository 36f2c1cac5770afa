"""Wall time of ``deploy-studio tune`` on the digits demo, serial against scaled out.

Run from the repository root::

    python benchmarks/scaleout.py [--out DIR] [--workers 2] [--ray local] [--skip-ray]

The recipe is the embedded digits demo (resources/recipes/demo.toml) with its pte and onnx
variants, so tune searches those two formats (its default space otherwise). Each command runs the real CLI in a subprocess with ``--no-cache`` (everything is
built), in turn: serial, ``--workers N``, then ``--ray ADDRESS`` (``local``: a Ray on this
machine that the CLI starts and stops; ``auto`` after ``ray start --head``). The built-in
model is trained (and cached) before the first timing. Prints each command with its
seconds and the speed-up, checks that the reports list the same variants with the same sizes
and accuracies, and writes ``DIR/scaleout.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def demo_recipe(path: Path) -> Path:
    """demo.toml with its pte and onnx variants only, as a recipe file."""
    import tomli_w

    from deploy_studio.core.recipe import load_recipe

    recipe = load_recipe(ROOT / "resources" / "recipes" / "demo.toml")
    recipe.variants = [v for v in recipe.variants if v.format in ("pte", "onnx")]
    recipe.export.templates = []
    path.write_text(tomli_w.dumps(recipe.to_dict()))
    return path


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "deploy_studio.core.cli", *args]


def timed(cmd: list[str]) -> float:
    print("$ " + " ".join(["deploy-studio", *cmd[3:]]), flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        print(done.stderr[-3000:])
        raise SystemExit(f"failed with exit code {done.returncode}")
    print(f"  {seconds:.1f} s", flush=True)
    return seconds


def summary(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text())
    return {
        r["name"]: (r["size_bytes"], (r.get("accuracy") or {}).get("top1"), r["error"])
        for r in report["variants"]
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--ray", default="local", help="the --ray address (default: local)")
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="ds-scaleout-"))
    out.mkdir(parents=True, exist_ok=True)
    recipe = str(demo_recipe(out / "digits-demo-pte-onnx.toml"))
    print(f"{os.cpu_count()} CPUs; recipe {recipe}")
    subprocess.run(cli("inspect", "builtin:digits-cnn"), cwd=ROOT, capture_output=True)
    runs = [("serial", []), (f"workers {args.workers}", ["--workers", str(args.workers)])]
    if not args.skip_ray:
        runs.append((f"ray {args.ray}", ["--ray", args.ray]))
    results = []
    for label, flags in runs:
        target = out / label.replace(" ", "-")
        cmd = cli("tune", recipe, "--out", str(target), "--no-cache", *flags)
        results.append(
            {"run": label, "command": " ".join(["deploy-studio", *cmd[3:]]), "seconds": timed(cmd)}
        )
        results[-1]["same_as_serial"] = summary(target) == summary(out / "serial")
    base = results[0]["seconds"]
    print("\nrun            seconds  speed-up  same variants, sizes, accuracies")
    for r in results:
        r["speedup"] = round(base / r["seconds"], 2)
        print(f"{r['run']:<14} {r['seconds']:7.1f}  {r['speedup']:7.2f}x  {r['same_as_serial']}")
    (out / "scaleout.json").write_text(json.dumps(results, indent=2))
    return 0 if all(r["same_as_serial"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
