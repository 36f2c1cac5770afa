"""Turn a converter's exception into a message naming the op or the user's line of code.

A failure on a data-dependent shape (``torchvision.ops.nms``, ``torch.nonzero``, boolean-mask
indexing: the number of boxes a detector keeps depends on the values) names the op and says
the way out: detection post-processing runs outside the graph (``[model] postprocess``).
"""

from __future__ import annotations

import linecache
import re
import traceback

from deploy_studio.core.errors import ConversionError

_OP = re.compile(
    r"\b(aten\.[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?|torch\.ops\.[A-Za-z0-9_.]+|prim::[A-Za-z0-9_]+|aten::[A-Za-z0-9_]+)"
)
_FILE = re.compile(r'File "([^"]+)", line (\d+)')
_INTERNAL = ("site-packages", "/torch/", "<frozen", "/core/converters/", "/core/pipeline/")
_TORCH = ("/torch/", "<frozen", "/core/converters/", "/core/pipeline/")
_CAUSED = re.compile(r"Caused by: \((\S+):(\d+) in (\w+)\)")

# (pattern in a line of code, what to call it), most specific first
_DATA_DEPENDENT_CODE = (
    (re.compile(r"\bbatched_nms\s*\("), "torchvision.ops.batched_nms (non-maximum suppression)"),
    (re.compile(r"\bnms\s*\("), "torchvision.ops.nms (non-maximum suppression)"),
    (re.compile(r"\bnonzero\s*\("), "torch.nonzero"),
    (re.compile(r"\bmasked_select\s*\("), "torch.masked_select"),
    (re.compile(r"\bunique(?:_consecutive)?\s*\("), "torch.unique"),
    (re.compile(r"\bwhere\s*\([^,()]*\)"), "torch.where(condition) (its one-argument form)"),
    (
        re.compile(r"\w\[[^\[\]]*(?:[<>]=?|==|!=)[^\[\]]*\]"),
        "boolean-mask indexing (x[scores > t])",
    ),
)
POSTPROCESS_HINT = (
    "move the score threshold and NMS out of the graph: return the raw boxes and scores "
    '(e.g. {"boxes": [1, A, 4] decoded x0,y0,x1,y1, "scores": [1, A, classes]}) and declare '
    '[model] postprocess = { boxes = "boxes", scores = "scores", score_threshold = 0.3, '
    "iou_threshold = 0.5 }: Deploy Studio (and the generated apps) run it after the model"
)


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


def is_data_dependent(err: BaseException) -> bool:
    """Whether ``err`` is torch.export failing on a shape that depends on tensor values."""
    text = str(err)
    return (
        "DataDependent" in type(err).__name__
        or "data-dependent" in text
        or "unbacked" in text.lower()
    )


def _code_op(lines: list[str]) -> str | None:
    """The data-dependent op of the last line (of ``lines``) that calls one."""
    for line in reversed(lines):
        code = line.split("#", 1)[0]
        for pattern, name in _DATA_DEPENDENT_CODE:
            if pattern.search(code):
                return name
    return None


def _nms(function: str) -> str:
    op = "batched_nms" if "batched" in function else "nms"
    return f"torchvision.ops.{op} (non-maximum suppression)"


def data_dependent_op(err: BaseException) -> str | None:
    """The op that made the shape data-dependent: found in the failing frames (innermost
    first: a function named ``*nms*``, else the code of the function up to the failing line,
    outside torch itself), else in the error's ``Caused by`` line."""
    frames = []
    tb = err.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code, tb.tb_lineno))
        tb = tb.tb_next
    caused = _CAUSED.search(str(err))
    if caused and "nms" in caused.group(3).lower():
        return _nms(caused.group(3))
    for code, lineno in reversed(frames):
        if any(p in code.co_filename for p in _TORCH):
            continue
        if "nms" in code.co_name.lower():
            return _nms(code.co_name)
        lines = linecache.getlines(code.co_filename)[code.co_firstlineno - 1 : lineno]
        op = _code_op(lines)
        if op:
            return op
    return None


def conversion_error(converter: str, err: BaseException, alternatives: str) -> ConversionError:
    text = str(err).strip()
    first = text.splitlines()[0][:300] if text else type(err).__name__
    op_match = _OP.search(text)
    op = op_match.group(1) if op_match else None
    where = user_frame(err)
    dependent = data_dependent_op(err) if is_data_dependent(err) else None
    parts = [f"{converter} could not convert the model: {first}"]
    if dependent:
        parts.append(f"data-dependent op: {dependent} (its output size depends on the values)")
    elif op:
        parts.append(f"unsupported op: {op}")
    if where:
        parts.append(f"at {where}")
    hint = f"try convert = {alternatives}"
    if dependent:
        hint = POSTPROCESS_HINT
    elif "data-dependent" in text or "guard" in text.lower():
        hint = f"control flow that depends on tensor values cannot be exported; rewrite it with torch.cond/torch.where, or {hint}"
    return ConversionError("; ".join(parts), hint, op=op or dependent)
