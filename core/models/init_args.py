"""Constructor arguments of a model class (``[model] init_args``, ``--init-args JSON``).

:func:`parse_json` reads the CLI's and the window's JSON text, :func:`check` validates a
recipe's table, :func:`construct` builds a class with them: a missing, unknown or mistyped
argument is an :class:`~deploy_studio.core.errors.InitArgsError` naming it and saying how to
pass arguments (the recipe key and the CLI flag), never a traceback.
"""

from __future__ import annotations

import difflib
import inspect
import json
import typing
from typing import Any

from deploy_studio.core.errors import InitArgsError, ModelLoadError, RecipeError

HOW = "[model] init_args = {{ {toml} }} in the recipe, or --init-args '{{{json}}}'"
_NAMED = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.KEYWORD_ONLY,
)


def parse_json(text: str) -> dict[str, Any]:
    """``--init-args`` text as a dict; a ValueError says what is wrong with it."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValueError(f"{text!r} is not JSON ({e}); e.g. '{{\"num_classes\": 5}}'") from None
    if not isinstance(value, dict):
        raise ValueError(
            f"{text!r} is a JSON {type(value).__name__}, not an object of arguments; "
            "e.g. '{\"num_classes\": 5}'"
        )
    return value


def check(value: Any, where: str) -> dict[str, Any] | None:
    """A recipe's ``init_args`` table: names to JSON values (None when empty)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecipeError(f"{where} must be a table, got {value!r}", "e.g. { num_classes = 5 }")
    for k, v in value.items():
        try:
            json.dumps(v, allow_nan=False)
        except (TypeError, ValueError):
            raise RecipeError(
                f"{where}.{k} = {v!r} is not a plain value",
                "constructor arguments are text, numbers, true/false, lists or tables",
            ) from None
    return dict(value) or None


def how_to_pass(names: list[str], given: dict[str, Any] | None = None) -> str:
    """The recipe key and the CLI flag that give ``names`` (and the arguments ``given``)."""
    given = dict(given or {})
    toml = ", ".join(
        [f"{k} = {json.dumps(v)}" for k, v in given.items()] + [f"{n} = ..." for n in names]
    )
    js = ", ".join(
        [f'"{k}": {json.dumps(v)}' for k, v in given.items()] + [f'"{n}": ...' for n in names]
    )
    return "give them as " + HOW.format(toml=toml, json=js)


def signature_text(cls: Any, sig: inspect.Signature | None = None) -> str:
    """``Name(a, b=2)``, or ``Name(...)`` when the signature cannot be read."""
    sig = sig if sig is not None else _signature(cls)
    name = getattr(cls, "__name__", str(cls))
    return f"{name}{sig}" if sig is not None else f"{name}(...)"


def construct(cls: Any, init_args: dict[str, Any] | None, label: str) -> Any:
    """``cls(**init_args)``, checked against the constructor's signature first."""
    args = dict(init_args or {})
    sig = _signature(cls)
    shown = signature_text(cls, sig)
    positional: list[Any] = []
    if sig is not None:
        params = sig.parameters
        named = {n: p for n, p in params.items() if p.kind in _NAMED}
        takes_any = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())
        unknown = [k for k in args if k not in named and not takes_any]
        missing = [n for n, p in named.items() if p.default is p.empty and n not in args]
        if unknown:
            close = [m for k in unknown for m in difflib.get_close_matches(k, list(named), 1)]
            raise InitArgsError(
                f"{label} has no constructor argument {', '.join(map(repr, unknown))}: its "
                f"constructor is {shown}",
                (f"did you mean {', '.join(close)}? " if close else "")
                + "use its argument names in [model] init_args (--init-args)",
                missing=missing,
                signature=shown,
            )
        if missing:
            raise InitArgsError(
                f"{label} needs constructor argument(s) {', '.join(missing)}, "
                + ("none were given" if not args else f"given only {', '.join(args)}")
                + f": its constructor is {shown}",
                how_to_pass(missing, args),
                missing=missing,
                signature=shown,
            )
        hints = _hints(cls)
        for name, value in list(args.items()):
            args[name] = _typed(name, value, hints.get(name), label, shown)
        for n, p in named.items():  # positional-only parameters cannot be passed by name
            if p.kind == inspect.Parameter.POSITIONAL_ONLY and n in args:
                positional.append(args.pop(n))
    try:
        return cls(*positional, **args)
    except TypeError as e:
        given = ", ".join(f"{k}={v!r}" for k, v in (init_args or {}).items())
        raise InitArgsError(
            f"{label}({given}) failed: TypeError: {_first_line(e)}",
            f"check the arguments' values and types against its constructor {shown} "
            "([model] init_args, --init-args)",
            signature=shown,
        ) from None
    except Exception as e:  # noqa: BLE001 - the user's constructor may raise anything
        given = ", ".join(f"{k}={v!r}" for k, v in (init_args or {}).items())
        raise ModelLoadError(
            f"building {label}({given}) raised {type(e).__name__}: {_first_line(e)}",
            "the constructor failed on these arguments: check their values ([model] "
            "init_args, --init-args)",
        ) from None


def _signature(cls: Any) -> inspect.Signature | None:
    """The constructor's signature, its string annotations resolved where they can be."""
    try:
        return inspect.signature(cls, eval_str=True)
    except Exception:  # noqa: BLE001 - an annotation that does not evaluate
        pass
    try:
        return inspect.signature(cls)
    except (TypeError, ValueError):
        return None


def _hints(cls: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # noqa: BLE001 - unresolvable annotations: no type check
        return {}


_SIMPLE = {int: "an integer", float: "a number", str: "text", bool: "true or false"}


def _typed(name: str, value: Any, hint: Any, label: str, shown: str) -> Any:
    """``value`` for a parameter annotated ``hint``: a JSON list becomes a tuple where a tuple
    is declared; a plainly wrong type (text for an int, ...) is refused naming the argument."""
    if hint is None:
        return value
    options = (
        typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _union()) else (hint,)
    )
    if any(typing.get_origin(o) is tuple or o is tuple for o in options) and isinstance(
        value, list
    ):
        return tuple(value)
    if not all(o in _SIMPLE or o is type(None) for o in options):
        return value  # lists, modules, callables, ...: the constructor judges
    ok = value is None and type(None) in options
    ok = ok or any(_is(value, o) for o in options if o is not type(None))
    if ok:
        return (
            float(value)
            if float in options and int not in options and isinstance(value, int)
            else value
        )
    wanted = " or ".join(_SIMPLE[o] for o in options if o in _SIMPLE)
    raise InitArgsError(
        f"{label}'s constructor argument {name} must be {wanted}, got {value!r}",
        f"its constructor is {shown}; fix {name} in [model] init_args (--init-args)",
        signature=shown,
    )


def _is(value: Any, t: type) -> bool:
    if t is bool:
        return isinstance(value, bool)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if t is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, t)


def _union() -> Any:
    import types

    return types.UnionType


def _first_line(e: BaseException) -> str:
    s = str(e).strip()
    return (s.splitlines()[0] if s else type(e).__name__)[:300]
