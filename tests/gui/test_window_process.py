"""The window process never loads ExecuTorch or ONNX Runtime: models, builds, predictions and
apps run in its worker process, so a native crash there cannot take the window down."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT
from tests.gui.conftest import FOUR_VARIANTS, tiny_recipe_text

PROBE = textwrap.dedent("""
    import json, sys, time
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from deploy_studio.gui.main_window import MainWindow
    w = MainWindow()
    w.show()
    w.start_engine()
    def wait(pred, timeout=600):
        end = time.monotonic() + timeout
        while not pred() and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        return pred()
    assert wait(lambda: w.info is not None), "engine"
    done = []
    w.open_recipe(sys.argv[1], on_done=done.append)
    assert wait(lambda: done and w.doc.model_summary is not None), "recipe"
    assert w.start_run(sys.argv[2])
    assert wait(lambda: not w.run.running and w.run.report is not None), "run"
    assert wait(lambda: not w.sample_runner.busy and w.samples_panel.preds.rowCount() > 1), "predictions"
    maps = open("/proc/self/maps").read()
    native = sorted({line.split()[-1] for line in maps.splitlines()
                     if any(k in line for k in ("onnxruntime", "portable_lib", "executorch", "xnnpack"))})
    modules = sorted(m for m in sys.modules if m.split(".")[0] in ("onnxruntime", "executorch"))
    rows = w.samples_panel.prediction_rows()
    print(json.dumps({"native": native, "modules": modules, "worker": w.worker.pid, "rows": rows,
                      "variants": [r.name for r in w.run.report.variants]}))
    w.doc.set_dirty(False)
    w.close()
""")


@pytest.mark.slow  # a second window process and a full run (~40 s): `make test-all`
def test_a_full_run_with_predictions_loads_no_runtime_library_in_the_window(tmp_path, tiny_model):
    recipe = tmp_path / "tiny.toml"
    recipe.write_text(tiny_recipe_text(tiny_model, FOUR_VARIANTS))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(recipe), str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["variants"] == ["fp32-eager", "fp32-pte", "fp32-onnx", "fp32-ptl"]
    assert out["native"] == [] and out["modules"] == []
    assert out["worker"] is not None  # the work happened in the worker process
    by_name = {r[0]: r for r in out["rows"]}
    assert (
        by_name["fp32-pte"][2] == "✓" and by_name["fp32-onnx"][2] == "✓"
    )  # ran there, in their runtimes
