"""The int8 numerical debugger: where, in graph order, int8 error enters a model.

The float model and its int8-static (PT2E, XNNPACKQuantizer with the variant's
``keep_fp32``: the recipe of the pte format's default delegate) version run on the same
calibration samples; every op's output is logged in both by torchao's numeric debugger
(``generate_numeric_debug_handle`` ties each op of the converted graph to the float op it came
from). Each layer (the module that owns the ops, from ``nn_module_stack``) is reported by its
last op's output, in graph order:

- ``snr_db``: signal-to-noise ratio of that output against float (the error accumulated so far;
  per sample ``|ref|^2 / |out - ref|^2``, noise ratios averaged over the samples);
- ``cosine``: mean per-sample cosine similarity with float;
- ``local_snr_db``: the error the layer itself adds: the noise ratio of its output minus that
  of its inputs (the outputs it reads, 0 for model inputs), as dB. A layer after a ruined one
  inherits a low ``snr_db`` but adds little, so the lowest ``local_snr_db`` is where the error
  enters, and what ``keep_fp32`` should name.

Unlike the sensitivity table (``_sensitivity.py``: each layer quantized alone) every layer is
quantized here, as in the artifact.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from deploy_studio.core.measure import SNR_CAP_DB

DEBUG_SAMPLES = 16  # calibration samples the float and int8 outputs are compared on
CALIBRATION_CAP = 64  # calibration samples the int8 ranges are observed on
WORST = 3  # layers named in the note
SUGGEST_BELOW_DB = 20.0  # the worst layer's own error below this: the note suggests keep_fp32


def _tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _db(noise_ratio: float) -> float:
    """A noise-to-signal ratio as an SNR in dB (capped at +-SNR_CAP_DB)."""
    if noise_ratio <= 0.0:
        return SNR_CAP_DB
    return float(max(-SNR_CAP_DB, min(SNR_CAP_DB, -10.0 * np.log10(noise_ratio)))) + 0.0


def _figures(actual: list, ref: list) -> tuple[float, float] | None:
    """(noise ratio, mean cosine) of one op's logged outputs (one per sample), or None when
    they are not float tensors."""
    ratios, cosines = [], []
    for a, r in zip(actual, ref, strict=False):
        if not (isinstance(a, torch.Tensor) and isinstance(r, torch.Tensor)):
            return None
        if not r.is_floating_point() or a.shape != r.shape:
            return None
        a = a.detach().double().flatten()
        r = r.detach().double().flatten()
        signal, noise = float((r * r).sum()), float(((a - r) ** 2).sum())
        ratios.append(0.0 if noise == 0.0 else (noise / signal if signal > 0 else np.inf))
        na, nr = float(a.norm()), float(r.norm())
        cosines.append(1.0 if na == nr == 0.0 else float(a @ r) / max(na * nr, 1e-300))
    if not ratios:
        return None
    return float(np.mean(ratios)), float(np.clip(np.mean(cosines), -1.0, 1.0))


def _layer_of(node, names: set[str]) -> str | None:
    """The deepest module of the model that traced ``node`` (None for the root's own ops)."""
    stack = node.meta.get("nn_module_stack") or {}
    for path, _kind in reversed(list(stack.values())):
        if path in names:
            return path
    return None


def _noise_of(node, noise: dict, seen: set) -> float:
    """The noise ratio of ``node``'s output: logged, else the worst of what it reads
    (model inputs and weights: 0)."""
    if node.name in noise:
        return noise[node.name]
    if node.name in seen or node.op in ("placeholder", "get_attr"):
        return 0.0
    seen.add(node.name)
    return max((_noise_of(a, noise, seen) for a in node.all_input_nodes), default=0.0)


def layer_numerics(module: nn.Module, example, calibration, keep_fp32=(), reporter=None):
    """Rows ``{"layer", "snr_db", "cosine", "local_snr_db"}`` in graph order.

    Parameters
    ----------
    module : nn.Module
        The float model (not changed).
    example : tensor or tuple of tensors
        One batch-1 example per input (what the model is exported with).
    calibration : tensor or tuple of tensors
        Calibration samples of every input (samples on the first axis): the first
        ``CALIBRATION_CAP`` calibrate, the first ``DEBUG_SAMPLES`` are compared.
    keep_fp32 : iterable of str
        Layers left in float, as in the variant.
    """
    from torchao.quantization.pt2e import (
        compare_results,
        extract_results_from_loggers,
        generate_numeric_debug_handle,
        prepare_for_propagation_comparison,
    )

    from deploy_studio.core.formats.pte_delegates import xnnpack_quantizer
    from deploy_studio.core.quantizers import pt2e_quantize, quiet

    with quiet():
        program = torch.export.export(module, _tuple(example))
        generate_numeric_debug_handle(program)
        graph = program.module()
    batches = _tuple(calibration)
    calib = tuple(b[:CALIBRATION_CAP] for b in batches)
    quantized = pt2e_quantize(
        graph, example, calib, xnnpack_quantizer(keep_fp32), reporter, "numerical debugger"
    )
    with quiet():
        ref_log = prepare_for_propagation_comparison(copy.deepcopy(graph))
        int8_log = prepare_for_propagation_comparison(quantized)
    n = min(DEBUG_SAMPLES, len(batches[0]))
    with torch.no_grad():
        for i in range(n):
            sample = tuple(b[i : i + 1] for b in batches)
            ref_log(*sample)
            int8_log(*sample)
    compared = compare_results(
        extract_results_from_loggers(ref_log), extract_results_from_loggers(int8_log)
    )
    noise, cosine = {}, {}
    for summary in compared.values():
        figures = _figures([r.actual for r in summary.results], [r.ref for r in summary.results])
        if figures is not None:
            noise[summary.ref_node_name], cosine[summary.ref_node_name] = figures
    return _rows(graph, {n for n, _ in module.named_modules() if n}, noise, cosine)


def _rows(graph, names: set[str], noise: dict, cosine: dict) -> list[dict]:
    """One row per layer with a logged float output, in graph order."""
    nodes = [n for n in graph.graph.nodes if n.op == "call_function"]
    owner = {n.name: _layer_of(n, names) for n in nodes}
    last: dict[str, Any] = {}
    first_seen: list[str] = []
    for node in nodes:
        layer = owner[node.name]
        if layer is None or node.name not in noise:
            continue
        if layer not in last:
            first_seen.append(layer)
        last[layer] = node
    rows = []
    for layer in first_seen:
        out = last[layer]
        inputs = [
            a
            for n in nodes
            if owner[n.name] == layer
            for a in n.all_input_nodes
            if owner.get(a.name) != layer
        ]
        n_in = max((_noise_of(a, noise, set()) for a in inputs), default=0.0)
        n_out = noise[out.name]
        rows.append(
            {
                "layer": layer,
                "snr_db": round(_db(n_out), 2),
                "cosine": round(cosine[out.name], 6),
                "local_snr_db": round(_db(n_out - n_in), 2),
            }
        )
    return rows


def worst_layers(rows: list[dict], n: int = WORST) -> list[dict]:
    """The ``n`` rows whose layer adds the most error (lowest ``local_snr_db``)."""
    return sorted(rows, key=lambda r: r["local_snr_db"])[:n]
