"""Compare two report.json files in content, apart from what changes run to run.

    python scripts/compare_reports.py BEFORE/report.json AFTER/report.json

Timings (latency figures, build seconds, creation time), host details and absolute paths are
left out; everything else (sizes, parameter counts, accuracies, agreement, SNR, gates, apps,
notes) must be equal. Rows written before step data was namespaced (``prune``/``history`` at
the top of a row) are read as ``step_data``. Exit code 1 when they differ.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

VOLATILE_ROW = {"latency_ms", "build_seconds", "cached", "traceback"}
VOLATILE_TOP = {"created", "host"}
TIMING_GATES = {"max_latency_ms"}


def _row(r: dict) -> dict:
    r = {k: v for k, v in r.items() if k not in VOLATILE_ROW}
    legacy = {k: r.pop(k) for k in ("prune", "distill", "history") if k in r}
    if legacy:
        data = r.setdefault("step_data", {})
        if "prune" in legacy:
            data.setdefault("prune", legacy["prune"])
        if "distill" in legacy:
            data.setdefault("distill", legacy["distill"])
        if "history" in legacy:
            target = (
                "distill"
                if any(s.get("kind") == "distill" for s in r.get("steps", []))
                else "prune"
            )
            data.setdefault(target, {}).setdefault("history", legacy["history"])
    for hist in (
        d.get("history") for d in (r.get("step_data") or {}).values() if isinstance(d, dict)
    ):
        for epoch in hist or []:
            epoch.pop("seconds", None)
    if r.get("parity"):
        r["parity"] = {k: v for k, v in r["parity"].items()}
    return r


def normalise(report: dict) -> dict:
    out = {k: v for k, v in report.items() if k not in VOLATILE_TOP}
    out["variants"] = [_row(r) for r in report.get("variants", [])]
    out["gates"] = [g for g in report.get("gates", []) if g.get("gate") not in TIMING_GATES]
    return out


def diff(a, b, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}/{k}: only in the second ({json.dumps(b[k])[:120]})")
            elif k not in b:
                out.append(f"{path}/{k}: only in the first ({json.dumps(a[k])[:120]})")
            else:
                out += diff(a[k], b[k], f"{path}/{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{path}/{i}")
        ]
    return [] if a == b else [f"{path}: {json.dumps(a)[:120]} != {json.dumps(b)[:120]}"]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    a, b = (normalise(json.loads(Path(p).read_text())) for p in argv)
    found = diff(a, b)
    for line in found:
        print(line)
    print(f"{len(found)} difference(s) apart from timings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
