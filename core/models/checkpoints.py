"""The weights inside a training checkpoint, with the names the model's own state_dict uses.

A ``--weights`` file is often not a bare ``model.state_dict()``: Lightning saves
``{"state_dict": {"model.conv.weight": ...}, "epoch": 3, "optimizer_states": [...], ...}``,
``torch.compile`` prefixes every key with ``_orig_mod.``, DataParallel/DDP with ``module.``,
EMA trainers keep a second copy (``state_dict_ema``, ``model_ema``, ``ema`` ...), and scripts
save ``{"model": ..., "loss": tensor(0.3), "step": tensor(1000)}``. :func:`weights_for` finds
the copy of the weights that fits the model (every nested table of tensors is a candidate),
strips the prefix that makes its keys the model's (only when stripping makes them match),
ignores what is not weights (counters, metrics, optimizer state, hyper-parameters, a training
wrapper's other modules) and says all of it in load notes. When nothing fits, the error names
the missing and unexpected keys and the likely cause. Nothing here reads files: the caller
loads the checkpoint with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deploy_studio.core.errors import ModelLoadError

MAX_DEPTH = 3  # how deep tables are searched for weights (Lightning: 1, EMA callbacks: 2-3)
SHOWN = 3  # keys named in a message
KNOWN_PREFIXES = {
    "model.": "a LightningModule's model attribute",
    "module.": "DataParallel/DistributedDataParallel",
    "_orig_mod.": "torch.compile",
    "net.": "a training wrapper's net attribute",
}
_EMA = re.compile(r"(^|[._/])(ema|shadow|averaged|swa)([._/]|$)", re.IGNORECASE)
_CONTAINER_ORDER = ("state_dict", "model_state_dict", "model", "net", "network", "weights")
_NON_WEIGHT_NAMES = frozenset(
    {
        "loss",
        "step",
        "steps",
        "epoch",
        "global_step",
        "iteration",
        "iter",
        "n_averaged",
        "num_updates",
        "updates",
        "lr",
        "best_acc",
        "best_loss",
        "best_metric",
        "metric",
        "accuracy",
    }
)


@dataclass
class _Candidate:
    """One table of tensors in the checkpoint and the prefix that maps it onto the model."""

    path: tuple[str, ...]
    table: dict
    prefix: str = ""
    covered: int = 0
    tied: list[str] = field(default_factory=list)  # other prefixes covering as much
    others: list[str] = field(default_factory=list)  # other prefixes covering every key

    @property
    def where(self) -> str:
        return "/".join(self.path)

    @property
    def ema(self) -> bool:
        return bool(_EMA.search(self.where) or _EMA.search(self.prefix))


def weights_for(checkpoint: Any, own: dict, name: str) -> tuple[dict, list[str]]:
    """The entries of ``checkpoint`` to give ``load_state_dict`` of a model whose own
    state_dict is ``own`` (keys and shapes are compared), and notes on what was done.

    ``name`` is the file's name for messages. Raises :class:`ModelLoadError` when no table of
    the checkpoint fits the model, naming missing, unexpected and mis-shaped keys.
    """
    if not isinstance(checkpoint, dict):
        raise ModelLoadError(
            f"{name} holds a {type(checkpoint).__name__}, not a state_dict",
            "save it with torch.save(model.state_dict(), path)",
        )
    need = {k for k in own if not _optional(k)}
    candidates = [_match(c, need) for c in _tables(checkpoint, ())]
    if not candidates:
        raise ModelLoadError(
            f"{name} holds no tensors: it is neither a state_dict nor a training checkpoint "
            f"(its entries: {_names(list(checkpoint))})",
            "save the weights with torch.save(model.state_dict(), path)",
        )
    fitting = [c for c in candidates if c.covered == len(need) and not _misfits(c, own)]
    if not fitting:
        best = max(candidates, key=lambda c: (c.covered, -len(c.path)))
        raise _no_fit(best, own, need, name)
    chosen = min(fitting, key=_preference)
    if chosen.tied:
        raise ModelLoadError(
            f"{name} holds this model's weights under several prefixes: "
            f"{', '.join(repr(p) for p in [chosen.prefix, *chosen.tied])}; which one to "
            "deploy is not clear",
            f"save the one you want alone, e.g. {{k[len({chosen.prefix!r}):]: v for k, v in "
            f"sd.items() if k.startswith({chosen.prefix!r})}}",
        )
    state, notes = _select(chosen, own, name)
    notes[:0] = _choice_notes(chosen, fitting, checkpoint)
    return state, [n for n in notes if n]


def _tables(obj: dict, path: tuple[str, ...]):
    """Every table (at most :data:`MAX_DEPTH` deep) holding at least one tensor."""
    import torch

    if any(isinstance(v, torch.Tensor) for v in obj.values()):
        yield path, obj
    if len(path) < MAX_DEPTH:
        for k, v in obj.items():
            if isinstance(k, str) and isinstance(v, dict):
                yield from _tables(v, (*path, k))


def _optional(key: str) -> bool:
    """A key older checkpoints lack and the model keeps its own of (BatchNorm's counter)."""
    return key.endswith("num_batches_tracked")


def _match(found: tuple[tuple[str, ...], dict], own: set[str]) -> _Candidate:
    """The prefix (``""`` or ending with ``.``) under which most of the model's keys appear."""
    path, table = found
    counts: dict[str, int] = {}
    for key in table:
        if not isinstance(key, str):
            continue
        starts = [0] + [i + 1 for i, ch in enumerate(key) if ch == "."]
        for s in starts:
            if key[s:] in own:
                counts[key[:s]] = counts.get(key[:s], 0) + 1
    if not counts:
        return _Candidate(path, table)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], _prefix_rank(kv[0]), len(kv[0])))
    prefix, covered = ranked[0]
    tied = [p for p, n in ranked[1:] if n == covered and _prefix_rank(p) == _prefix_rank(prefix)]
    full = covered == len(own)
    return _Candidate(
        path,
        table,
        prefix,
        covered,
        tied if full else [],
        [p for p, n in ranked[1:] if n == covered] if full else [],
    )


def _prefix_rank(prefix: str) -> int:
    """Which prefix to prefer when several cover the model: none, then EMA copies, then the
    known wrappers, then any other."""
    if not prefix:
        return 0
    if _EMA.search(prefix):
        return 1
    return 2 if _strip_known(prefix) == "" else 3


def _strip_known(prefix: str) -> str:
    while True:
        for p in KNOWN_PREFIXES:
            if prefix.startswith(p):
                prefix = prefix[len(p) :]
                break
        else:
            return prefix


def _preference(c: _Candidate) -> tuple:
    """EMA weights first (what EMA trainers evaluate and publish), then the usual containers."""
    top = c.path[0] if c.path else ""
    order = _CONTAINER_ORDER.index(top) if top in _CONTAINER_ORDER else len(_CONTAINER_ORDER)
    return (not c.ema, _prefix_rank(c.prefix) if not c.ema else 0, order, len(c.path))


def _misfits(c: _Candidate, own: dict) -> list[str]:
    """Keys whose shape in the file differs from the model's, as 'key: file [..] vs model [..]'."""
    out = []
    for k, v in own.items():
        got: Any = c.table.get(c.prefix + k)
        if hasattr(got, "shape") and hasattr(v, "shape") and got.shape != v.shape:
            out.append(f"{k}: file {list(got.shape)} vs model {list(v.shape)}")
    return out


def _ignorable(key: str, value: Any) -> bool:
    """Not weights: a non-tensor, a scalar or counter at the top level (loss, step, ...)."""
    import torch

    if not isinstance(value, torch.Tensor):
        return True
    return "." not in key and (value.ndim == 0 or key.lower() in _NON_WEIGHT_NAMES)


def _select(c: _Candidate, own: dict, name: str) -> tuple[dict, list[str]]:
    """The model's entries of candidate ``c``; raises when it holds weights the model lacks."""
    state: dict = {}
    extra: list[str] = []  # inside the model's names but not the model's: refused
    ignored: list[str] = []
    outside: list[str] = []  # a training wrapper's other entries (other than the prefix)
    for key, value in c.table.items():
        if not isinstance(key, str) or not key.startswith(c.prefix):
            outside.append(str(key))
            continue
        inner = key[len(c.prefix) :]
        if inner in own:
            state[inner] = value
        elif _ignorable(inner, value):
            ignored.append(key)
        else:
            extra.append(inner)
    if extra:
        raise ModelLoadError(
            f"the weights in {name} do not fit the model: they hold {len(extra)} "
            f"unexpected key(s) the model does not have, e.g. {extra[:SHOWN]}",
            "the weights come from a larger or different version of this architecture: build "
            "the model with the constructor arguments they were trained with ([model] "
            "init_args, --init-args)",
        )
    for k in own:  # BatchNorm counters older checkpoints lack: keep the model's own
        if k not in state and _optional(k):
            state[k] = own[k]
    notes = []
    if c.prefix:
        why = _explain(c.prefix)
        notes.append(
            f"stripped the prefix {c.prefix!r} from the weights' keys"
            + (f" ({why})" if why else "")
        )
    if ignored:
        notes.append("ignored entries that are not weights: " + _names(ignored))
    if outside:
        notes.append(
            f"ignored the entries outside {c.prefix!r} (the training wrapper's own): "
            + _names(_grouped(outside))
        )
    return state, notes


def _explain(prefix: str) -> str:
    """What put a prefix there, part by part ('_orig_mod.module.': torch.compile, DDP)."""
    said: list[str] = []
    rest = prefix
    while rest:
        part = next((p for p in KNOWN_PREFIXES if rest.startswith(p)), None)
        if part is None:
            return ", ".join(said + (["an EMA copy"] if _EMA.search(rest) else []))
        said.append(KNOWN_PREFIXES[part])
        rest = rest[len(part) :]
    return ", ".join(said)


def _grouped(keys: list[str]) -> list[str]:
    """``a.x, a.y, b`` as ``a.* (2), b``: a wrapper's other modules, one name each."""
    groups: dict[str, int] = {}
    for k in keys:
        head = k.split(".", 1)[0] + ".*" if "." in k else k
        groups[head] = groups.get(head, 0) + 1
    return [f"{g} ({n})" if n > 1 else g for g, n in groups.items()]


def _choice_notes(chosen: _Candidate, fitting: list[_Candidate], checkpoint: dict) -> list[str]:
    notes = []
    if chosen.path:
        notes.append(f"weights read from the checkpoint's {chosen.where!r}")
        others = [k for k in checkpoint if k != chosen.path[0]]
        if others:
            notes.append("ignored the checkpoint's other entries: " + _names(others))
    if chosen.ema:
        plain = [
            f"{c.where or 'top level'!r}" + (f" (prefix {c.prefix!r})" if c.prefix else "")
            for c in fitting
            if not c.ema
        ]
        plain += [
            f"prefix {p!r}" + (f" in {chosen.where!r}" if chosen.path else "")
            for p in chosen.others
            if not _EMA.search(p)
        ]
        if plain:
            what = plain[0]
            notes.append(
                "used the EMA (averaged) weights; the checkpoint also holds the raw training "
                f"weights under {what}: to deploy those, save them alone as a state_dict"
            )
        else:
            notes.append("used the EMA (averaged) weights")
    return notes


def _names(keys: list) -> str:
    keys = [str(k) for k in keys]
    shown = ", ".join(keys[:8])
    return shown + (f" (+{len(keys) - 8} more)" if len(keys) > 8 else "")


def _no_fit(best: _Candidate, own: dict, need: set[str], name: str) -> ModelLoadError:
    """The error for weights that fit no table: what differs and the likely cause."""
    wrong = _misfits(best, own)
    missing = [k for k in own if k in need and best.prefix + k not in best.table]
    unexpected = [
        str(k)
        for k, v in best.table.items()
        if not (isinstance(k, str) and k.startswith(best.prefix) and k[len(best.prefix) :] in own)
        and not (isinstance(k, str) and _ignorable(k, v))
    ]
    parts = []
    if wrong:
        parts.append("shape mismatch " + "; ".join(wrong[:SHOWN]))
    if missing:
        parts.append(f"missing {len(missing)} key(s), e.g. {missing[:SHOWN]}")
    if unexpected:
        parts.append(f"unexpected {len(unexpected)} key(s), e.g. {unexpected[:SHOWN]}")
    where = f" (under {best.where!r})" if best.path else ""
    if best.prefix:
        where += f" (after stripping {best.prefix!r})"
    if wrong and not missing:
        cause = (
            "the same layers with other sizes: the model was built with other constructor "
            "arguments than the weights (e.g. num_classes): pass the ones they were trained "
            "with ([model] init_args, --init-args)"
        )
    elif best.covered == 0:
        cause = (
            "no key names a layer of this model: the weights are of another architecture "
            "(check the class, or the file)"
        )
    else:
        cause = (
            "some layers match and others do not: another version or size of this "
            "architecture, or other constructor arguments ([model] init_args, --init-args)"
        )
    return ModelLoadError(
        f"the weights in {name}{where} do not fit the model: " + "; ".join(parts),
        cause + "; use the weights saved from this exact architecture",
    )


HPARAM_KEYS = ("hyper_parameters", "hparams", "hyperparameters", "config", "args")


def hyper_parameters(checkpoint: Any) -> dict[str, Any]:
    """The plain (JSON) hyper-parameters a training checkpoint records, e.g. Lightning's
    ``hyper_parameters`` (what ``save_hyperparameters()`` kept of the module's arguments)."""
    import json

    if not isinstance(checkpoint, dict):
        return {}
    for key in HPARAM_KEYS:
        table = checkpoint.get(key)
        if isinstance(table, dict):
            out = {}
            for k, v in table.items():
                try:
                    json.dumps(v, allow_nan=False)
                except (TypeError, ValueError):
                    continue
                out[str(k)] = v
            return out
    return {}
