"""The CLI contract: exit codes 0/1/2/130, short messages without tracebacks, no partial files."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli
from tests.support.recipes import EAGER, ONNX, write_recipe


def _recipe(tmp_path, tiny_model_file, file="r.toml", **tables):
    """fp32-eager and fp32-onnx of TinyNet, 16 calibration and 40 held-out samples."""
    return write_recipe(
        tmp_path / file,
        tiny_model_file,
        [EAGER, ONNX],
        name="t",
        data={"calibration_samples": 16, "eval_samples": 40},
        **tables,
    )


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_run_passes_then_fails_a_gate(tmp_path, tiny_model_file):
    ok = run_cli(
        "run",
        str(_recipe(tmp_path, tiny_model_file, gates={"max_size_bytes": 10000000})),
        "--out",
        str(tmp_path / "a"),
    )
    assert ok.returncode == 0, ok.stderr
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert [g["passed"] for g in report["gates"] if g["gate"] == "max_size_bytes"] == [True, True]
    # the fidelity gates are on by default: fp32 artifacts reproduce the model exactly
    assert {g["gate"] for g in report["gates"]} == {
        "max_size_bytes",
        "min_top1_agreement",
        "min_snr_db",
    }
    assert all(g["passed"] for g in report["gates"])
    bad = run_cli(
        "run",
        str(_recipe(tmp_path, tiny_model_file, gates={"max_size_bytes": 100})),
        "--out",
        str(tmp_path / "b"),
    )
    assert bad.returncode == 1
    assert "gate FAILED: max_size_bytes:fp32-onnx" in bad.stdout


def test_bad_recipes_exit_2_without_traceback(tmp_path, tiny_model_file):
    cases = {
        "unknown key": (
            _recipe(tmp_path, tiny_model_file, gates={"max_acc": 1}),
            "unknown key 'max_acc'",
        ),
        "missing file": (tmp_path / "missing.toml", "does not exist"),
    }
    for name, (path, message) in cases.items():
        r = run_cli("run", str(path), "--out", str(tmp_path / "o"))
        assert r.returncode == 2, name
        assert message in r.stderr and "Traceback" not in r.stderr, name
    assert not (tmp_path / "o" / "report.json").exists()


def _as_from_a_terminal() -> None:
    """The child starts with SIGINT as a terminal gives it: default and unblocked. A test
    session started with ``&`` from a non-interactive shell ignores SIGINT (bash does that to
    background jobs), ignored signals are inherited across exec, and the run never saw it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _signal_status(pid: int) -> str:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "no /proc status"
    return " ".join(line for line in text.splitlines() if line.startswith(("SigBlk", "SigIgn")))


def test_ctrl_c_stops_cleanly(tmp_path, tiny_model_file):
    """SIGINT mid-measurement: exit 130, a short message, no partial files. How fast it stops
    is measured by benchmarks/responsiveness.py, not asserted here."""
    # a benchmark that cannot end by itself: on a starved machine (the test process waiting
    # behind others) a million runs ended before the signal arrived, and the run exited 0
    slow = _recipe(tmp_path, tiny_model_file, "slow.toml", benchmark={"runs": 10**9})
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deploy_studio.core.cli",
            "run",
            str(slow),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()  # the progress lines: the signal is sent once a benchmark is under way
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and not any("] benchmark" in line for line in lines):
        assert proc.poll() is None, "".join(lines)
        time.sleep(0.05)
    assert any("] benchmark" in line for line in lines), "".join(lines)
    status = _signal_status(proc.pid)  # in the message when it fails
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:  # never leave a run of 10**9 calls behind
            proc.kill()
            proc.wait()
    reader.join(30)
    err = "".join(lines)
    assert proc.returncode == 130, f"{status}\n{err}"
    assert "cancelled" in err and "Traceback" not in err
    assert [p for p in out.rglob("*") if p.name.startswith(".")] == []
    assert not (out / "report.json").exists()


@pytest.mark.slow  # > 6 s on two cores (subprocess CLI or several builds)
def test_inspect_every_bad_input_kind_exits_2(tmp_path):
    (tmp_path / "garbage.pt").write_bytes(os.urandom(300))
    (tmp_path / "empty.ptl").write_bytes(b"")
    cases = [
        [str(tmp_path / "garbage.pt"), "--input-shape", "1,1,28,28"],
        [str(tmp_path / "empty.ptl")],
        [str(tmp_path / "nothing.pt2")],
        ["torchvision:not_a_net"],
        ["builtin:digits-cnn", "--input-shape", "1,3,28,28"],
        ["builtin:digits-cnn", "--input-shape", "one,two"],
    ]
    for args in cases:
        r = run_cli("inspect", *args)
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip(), args


def test_inspect_piped_into_a_closed_reader_is_not_a_traceback(tiny_model_file):
    # `deploy-studio inspect MODEL | head -3` used to end in a BrokenPipeError traceback.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deploy_studio.core.cli",
            "inspect",
            f"{tiny_model_file}:TinyNet",
            "--input-shape",
            "1,1,28,28",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # the reader is gone before the summary is printed
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_run_into_a_file_or_with_no_variants_exits_2(tmp_path, tiny_model_file):
    recipe = _recipe(tmp_path, tiny_model_file)
    a_file = tmp_path / "afile"
    a_file.write_text("")
    r = run_cli("run", str(recipe), "--out", str(a_file))
    assert r.returncode == 2 and "is a file" in r.stderr and "Traceback" not in r.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text(
        f'[model]\nsource = "{tiny_model_file}:TinyNet"\ninput_shape = [1, 1, 28, 28]\n'
    )
    r = run_cli("run", str(empty), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and "no enabled variant" in r.stderr
    assert not (tmp_path / "o").exists()
