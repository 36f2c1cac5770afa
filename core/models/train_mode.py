"""Refuse archives saved in training mode, before they produce numbers that disagree with
themselves.

A TorchScript archive traced or scripted, or an ExportedProgram exported, while the model was
in training mode keeps BatchNorm on batch statistics and Dropout on: the "original" then
disagrees with itself (25% agreement seen), and ExecuTorch lowering fails on the training ops
with advice that leads nowhere. The fix is on the user's side: call ``model.eval()`` and
export again. The same check catches any model whose outputs change between two identical
calls.
"""

from __future__ import annotations

import torch

from deploy_studio.core.errors import ModelLoadError

_TRAIN_FLAG_ARG = {  # op name (overload stripped) -> index of its "training" argument
    "aten.batch_norm": 5,
    "aten.native_batch_norm": 5,
    "aten._native_batch_norm_legit": 5,
    "aten.dropout": 2,
    "aten.native_dropout": 2,
    "aten.feature_dropout": 2,
    "aten.alpha_dropout": 2,
    "aten.feature_alpha_dropout": 2,
}
_ALWAYS_TRAINING = ("aten._native_batch_norm_legit_functional",)
_TRAIN_MODULES = ("BatchNorm", "Dropout", "SyncBatchNorm")

HINT = "call model.eval() before exporting and save it again (torch.export.save / torch.jit.save)"


def _op_name(target) -> str:
    name = str(target)
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else name


def exported_training_ops(ep) -> list[str]:
    """Names of the training-mode BatchNorm / Dropout ops in an ExportedProgram's graph."""
    found = []
    for node in ep.graph.nodes:
        if node.op != "call_function":
            continue
        name = _op_name(node.target)
        if any(name.startswith(a) for a in _ALWAYS_TRAINING):
            found.append(name)
            continue
        idx = _TRAIN_FLAG_ARG.get(name)
        if idx is not None and len(node.args) > idx and node.args[idx] is True:
            found.append(name)
    return found


def torchscript_training_modules(module) -> list[str]:
    """Names of the BatchNorm / Dropout submodules of a ScriptModule left in training mode."""
    found = []
    try:
        for name, m in module.named_modules():
            kind = getattr(m, "original_name", type(m).__name__)
            if getattr(m, "training", False) and any(t in kind for t in _TRAIN_MODULES):
                found.append(f"{name or 'model'} ({kind})")
    except (RuntimeError, AttributeError):  # lite modules have no module tree
        return []
    return found


def check_saved_mode(src: str, kind: str, module) -> None:
    """Before anything calls ``.eval()``: refuse a TorchScript archive saved in training mode.

    A traced archive has the training ops baked into its graph (``.eval()`` cannot undo
    them); a scripted one would follow ``.eval()``, but either way the file is not what the
    user thinks it is, and the fix is the same.
    """
    if kind != "torchscript":
        return
    mods = torchscript_training_modules(module)
    if mods:
        name = src.rsplit("/", 1)[-1]
        shown = ", ".join(mods[:4]) + (" ..." if len(mods) > 4 else "")
        raise ModelLoadError(
            f"{name} was saved in training mode: {shown} "
            f"{'is' if len(mods) == 1 else 'are'} in training mode (BatchNorm on batch "
            "statistics, Dropout on), so its outputs are not the trained model's",
            HINT,
        )


def check_inference_mode(src: str, kind: str, module, exported_program, x) -> None:
    """Raise ModelLoadError when the loaded model is in training mode or not deterministic
    (``x``: the input tensor, or a tuple of one per input)."""
    name = src.rsplit("/", 1)[-1]
    if kind == "exported" and exported_program is not None:
        ops = exported_training_ops(exported_program)
        if ops:
            raise ModelLoadError(
                f"{name} was exported in training mode: its graph runs "
                f"{', '.join(sorted(set(ops)))} with training=True (BatchNorm on batch statistics, "
                "Dropout on), so its outputs are not the trained model's",
                HINT,
            )
    if kind in ("torchscript", "lite", "exported"):
        try:
            with torch.no_grad():
                xs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
                a, b = module(*xs), module(*xs)
        except Exception as e:  # noqa: BLE001 - it ran once (forward_checked): a damaged archive
            raise ModelLoadError(
                f"{name} failed when run a second time ({str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__})",
                "the file may be damaged: re-save or re-download it",
            ) from None
        if not _same(a, b):
            raise ModelLoadError(
                f"{name} gives different outputs for the same input twice: a Dropout (or another "
                "random op) is active, so it was probably saved in training mode",
                HINT,
            )


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        return a.shape == b.shape and bool(
            torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=1e-6)
        )
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return True
