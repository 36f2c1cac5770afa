"""Turn a converter's exception into a message naming the op or the user's line of code."""

from __future__ import annotations

import re
import traceback

from deploy_studio.core.errors import ConversionError

_OP = re.compile(
    r"\b(aten\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?|torch\.ops\.[A-Za-z0-9_.]+|prim::[A-Za-z0-9_]+|aten::[A-Za-z0-9_]+)"
)
_FILE = re.compile(r'File "([^"]+)", line (\d+)')
_INTERNAL = ("site-packages", "/torch/", "<frozen", "/core/converters/", "/core/pipeline/")


def user_frame(err: BaseException) -> str | None:
    """``file:line: code`` of the innermost frame outside torch and the engine, if any."""
    best = None
    for fr in traceback.extract_tb(err.__traceback__):
        if not any(p in fr.filename for p in _INTERNAL):
            best = f"{fr.filename}:{fr.lineno}: {(fr.line or '').strip()}"
    if best:
        return best
    for path, line in _FILE.findall(str(err)):
        if not any(p in path for p in _INTERNAL):
            return f"{path}:{line}"
    return None


def conversion_error(converter: str, err: BaseException, alternatives: str) -> ConversionError:
    text = str(err).strip()
    first = text.splitlines()[0][:300] if text else type(err).__name__
    op_match = _OP.search(text)
    op = op_match.group(1) if op_match else None
    where = user_frame(err)
    parts = [f"{converter} could not convert the model: {first}"]
    if op:
        parts.append(f"unsupported op: {op}")
    if where:
        parts.append(f"at {where}")
    hint = f"try convert = {alternatives}"
    if "data-dependent" in text or "guard" in text.lower():
        hint = f"control flow that depends on tensor values cannot be exported; rewrite it with torch.cond/torch.where, or {hint}"
    return ConversionError("; ".join(parts), hint, op=op)
