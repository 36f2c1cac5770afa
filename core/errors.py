"""Typed errors a user can cause, each carrying what to try next.

Bugs still raise ordinary exceptions; everything here is shown to the user as a short
message (CLI: exit code 2, GUI: the Problems panel) without a traceback.
"""

from __future__ import annotations


class StudioError(Exception):
    """Base class of every user-facing error.

    Parameters
    ----------
    message:
        What failed, in the user's words.
    hint:
        What to try next (may be empty).
    """

    exit_code = 2

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message + (f"\nTry: {self.hint}" if self.hint else "")

    def to_dict(self) -> dict:
        return {"type": type(self).__name__, "message": self.message, "hint": self.hint}


class ModelLoadError(StudioError):
    """The model file or spec could not be read or built."""


class UntrustedPickleError(ModelLoadError):
    """A file was refused because loading it would run code from it and the user did not
    trust it. ``trust_helps``: loading it again with ``trust`` would load it (a pickled whole
    module, a .pt2 whose records run code); False for weights, which are never read that way."""

    def __init__(self, message: str, hint: str = "", trust_helps: bool = True) -> None:
        super().__init__(message, hint)
        self.trust_helps = trust_helps


class InputShapeUnknown(ModelLoadError):
    """The model's input shape cannot be read from its file: the caller must give one
    (``--input-shape`` on the command line; the window asks for it)."""


class InitArgsError(ModelLoadError):
    """A model class's constructor arguments are missing, unknown or of the wrong type.
    ``missing``: the required ones not given; ``signature``: the constructor as text (the
    window asks for the arguments with both; the CLI takes ``--init-args JSON``)."""

    def __init__(
        self, message: str, hint: str = "", missing: list[str] | None = None, signature: str = ""
    ) -> None:
        super().__init__(message, hint)
        self.missing = list(missing or [])
        self.signature = signature


class ShapeMismatchError(ModelLoadError):
    """The forward pass failed on a shape: names the layer and both shapes."""

    def __init__(self, message: str, hint: str = "", layer: str | None = None) -> None:
        super().__init__(message, hint)
        self.layer = layer


class ConversionError(StudioError):
    """torch.export / trace / script could not convert the model."""

    def __init__(self, message: str, hint: str = "", op: str | None = None) -> None:
        super().__init__(message, hint)
        self.op = op


class ExportError(StudioError):
    """Writing an artifact in a format failed."""

    def __init__(self, message: str, hint: str = "", op: str | None = None) -> None:
        super().__init__(message, hint)
        self.op = op


class DataError(StudioError):
    """A dataset could not be read."""


class RecipeError(StudioError):
    """A recipe file (or an option) is invalid."""


class RuntimeRunError(StudioError):
    """An artifact failed to run in its runtime."""


class TemplateError(StudioError):
    """A mobile project could not be rendered."""


def error_type(name: str) -> type[StudioError] | None:
    """The :class:`StudioError` subclass called ``name`` (defined in any imported module), to
    rebuild an error that crossed a process boundary with its type."""
    todo: list[type[StudioError]] = [StudioError]
    while todo:
        cls = todo.pop()
        if cls.__name__ == name:
            return cls
        todo.extend(cls.__subclasses__())
    return None


class Cancelled(Exception):
    """Raised inside long work when the user cancelled it."""
