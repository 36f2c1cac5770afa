"""Recipe tables read and written from their dataclasses: one definition of keys and defaults.

A recipe section (``[model]``, ``[data]``, ``[benchmark]``, ``[gates]``, ``[export]``, one
``[[variant]]``) is a dataclass. Its fields *are* the accepted keys, their defaults the
defaults, their type hints the types, and ``field(metadata=rule(...))`` the extra rules
(bounds, choices, fractions, ``false`` to turn a default off). :func:`parse_table` validates a
TOML table into the dataclass in one pass (an unknown key names the allowed ones) and
:func:`table_of` writes it back so that ``parse_table(table_of(x)) == x``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from typing import Any

from deploy_studio.core.errors import RecipeError


def rule(
    help: str = "",
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
    choices: tuple | None = None,
    allow_false: bool = False,
    required: bool = False,
    example: str = "",
) -> dict:
    """Field metadata for :func:`parse_table` (``dataclasses.field(metadata=rule(...))``)."""
    return {
        "help": help,
        "minimum": minimum,
        "maximum": maximum,
        "exclusive_minimum": exclusive_minimum,
        "choices": choices,
        "allow_false": allow_false,
        "required": required,
        "example": example,
    }


def _hints(cls) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def keys_of(cls) -> list[str]:
    """The keys a section accepts: its dataclass fields, in order."""
    return [f.name for f in fields(cls)]


def _type_name(t) -> str:
    args = typing.get_args(t)
    if isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union:
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if typing.get_origin(t) is list:
        item = _type_name(args[0]).removeprefix("an ").removeprefix("a ") if args else ""
        return f"a list of {item}s" if item else "a list"
    if typing.get_origin(t) is dict:
        return "a table"
    return {
        int: "an integer",
        float: "a number",
        str: "text",
        bool: "true or false",
        dict: "a table",
    }.get(t, str(t))


def _matches(value, t) -> bool:
    origin = typing.get_origin(t)
    if isinstance(t, types.UnionType) or origin is typing.Union:
        return any(_matches(value, a) for a in typing.get_args(t))
    if t is type(None):
        return value is None
    if t is bool:
        return isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if t is str:
        return isinstance(value, str)
    if origin is list:
        (item,) = typing.get_args(t) or (Any,)
        return isinstance(value, list) and (item is Any or all(_matches(v, item) for v in value))
    if origin is dict or t is dict:
        return isinstance(value, dict)
    return True


def coerce(value, t, meta: dict, where: str):
    """Check ``value`` against type ``t`` and the field's rules; return it (ints of floats as float)."""
    if value is False and meta.get("allow_false"):
        return False
    if not _matches(value, t):
        example = f" (e.g. {meta['example']})" if meta.get("example") else ""
        raise RecipeError(
            f"{where} must be {_type_name(t)}, got {value!r}", (meta.get("help") or "") + example
        )
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if (
        numeric
        and float in (typing.get_args(t) or (t,))
        and int not in (typing.get_args(t) or (t,))
    ):
        value = float(value)
    lo, hi = meta.get("minimum"), meta.get("maximum")
    if (
        numeric
        and lo is not None
        and (value < lo or (meta.get("exclusive_minimum") and value == lo))
    ):
        raise RecipeError(
            f"{where} must be {'>' if meta.get('exclusive_minimum') else '>='} {lo:g}, got {value}",
            meta.get("help") or "",
        )
    if numeric and hi is not None and value > hi:
        raise RecipeError(f"{where} must be <= {hi:g}, got {value}", meta.get("help") or "")
    if isinstance(value, list) and numeric is False and lo is not None:
        for v in value:
            if isinstance(v, (int, float)) and v < lo:
                raise RecipeError(
                    f"{where} values must be >= {lo:g}, got {value!r}", meta.get("help") or ""
                )
    choices = meta.get("choices")
    if choices is not None and value is not None and value not in choices:
        raise RecipeError(
            f"{where} = {value!r} is not allowed", f"allowed values: {', '.join(map(str, choices))}"
        )
    return value


def check_keys(table: Any, allowed, where: str) -> dict:
    """``table`` as a dict whose keys are all in ``allowed`` (else a RecipeError naming them)."""
    if not isinstance(table, dict):
        raise RecipeError(f"{where} must be a table, got {type(table).__name__}")
    allowed = list(allowed)
    for k in table:
        if k not in allowed:
            raise RecipeError(
                f"unknown key {k!r} in {where}", f"allowed keys: {', '.join(sorted(allowed))}"
            )
    return table


def parse_table(cls, table: Any, where: str, *, skip: tuple[str, ...] = (), **given):
    """Validate ``table`` into dataclass ``cls``: unknown keys, types and rules, defaults filled.

    Fields in ``skip`` are parsed by the caller and passed in ``given``.
    """
    table = check_keys(table, keys_of(cls), where)
    hints = _hints(cls)
    kwargs: dict[str, Any] = dict(given)
    for f in fields(cls):
        if f.name in skip or f.name in given:
            continue
        meta = dict(f.metadata or {})
        if f.name in table:
            kwargs[f.name] = coerce(table[f.name], hints[f.name], meta, f"{where}.{f.name}")
        elif meta.get("required") or (f.default is MISSING and f.default_factory is MISSING):
            raise RecipeError(f"{where} needs {f.name}", meta.get("help") or "")
    return cls(**kwargs)


def table_of(obj, *, skip: tuple[str, ...] = ()) -> dict:
    """The TOML table of a section dataclass: every field that is not None (lists copied)."""
    out: dict[str, Any] = {}
    for f in fields(obj):
        if f.name in skip:
            continue
        v = getattr(obj, f.name)
        if v is None:
            continue
        if is_dataclass(v):
            v = table_of(v)
        elif isinstance(v, list):
            v = list(v)
        elif isinstance(v, dict):
            v = dict(v)
        out[f.name] = v
    return out
