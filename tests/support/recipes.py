"""One recipe builder for every test: a dict, a parsed :class:`Recipe`, TOML text or a file.

Defaults make a recipe that builds and measures in seconds: the tiny model's 1x28x28 input,
builtin:digits with 32 calibration and 60 held-out samples, one thread, 2 warm-up and 5 timed
runs. ``data``, ``benchmark`` and ``model`` given as dicts are merged over those defaults (a
model with ``inputs`` drops the default ``input_shape``);
any other table (``gates``, ``export``, ``preprocess``) is written as given::

    recipe(f"{models}:TinyNet", [variant("fp32-pte", "pte")], gates={"max_size_bytes": 1})
    write_recipe(tmp_path / "r.toml", tiny_py, FP32, data="random")
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

TINY_SHAPE = [1, 1, 28, 28]
DATA = {"source": "builtin:digits", "calibration_samples": 32, "eval_samples": 60}
BENCHMARK = {"threads": 1, "warmup": 2, "runs": 5}


def variant(name: str, fmt: str = "eager", *steps: dict, convert: str | None = None, **extra):
    """A ``[[variant]]`` table: ``variant("int8-pte", "pte", {"kind": "quantize"})``."""
    v: dict[str, Any] = {"name": name, "format": fmt}
    if convert is not None:
        v["convert"] = convert
    if steps:
        v["steps"] = [dict(s) for s in steps]
    v.update(extra)
    return v


EAGER = variant("fp32-eager", "eager")
PTE = variant("fp32-pte", "pte", convert="export")
ONNX = variant("fp32-onnx", "onnx", convert="export")
PTL = variant("fp32-ptl", "ptl", convert="trace")
FP32 = [EAGER, PTE, ONNX, PTL]
"""The four float variants: eager, ExecuTorch, ONNX and TorchScript-lite."""


def model_source(model: str | os.PathLike, cls: str = "TinyNet") -> str:
    """``file.py:Class`` for a model file path (``cls`` appended), else ``model`` as given."""
    if isinstance(model, os.PathLike):
        return f"{model}:{cls}"
    return str(model)


def recipe_dict(
    model: str | os.PathLike | dict,
    variants: list[dict] | tuple = (),
    *,
    name: str = "tiny",
    data: str | dict | None = None,
    benchmark: dict | None = None,
    **tables: Any,
) -> dict:
    """The recipe as the dict TOML gives (see the module docstring for the defaults)."""
    m: dict[str, Any] = {"input_shape": list(TINY_SHAPE)}
    if isinstance(model, dict):
        m.update({k: (str(v) if isinstance(v, os.PathLike) else v) for k, v in model.items()})
        if "inputs" in model and "input_shape" not in model:  # named inputs replace the shorthand
            m.pop("input_shape")
        m = {k: v for k, v in m.items() if v is not None}  # input_shape=None: the file says
    else:
        m["source"] = model_source(model)
    d: dict[str, Any] = {
        "name": name,
        "model": m,
        "data": {**DATA, **({"source": data} if isinstance(data, str) else (data or {}))},
        "benchmark": {**BENCHMARK, **(benchmark or {})},
        "variant": copy.deepcopy(list(variants)),
    }
    d.update(copy.deepcopy(tables))
    return d


def recipe(model, variants=(), **kw):
    """A parsed :class:`~deploy_studio.core.recipe.Recipe` (validated as a loaded file is)."""
    from deploy_studio.core.recipe import parse_recipe

    return parse_recipe(recipe_dict(model, variants, **kw))


def recipe_toml(model, variants=(), **kw) -> str:
    """The recipe as TOML text, exactly the tables given (nothing filled in by the parser)."""
    import tomli_w

    return tomli_w.dumps(recipe_dict(model, variants, **kw))


def write_recipe(path: str | os.PathLike, model, variants=(), **kw) -> Path:
    """Write :func:`recipe_toml` to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(recipe_toml(model, variants, **kw))
    return path
