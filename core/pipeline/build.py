"""Build one variant: steps (in recipe order) -> converter -> format writer -> post-export hooks.

Everything format-specific comes from the variant's format (``core/formats/contract.py``):
whether it is converted, the artifact's suffix, the writer, and (through the quantize step)
the post-export quantizer.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import torch

from deploy_studio.core.errors import ExportError, RecipeError
from deploy_studio.core.formats.contract import converts
from deploy_studio.core.pipeline import prefix_cache
from deploy_studio.core.pipeline.context import Artifact, BuildContext
from deploy_studio.core.progress import Reporter
from deploy_studio.core.recipe import VariantSpec, check_variant
from deploy_studio.core.registry import CONVERTERS, FORMATS, STEPS
from deploy_studio.core.session import Session


def artifact_name(variant: str, suffix: str) -> str:
    """A safe file name for a variant's artifact."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", variant).strip("._") or "variant"
    return stem + suffix


def check_model_kind(variant: VariantSpec, kind: str) -> None:
    """Reject formats the loaded model's kind cannot produce, before any work."""
    converted = converts(variant.format)
    if kind == "lite" and (converted or variant.steps):
        raise RecipeError(
            f"variant {variant.name!r}: a .ptl lite archive can only be run and measured as is",
            "load the original nn.Module (file.py:Class + --weights) or a .pt2 to convert and optimize it",
        )
    if kind == "torchscript" and converted and variant.convert == "export":
        raise RecipeError(
            f"variant {variant.name!r}: torch.export cannot read a TorchScript archive",
            'use convert = "trace" with format = "ptl", or load the nn.Module source to export it',
        )
    if kind == "exported" and variant.steps:
        raise RecipeError(
            f"variant {variant.name!r}: a .pt2 ExportedProgram is a frozen graph; the "
            f"{variant.steps[0].kind} step needs the model's nn.Module",
            "load the original nn.Module (file.py:Class + --weights) to optimize it, or drop the step",
        )
    if kind == "exported" and converted and variant.convert == "script":
        raise RecipeError(
            f"variant {variant.name!r}: torch.jit.script cannot compile a .pt2 ExportedProgram",
            'use convert = "export" (or "trace" for format = "ptl")',
        )


def build_variant(
    session: Session,
    variant: VariantSpec,
    workdir: Path,
    calibration_samples: int,
    reporter: Reporter,
    debug_record: bool = False,
) -> tuple[Artifact, BuildContext]:
    """Build ``variant``'s artifact into ``workdir`` and return it with its context.

    ``debug_record``: also write the format's debug record beside it (see ``BuildContext``).
    """
    check_variant(variant)
    check_model_kind(variant, session.model.kind)
    missing = FORMATS.get(variant.format).obj.missing()
    if missing:
        raise ExportError(f"variant {variant.name!r}: {missing}", "install it, or drop the variant")
    ctx = new_context(session, variant, workdir, calibration_samples, reporter, debug_record)
    apply_steps(ctx, variant.steps)
    fmt = FORMATS.get(variant.format).obj
    if fmt.converters:
        ctx.converted = CONVERTERS.get(variant.convert).obj.convert(ctx)
    reporter.progress(f"export {variant.format}", 0.0)
    path = workdir / artifact_name(variant.name, fmt.suffix)
    artifact = fmt.write(ctx, path)
    for hook in ctx.post_export:
        artifact = hook(artifact, ctx)
    artifact.notes = [*artifact.notes, *ctx.notes]
    reporter.progress(f"export {variant.format}", 1.0)
    return artifact, ctx


def _reuse_prefix(ctx: BuildContext, variant: VariantSpec) -> int:
    """Start from the cached result of the variant's leading prune/distill steps when an
    earlier variant computed it; answer the index of the first step still to apply.

    Records the lookup in ``ctx.state["prefix"]`` (step kinds, key, ``reused``)."""
    n = prefix_cache.prefix_length(variant.steps)
    if not n or ctx.model.kind != "module":
        return 0
    key = prefix_cache.prefix_key(ctx, variant.steps[:n])
    entry = prefix_cache.lookup(key)
    kinds = [s.kind for s in variant.steps[:n]]
    if entry is None:
        ctx.state["prefix"] = {"steps": kinds, "key": key, "reused": False, "length": n}
        return 0
    ctx.module, ctx.params = entry.module, entry.params
    ctx.state.update(entry.state)
    ctx.notes.extend(entry.notes)
    ctx.state["prefix"] = {"steps": kinds, "key": key, "reused": True, "length": n}
    ctx.reporter.progress(
        kinds[-1], 1.0, f"reused the {' + '.join(kinds)} result of an identical prefix"
    )
    return n


def start_of_rest(ctx: BuildContext) -> int:
    """The index after the cacheable prefix that still has to be stored (-1 when none)."""
    prefix = ctx.state.get("prefix")
    return prefix["length"] if prefix and not prefix["reused"] else -1


def new_context(
    session: Session,
    variant: VariantSpec,
    workdir: Path,
    calibration_samples: int,
    reporter: Reporter,
    debug_record: bool = False,
) -> BuildContext:
    """The build context of ``variant``: a private copy of the session's model, its inputs."""
    module = session.model.module
    if session.model.kind == "module":
        module = copy.deepcopy(module).eval()
    inputs = example_inputs(session)
    ctx = BuildContext(
        model=session.model,
        module=module,
        example=inputs[0],
        inputs=inputs,
        dataset=session.dataset,
        train_idx=session.train_idx,
        eval_idx=session.eval_idx,
        variant=variant,
        workdir=workdir,
        reporter=reporter,
        calibration_samples=calibration_samples,
        params=session.model.params,
        debug_record=debug_record,
    )
    return ctx


def apply_steps(ctx: BuildContext, steps) -> None:
    """Apply ``steps`` (a variant's, or its leading part) to ``ctx`` in order, starting from
    the cached result of their prune/distill prefix when an earlier build computed it."""
    reporter = ctx.reporter
    n = len(ctx.variant.steps)
    start = _reuse_prefix(ctx, ctx.variant)
    for i, step in enumerate(steps[start:], start):
        reporter.progress(f"step {i + 1}/{n}: {step.kind}", 0.0)
        if step.kind == "quantize":
            ctx.float_module = ctx.module  # the cost model counts FLOPs on the float model
        STEPS.get(step.kind).obj.apply(ctx, step.options)
        if step.kind != "quantize":  # quantization packs weights; the parameter count is unchanged
            ctx.params = count_params(ctx.module, ctx.params)
        if i + 1 == start_of_rest(ctx):
            prefix_cache.store(ctx.state["prefix"]["key"], ctx, ctx.notes)


def example_inputs(session: Session) -> tuple:
    """A batch-1 example of every input: the first held-out sample (real data), or the
    signature's seeded random inputs when there is none or it does not fit the declared
    shapes."""
    sig = session.model.signature
    inputs = None
    if len(session.eval_idx):
        inputs = tuple(torch.from_numpy(a[:1].copy()) for a in session.eval_inputs)
        if not all(spec.accepts(list(x.shape)) for spec, x in zip(sig.inputs, inputs, strict=True)):
            inputs = None
    if inputs is None:
        inputs = session.model.example_inputs()
    return tuple(x.clone(memory_format=torch.contiguous_format) for x in inputs)


def count_params(module, previous: int) -> int:
    """Trainable-parameter count of an nn.Module; ``previous`` for graphs whose weights became
    constants (a PT2E-quantized module keeps the count it had before quantization)."""
    try:
        n = sum(p.numel() for p in module.parameters())
    except Exception:  # noqa: BLE001 - lite modules expose no parameters
        return previous
    return int(n) if n else previous
