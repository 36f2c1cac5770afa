"""The package installs under one import name, deploy_studio, with its data; the engine never
imports the window; nothing imports the folders under their generic names."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT

GENERIC = re.compile(r"^\s*(from|import)\s+(core|gui)(\.|\s|$)", re.M)


def test_every_package_folder_is_in_the_wheel_list():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    mapping = cfg["package-dir"]
    found = set()
    for name, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            if "__pycache__" in rel.parts:
                continue
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found == listed, (found - listed, listed - found)


def test_no_module_imports_the_generic_top_level_names():
    offenders = []
    for folder in ("core", "gui", "tests", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if GENERIC.search(text) or re.search(r"[\"']-m[\"'],\s*[\"'](core|gui)\.", text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
