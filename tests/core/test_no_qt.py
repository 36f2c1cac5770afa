"""core/ never imports Qt: neither in its source nor at run time."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_core_source_has_no_qt_imports():
    pattern = re.compile(r"^\s*(import|from)\s+(PySide6|PyQt\w*|pyqtgraph|superqt)\b", re.M)
    offenders = [p for p in (ROOT / "core").rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys, core\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt', 'shiboken6')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300
    )
    assert r.returncode == 0, r.stdout + r.stderr
