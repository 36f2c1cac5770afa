"""Data that does not fit the model is said where users look: the terminal, report.html's top
and the report's ``notes`` (the window shows the same list above the variants)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import run_cli

MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"


def _folder(root: Path) -> Path:
    for c in ("a", "b"):
        (root / c / "more").mkdir(parents=True)  # a nested folder: ignored, and said so
        for i in range(4):
            Image.new("L", (28, 28), 40 * i + (100 if c == "b" else 0)).save(root / c / f"{i}.png")
        Image.new("L", (28, 28), 7).save(root / c / "more" / "hidden.png")
    (root / "b" / "broken.png").write_bytes(b"not a png")
    return root


def test_mismatches_are_printed_and_on_top_of_the_report(tmp_path, tiny_model_file):
    data = _folder(tmp_path / "imgs")
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        f'name = "notes"\n[model]\nsource = "{tiny_model_file}:TinyNet"\ninput_shape = [1, 1, 28, 28]\n'
        f'[data]\nsource = "imagefolder:{data}"\ncalibration_samples = 2\neval_samples = 3\n'
        '[benchmark]\nthreads = 1\nwarmup = 1\nruns = 3\n[[variant]]\nname = "e"\nformat = "eager"\n'
    )
    r = run_cli("run", str(recipe), "--out", str(tmp_path / "out"))
    assert r.returncode in (0, 1), r.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    notes = "\n".join(report["notes"])
    for needle in (
        "ignored 2 nested folder(s)",
        "skipped 1 unreadable image",
        "2 classes and the model 10 outputs",
        "preprocessing was GUESSED",
    ):
        assert needle in notes
        assert needle in r.stdout  # the summary under "before trusting these numbers"
        assert needle in r.stderr  # and as the run starts, before any build
    html = (tmp_path / "out" / "report.html").read_text()
    assert html.index("Before trusting these numbers") < html.index("<h2>Variants</h2>")
    assert "ignored 2 nested folder(s)" in html


@pytest.mark.skipif(not MNIST.is_dir(), reason="needs ../shared/data/mnist")
def test_the_digits_demo_model_on_real_mnist_is_called_a_data_mismatch(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text(
        f'name = "mismatch"\n[model]\nsource = "builtin:digits-cnn"\n[data]\nsource = "mnist:{MNIST}"\n'
        "calibration_samples = 16\neval_samples = 200\n[benchmark]\nthreads = 1\nwarmup = 1\nruns = 3\n"
        '[[variant]]\nname = "e"\nformat = "eager"\n'
    )
    r = run_cli("run", str(recipe), "--out", str(tmp_path / "out"), timeout=600)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["baseline"]["accuracy"] < 0.6
    assert any(
        "was trained on builtin:digits" in n and "data mismatch" in n for n in report["notes"]
    )
    assert "was trained on builtin:digits" in r.stdout
