"""A loaded model's summary: parameters, size, shapes, FLOPs and a per-layer table."""

from __future__ import annotations

import io

import torch
import torch.nn as nn

from deploy_studio.core.models.loaded import LoadedModel


def _out_shape(out):
    if isinstance(out, torch.Tensor):
        return list(out.shape)
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return list(out[0].shape)
    return None


def layer_table(model: LoadedModel) -> list[dict]:
    """One row per leaf layer: name, type, own params, output shape (None when not observable)."""
    module = model.module
    if not hasattr(module, "named_modules"):
        return []
    from deploy_studio.core.models.validate import SelectOutput

    rows: dict[str, dict] = {}
    handles = []
    root = module.inner if isinstance(module, SelectOutput) else module  # the user's layer names
    for name, m in root.named_modules():
        if not name or list(m.children()):
            continue
        own = sum(p.numel() for p in m.parameters(recurse=False)) if hasattr(m, "parameters") else 0
        rows[name] = {
            "name": name,
            "type": getattr(m, "original_name", type(m).__name__),
            "params": int(own),
            "output_shape": None,
        }
        if isinstance(m, nn.Module) and not isinstance(m, torch.jit.ScriptModule):

            def hook(mod, args, out, _name=name):
                rows[_name]["output_shape"] = _out_shape(out)

            handles.append(m.register_forward_hook(hook))
    if handles:
        try:
            with torch.no_grad():
                module(*model.example_inputs())
        finally:
            for h in handles:
                h.remove()
    return list(rows.values())


def count_flops(model: LoadedModel) -> int | None:
    """FLOPs of one forward pass (FlopCounterMode), or None when they cannot be counted."""
    if model.kind not in ("module", "exported"):
        return None
    from torch.utils.flop_counter import FlopCounterMode

    try:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model.module(*model.example_inputs())
        return int(counter.get_total_flops())
    except Exception:  # noqa: BLE001 - some custom ops have no FLOP formula
        return None


def state_size_bytes(model: LoadedModel) -> int | None:
    """Bytes of the model's weights when saved (state_dict), or the file's size for archives."""
    from pathlib import Path

    if model.kind in ("lite", "torchscript") or (model.kind == "exported"):
        p = Path(model.spec.source)
        return p.stat().st_size if p.exists() else None
    buf = io.BytesIO()
    torch.save(model.module.state_dict(), buf)
    return buf.tell()


def summarize(model: LoadedModel) -> dict:
    """The inspect summary (``deploy-studio inspect --json`` adds ok/error to this)."""
    return {
        "spec": model.spec.source,
        "kind": model.kind,
        "params": model.params,
        "size_bytes": state_size_bytes(model),
        "input_shape": model.input_shape,
        "output_shape": model.output_shape,
        "inputs": model.signature.report_inputs(),
        "outputs": model.signature.report_outputs(),
        "flops": count_flops(model),
        "labels": model.labels,
        "preprocess": model.preprocess.to_dict(),
        "preprocess_origin": model.preprocess_origin,
        "output": model.output_key,
        "output_note": model.output_note,
        "notes": model.notes,
        "layers": layer_table(model),
        "task": _task(model),
        "trained_on": model.trained_on,
    }


def _task(model: LoadedModel) -> dict:
    """The model's task as the engine will score it (guessed when the spec names none)."""
    from deploy_studio.core.tasks.resolve import resolve_task

    return resolve_task(model).info(model.signature.output_names)
