"""Plugin registries: steps, converters, formats and runtimes register themselves by key.

Each plugin lives in its own module, decorated with ``@STEPS.register("quantize", ...)`` (or
CONVERTERS / FORMATS / RUNTIMES). Keys are the stable strings users type in recipes; typed
:class:`Option` lists are what the GUI renders as forms and the recipe file stores. A format
is a class implementing :class:`deploy_studio.core.formats.contract.Format`, checked when it
registers (see docs/adding-a-format.md).
Modules in ``core.steps``, ``core.converters``, ``core.formats`` and ``core.runtimes`` are
discovered with ``pkgutil`` on first use.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from deploy_studio.core.errors import RecipeError


@dataclass(frozen=True)
class Option:
    """One typed option of a plugin.

    ``type`` is one of ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"list[str]"``.
    ``choices`` restricts a ``str`` option; ``minimum``/``maximum`` bound numbers; ``path``
    marks a file path or MODEL spec that a recipe gives relative to its own folder.
    """

    key: str
    type: str
    default: Any
    help: str = ""
    choices: Sequence | None = None
    minimum: float | None = None
    maximum: float | None = None
    required: bool = False
    path: bool = False  # a file path or MODEL spec: resolved against the recipe's folder

    def coerce(self, value: Any, where: str) -> Any:
        """Check and convert a user value; raise RecipeError naming ``where`` and the rule."""
        t = self.type
        try:
            if t == "bool":
                if not isinstance(value, bool):
                    raise TypeError
            elif t == "int":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise TypeError
            elif t == "float":
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError
                value = float(value)
            elif t == "str":
                if not isinstance(value, str):
                    raise TypeError
            elif t == "list[str]":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise TypeError
        except TypeError:
            raise RecipeError(
                f"{where}: {self.key} must be {t}, got {value!r}", self.help or ""
            ) from None
        if self.choices is not None and value not in self.choices:
            raise RecipeError(
                f"{where}: {self.key} = {value!r} is not allowed",
                f"allowed values: {', '.join(map(str, self.choices))}",
            )
        if self.minimum is not None and value < self.minimum:
            raise RecipeError(f"{where}: {self.key} must be >= {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise RecipeError(f"{where}: {self.key} must be <= {self.maximum}, got {value}")
        return value


@dataclass
class Entry:
    """A registered plugin: its key, class/function, typed options and description."""

    key: str
    obj: Any
    options: tuple[Option, ...] = ()
    label: str = ""
    help: str = ""
    extra: dict = field(default_factory=dict)

    def resolve_options(self, given: dict, where: str, *, defaults: bool = True) -> dict:
        """Coerce values and reject unknown keys (naming the allowed ones); with ``defaults``
        also fill in every option not given (else only the given ones are returned)."""
        return resolve_options(self.key, self.options, given, where, defaults=defaults)


def resolve_options(
    owner: str, options: tuple[Option, ...], given: dict, where: str, *, defaults: bool = True
) -> dict:
    """Check ``given`` against ``options`` (see :meth:`Entry.resolve_options`)."""
    allowed = {o.key: o for o in options}
    unknown = [k for k in given if k not in allowed]
    if unknown:
        raise RecipeError(
            f"{where}: unknown option {unknown[0]!r} for {owner}",
            f"allowed options: {', '.join(allowed) or 'none'}",
        )
    out = {}
    for o in options:
        if o.key in given:
            out[o.key] = o.coerce(given[o.key], where)
        elif o.required:
            raise RecipeError(f"{where}: {owner} needs the option {o.key!r}", o.help)
        elif defaults:
            out[o.key] = o.default
    return out


class Registry:
    """A named table of plugins with lazy discovery of its package's modules.

    ``contract`` (``"module:function"``, imported on the first registration) checks each new
    :class:`Entry` and returns the entry to store: a plugin that does not implement its kind's
    contract fails when it registers, not when a user first picks it.
    """

    def __init__(self, kind: str, package: str, contract: str | None = None) -> None:
        self.kind = kind
        self.package = package
        self.contract = contract
        self._entries: dict[str, Entry] = {}
        self._loaded = False

    def register(self, key: str, *, options=(), label: str = "", help: str = "", **extra):
        def deco(obj):
            entry = Entry(key, obj, tuple(options), label or key, help, extra)
            if self.contract is not None:
                module, _, name = self.contract.partition(":")
                entry = getattr(importlib.import_module(module), name)(entry)
            self._entries[key] = entry
            return obj

        return deco

    def unregister(self, key: str) -> None:
        """Forget ``key`` (for tests that register a throwaway plugin)."""
        self._entries.pop(key, None)

    def _discover(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        pkg = importlib.import_module(self.package)
        for info in pkgutil.iter_modules(pkg.__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{self.package}.{info.name}")

    def get(self, key: str, where: str = "") -> Entry:
        self._discover()
        if key not in self._entries:
            raise RecipeError(
                f"{where + ': ' if where else ''}unknown {self.kind} {key!r}",
                f"allowed values: {', '.join(self.keys())}",
            )
        return self._entries[key]

    def keys(self) -> list[str]:
        self._discover()
        return list(self._entries)

    def entries(self) -> list[Entry]:
        self._discover()
        return list(self._entries.values())


STEPS = Registry("step kind", "deploy_studio.core.steps")
CONVERTERS = Registry("converter", "deploy_studio.core.converters")
FORMATS = Registry(
    "format",
    "deploy_studio.core.formats",
    contract="deploy_studio.core.formats.contract:format_entry",
)
RUNTIMES = Registry("runtime", "deploy_studio.core.runtimes")
