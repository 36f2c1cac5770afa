"""Fuzz every model loader: damaged files must end in a typed error, never anything else.

Builds one small valid file of each format ``load_model`` reads, then loads ``--tries``
mutated copies of each (truncated, bytes flipped anywhere, one zip member edited with its
checksum kept valid, central-directory/local-header damage, flatbuffer header/offset damage;
see benchmarks/_fuzz_cases.py). Each load must succeed or raise a ``StudioError``; anything
else is an untyped exception (a defect). Tries run in worker subprocesses, so a native crash
or a hang is counted and the run goes on after it.

    python benchmarks/fuzz_loaders.py [--tries 10000] [--seed 1234] [--formats lite,pt2] [--jobs 2]
    python benchmarks/fuzz_loaders.py --replay pt2:123   # one try in-process, with its traceback

Prints, per format: tries, ok, typed errors, untyped exceptions (and their share), crashes
(the worker died: a segfault or abort in torch's C++), hangs (a load took over --timeout),
tries slower than --slow, and the most frequent untyped exception types, each with a try to
replay; --typed-top N also lists the typed messages users would see. Exit 1 when any try
ended untyped, crashed or hung. 10,000 tries of every format take about 30 min on 2 cores.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _fuzz_cases as fc

HERE = Path(__file__).resolve()


def _worker(args) -> None:
    """Run tries [start, stop) of one format; one JSON line before and after each try."""
    import torch

    import deploy_studio.core.models.sources as sources

    torch.set_num_threads(1)
    sources.LITE_PROBE_TIMEOUT = args.timeout / 3  # a looping file ends typed, before --timeout
    folder = Path(args.dir)
    case = fc.load_case(args.worker, folder / "valid", folder / f"work-{os.getpid()}")
    outcome, detail = fc.try_load(case, case.original)  # warm up imports; the valid file must load
    if not case.valid_result_ok(outcome, detail):
        raise SystemExit(f"the valid {args.worker} file does not load: {outcome} {detail}")
    out = sys.stdout
    for i in range(args.start, args.stop):
        what, data = fc.mutate(case, fc.try_rng(args.seed, args.worker, i))
        out.write(json.dumps({"start": i}) + "\n")
        out.flush()
        t0 = time.perf_counter()
        outcome, detail = fc.try_load(case, data)
        rec = {
            "i": i,
            "outcome": outcome,
            "detail": detail,
            "what": what,
            "s": time.perf_counter() - t0,
        }
        out.write(json.dumps(rec) + "\n")
        out.flush()


def _message_kind(detail: str) -> str:
    """A typed error's message without its file name and numbers, to group alike ones."""
    kind, _, msg = detail.partition(": ")
    msg = re.sub(r"^\S+\.(pt2?|pth|ptl) ", "FILE ", msg)
    msg = re.sub(r"\(.*", "(...)", msg)
    msg = re.sub(r"\d+", "N", msg)
    return f"{kind}: {msg[:110]}"


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.untyped: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.examples: dict[tuple[str, str], list[str]] = collections.defaultdict(list)
        self.seconds: dict[str, float] = collections.defaultdict(float)
        self.typed: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.slow: dict[str, list[tuple[float, str]]] = collections.defaultdict(list)

    def add(
        self,
        fmt: str,
        outcome: str,
        i: int,
        detail: str = "",
        what: str = "",
        secs: float = 0.0,
        slow: float = 2.0,
    ) -> None:
        with self.lock:
            self.counts[fmt][outcome] += 1
            if outcome == "typed":
                self.typed[fmt][_message_kind(detail)] += 1
            if secs > slow:
                self.slow[fmt].append(
                    (secs, f"--replay {fmt}:{i}  [{what}] {outcome} {detail[:160]}")
                )
            if outcome in ("untyped", "crash", "hang"):
                key = detail.split(":", 1)[0] if outcome == "untyped" else outcome
                self.untyped[fmt][key] += 1
                ex = self.examples[(fmt, key)]
                if len(ex) < 3:
                    ex.append(f"--replay {fmt}:{i}  [{what}] {detail}")


def _run_chunk(args, fmt: str, start: int, stop: int, tally: Tally) -> None:
    """Run a chunk in a subprocess; after a crash or a hang, go on after the culprit."""
    i = start
    while i < stop:
        cmd = [
            sys.executable,
            str(HERE),
            "--worker",
            fmt,
            "--dir",
            args.dir,
            "--seed",
            str(args.seed),
            "--start",
            str(i),
            "--stop",
            str(stop),
        ]
        p = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
        )
        fd = p.stdout.fileno()
        buf = b""
        running = None
        t0 = time.monotonic()
        last = time.monotonic()
        hung = False
        while True:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    rec = json.loads(line)
                    if "start" in rec:
                        running = rec["start"]
                        last = time.monotonic()
                    else:
                        tally.add(
                            fmt,
                            rec["outcome"],
                            rec["i"],
                            rec["detail"],
                            rec["what"],
                            rec["s"],
                            args.slow,
                        )
                        running = None
                        i = rec["i"] + 1
            elif running is not None and time.monotonic() - last > args.timeout:
                hung = True
                os.killpg(p.pid, signal.SIGKILL)
        rc = p.wait()
        p.stdout.close()
        with tally.lock:
            tally.seconds[fmt] += time.monotonic() - t0
        if running is not None:  # died or was killed during this try
            what, _ = fc.mutate(
                fc.load_case(fmt, Path(args.dir) / "valid", Path(args.dir) / "probe"),
                fc.try_rng(args.seed, fmt, running),
            )
            if hung:
                tally.add(fmt, "hang", running, f"> {args.timeout:.0f} s", what)
            else:
                sig = -rc if rc < 0 else None
                name = signal.Signals(sig).name if sig else f"exit code {rc}"
                tally.add(fmt, "crash", running, name, what)
            i = running + 1
        elif rc != 0 and i < stop:
            raise SystemExit(f"worker for {fmt} failed at try {i} before starting it (rc {rc})")


def _replay(args) -> None:
    fmt, _, idx = args.replay.partition(":")
    with tempfile.TemporaryDirectory(prefix="ds-fuzz-") as d:
        fc.build_files(Path(d) / "valid", [fmt])
        case = fc.load_case(fmt, Path(d) / "valid", Path(d) / "work")
        what, data = fc.mutate(case, fc.try_rng(args.seed, fmt, int(idx)))
        print(f"{fmt} try {idx}: {what}")
        if args.keep:
            Path(args.keep).write_bytes(data)
            print(f"mutated file written to {args.keep}")
        case.path.write_bytes(data)
        from deploy_studio.core.models import load_model

        try:
            m = load_model(case.spec())
            print("ok:", m.kind)
        except Exception:  # noqa: BLE001 - shown in full: that is what replay is for
            traceback.print_exc()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tries", type=int, default=10_000, help="mutations per format")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument(
        "--formats",
        default=",".join(fc.FORMATS),
        help="comma-separated, of: " + ", ".join(fc.FORMATS),
    )
    ap.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="worker processes at a time"
    )
    ap.add_argument("--chunk", type=int, default=500, help="tries per worker process")
    ap.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds one load may take before it counts as a hang",
    )
    ap.add_argument(
        "--slow", type=float, default=2.0, help="list tries that took longer than this (seconds)"
    )
    ap.add_argument(
        "--typed-top",
        type=int,
        default=0,
        help="also list the N most frequent typed messages per format",
    )
    ap.add_argument(
        "--replay", default=None, help="FORMAT:INDEX: run that one try here and show its traceback"
    )
    ap.add_argument("--keep", default=None, help="with --replay: write the mutated file here")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--dir", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return _worker(args)
    if args.replay:
        return _replay(args)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in formats if f not in fc.FORMATS]
    if unknown:
        ap.error(f"unknown format(s) {unknown}; known: {', '.join(fc.FORMATS)}")
    tally = Tally()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ds-fuzz-") as d:
        args.dir = d
        fc.build_files(Path(d) / "valid", formats)
        chunks = [
            (f, s, min(s + args.chunk, args.tries))
            for f in formats
            for s in range(0, args.tries, args.chunk)
        ]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            for fut in [pool.submit(_run_chunk, args, f, s, e, tally) for f, s, e in chunks]:
                fut.result()
    print(
        f"fuzz_loaders: seed {args.seed}, {args.tries} tries per format, {time.monotonic() - t0:.0f} s wall\n"
    )
    sys.exit(_print_tally(tally, formats, args))


def _print_tally(tally: Tally, formats: list[str], args) -> int:
    """The table, the untyped / slow examples; returns the exit code (1 when any went wrong)."""
    head = (
        f"{'format':24} {'tries':>6} {'ok':>6} {'typed':>6} {'untyped':>8} {'share':>8} {'crashes':>7} "
        f"{'hangs':>5} {'slow':>5} {'ms/try':>7}"
    )
    print(head)
    print("-" * len(head))
    bad = 0
    for f in formats:
        c = tally.counts[f]
        n = sum(c.values())
        bad += c["untyped"] + c["crash"] + c["hang"]
        share = c["untyped"] / n if n else 0.0
        ms = 1000 * tally.seconds[f] / n if n else 0.0
        print(
            f"{f:24} {n:6d} {c['ok']:6d} {c['typed']:6d} {c['untyped']:8d} {share:8.2%} {c['crash']:7d} "
            f"{c['hang']:5d} {len(tally.slow[f]):5d} {ms:7.1f}"
        )
    for f in formats:
        if tally.untyped[f]:
            print(f"\n{f}: top untyped exceptions / crashes / hangs")
            for key, n in tally.untyped[f].most_common(8):
                print(f"  {n:6d}  {key}")
                for ex in tally.examples[(f, key)]:
                    print(f"          {ex[:300]}")
    for f in formats:
        if tally.slow[f]:
            print(f"\n{f}: tries slower than {args.slow:g} s (slowest first)")
            for secs, ex in sorted(tally.slow[f], reverse=True)[:5]:
                print(f"  {secs:6.1f} s  {ex[:300]}")
    if args.typed_top:
        for f in formats:
            print(f"\n{f}: most frequent typed messages")
            for msg, n in tally.typed[f].most_common(args.typed_top):
                print(f"  {n:6d}  {msg}")
    total = sum(sum(c.values()) for c in tally.counts.values())
    print(f"\ntotal: {total} tries, {bad} untyped/crashed/hung")
    return 1 if bad else 0


if __name__ == "__main__":
    main()
