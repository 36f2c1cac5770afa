"""ONNX Runtime: session profiling (``SessionOptions.enable_profiling``, ``end_profiling()``).

The profile file is a Chrome trace: one ``Session`` event ``model_run`` per run and, per node
and run, ``Node`` events ``<node>_fence_before``, ``<node>_kernel_time``, ``<node>_fence_after``;
``args`` carry the node's ``op_name`` and ``provider``. Rows are the ``_kernel_time`` events
of the timed runs (those starting after the last warm-up ``model_run`` ended); the total is
the timed ``model_run`` events' durations. Trace times are microseconds.

A node maps to the original model's layer through the name scopes the torch exporter writes
into its metadata (``pkg.torch.onnx.name_scopes``: the module path, as
``core/formats/_onnx_quant.py`` reads it); nodes ONNX Runtime's optimizer made (fusions) are
mapped through the tensors they compute (:func:`optimized_layers`).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from deploy_studio.core.profile.model import Profile, merge


def node_layers(model_path) -> dict[str, str]:
    """ONNX node name -> the module path it was traced from (``""``: the model itself)."""
    return {name: layer for name, (layer, _) in _scoped_nodes(model_path).items()}


def _scoped_nodes(model_path) -> dict[str, tuple[str, list[str]]]:
    """node name -> (module path, output tensor names) of the nodes with name scopes."""
    import onnx

    from deploy_studio.core.formats.onnx_scopes import node_layer

    model = onnx.load(str(model_path), load_external_data=False)
    nodes = {}
    for node in model.graph.node:
        layer = node_layer(node)
        if layer is not None:
            nodes[node.name] = (layer, list(node.output))
    return nodes


def _original_names(name: str) -> list[str]:
    """Names ORT derives a node's from: ``fused node_linear`` (a fusion kept the first node's
    name), ``node_conv2d_token_1`` (a rewrite of ``node_conv2d``)."""
    base = name.removeprefix("fused ")
    return [base, re.sub(r"_token_\d+$", "", base)]


def optimized_layers(model_path, optimized_path) -> dict[str, str]:
    """Layers of the nodes ONNX Runtime ran (its optimized graph, ``optimized_path``).

    A node the optimizer kept has its name; a node it renamed (``fused node_linear``,
    ``node_conv2d_token_1``) gets the layer of the node it was named after; any other node it
    made (a fused ``Conv`` named ``relu_nchwc``, a ``ReorderOutput``) gets the layer of the
    first original tensor its outputs lead to (following its consumers), as the fused node
    computes that tensor. None when no original tensor is reached.
    """
    import onnx

    original = _scoped_nodes(model_path)
    layers = {name: layer for name, (layer, _) in original.items()}
    by_tensor = {out: layer for layer, outs in original.values() for out in outs}
    graph = onnx.load(str(optimized_path), load_external_data=False).graph
    consumers: dict[str, list] = {}
    for node in graph.node:
        for t in node.input:
            consumers.setdefault(t, []).append(node)
    for node in graph.node:
        if node.name in layers:
            continue
        named = next((n for n in _original_names(node.name) if n in layers), None)
        if named is not None:
            layers[node.name] = layers[named]
            continue
        todo, seen = list(node.output), set()
        while todo:
            t = todo.pop(0)
            if t in by_tensor:
                layers[node.name] = by_tensor[t]
                break
            if t in seen:
                continue
            seen.add(t)
            for c in consumers.get(t, []):
                todo.extend(c.output)
    return layers


def _session(path, threads: int, tmp: Path, optimized: bool):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    so.enable_profiling = True
    so.profile_file_prefix = str(tmp / "ort")
    if optimized:
        so.optimized_model_filepath = str(tmp / "optimized.onnx")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def profile_onnxruntime(path, inputs, threads: int, runs: int, warmup: int) -> Profile:
    with tempfile.TemporaryDirectory(prefix="ortprof-") as tmp:
        optimized = Path(tmp) / "optimized.onnx"
        try:
            session = _session(path, threads, Path(tmp), optimized=True)
        except Exception:  # noqa: BLE001 - e.g. a model too large to save in one file
            session = _session(path, threads, Path(tmp), optimized=False)
        feeds = {i.name: x for i, x in zip(session.get_inputs(), inputs, strict=True)}
        for _ in range(warmup + runs):
            session.run(None, feeds)
        trace = json.loads(Path(session.end_profiling()).read_text())
        if optimized.exists():
            layers = optimized_layers(path, optimized)
        else:  # fused nodes stay unmapped
            layers = node_layers(path)
    return _rows(trace, layers, runs, warmup)


def _rows(trace: list, layers: dict, runs: int, warmup: int) -> Profile:
    model_runs = sorted(
        (e for e in trace if e.get("cat") == "Session" and e.get("name") == "model_run"),
        key=lambda e: e["ts"],
    )
    timed = model_runs[warmup:] if len(model_runs) > warmup else model_runs
    start = timed[0]["ts"] if timed else 0
    rows: dict = {}
    for e in trace:
        name = e.get("name", "")
        if e.get("cat") != "Node" or not name.endswith("_kernel_time") or e["ts"] < start:
            continue
        node = name.removesuffix("_kernel_time")
        args = e.get("args", {})
        op = args.get("op_name") or node
        merge(rows, f"{op} ({node})", layers.get(node), args.get("provider"), e["dur"] / 1000.0)
    total = sum(e["dur"] for e in timed) / 1000.0 if timed else None
    return Profile(
        source="onnxruntime profiling", runs=len(timed), total_ms=total, rows=list(rows.values())
    ).finish()
