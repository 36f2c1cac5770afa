"""Reuse a variant's leading model-changing steps (prune, distill) across variants.

``tune`` builds one pruned+finetuned model per prune amount and every format and quantize
mode starts from it; ``run`` does the same for a recipe whose variants share their first
steps. The steps before the first ``quantize`` (its result is a format-specific graph, not a
module every format can start from) are a *prefix*; the module they produce, the step data
and the notes they left are kept in memory in the process that builds (the worker), keyed by
the model object, the data split and the steps with their options, for the :data:`SIZE`
most recent prefixes. Nothing is written to disk or unpickled: the cache lives and dies with
the worker's session.

Every lookup is recorded in the variant's ``step_data["prefix"]``: the step kinds of the
prefix, its key and whether it was ``reused`` (computed by an earlier variant) or computed.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

SIZE = 4
CACHED_KINDS = ("prune", "distill")


@dataclass
class Entry:
    model: Any  # the loaded model, kept alive so its id() in the key stays unique
    module: Any
    params: int
    state: dict
    notes: list[str] = field(default_factory=list)


_ENTRIES: OrderedDict[str, Entry] = OrderedDict()


def prefix_length(steps) -> int:
    """How many leading steps form the cacheable prefix (prune / distill before quantize)."""
    n = 0
    for s in steps:
        if s.kind not in CACHED_KINDS:
            break
        n += 1
    return n


def prefix_key(ctx, steps) -> str:
    """The key of ``steps`` (a prefix) applied to ``ctx``'s model and data split."""
    payload = {
        "model": id(ctx.model),
        "data": [ctx.dataset.name, len(ctx.train_idx), len(ctx.eval_idx)],
        "calibration": ctx.calibration_samples,
        "steps": [s.to_dict() for s in steps],
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def lookup(key: str) -> Entry | None:
    """A private copy of the prefix's result (None on a miss)."""
    entry = _ENTRIES.get(key)
    if entry is None:
        return None
    _ENTRIES.move_to_end(key)
    return Entry(
        entry.model,
        copy.deepcopy(entry.module),
        entry.params,
        copy.deepcopy(entry.state),
        list(entry.notes),
    )


def store(key: str, ctx, notes: list[str]) -> None:
    """Keep a copy of ``ctx``'s module, parameter count and step data after the prefix."""
    _ENTRIES[key] = Entry(
        ctx.model,
        copy.deepcopy(ctx.module),
        ctx.params,
        copy.deepcopy(ctx.state),
        list(notes),
    )
    _ENTRIES.move_to_end(key)
    while len(_ENTRIES) > SIZE:
        _ENTRIES.popitem(last=False)


def clear() -> None:
    _ENTRIES.clear()
