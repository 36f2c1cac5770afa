"""Where int8 error enters a variant's model, without building its artifact.

``tune`` asks this when an int8-static candidate misses the budget: the numerical debugger
(``steps/_numerics.py``) runs on the model after the candidate's prune/distill prefix (from
the prefix cache when an earlier build computed it), and the layers it blames become the
``keep_fp32`` of a follow-up candidate. Running it only on a miss keeps the debugger's cost
(two PT2E quantizations) off the candidates that need no help.
"""

from __future__ import annotations

from pathlib import Path

from deploy_studio.core.pipeline import prefix_cache
from deploy_studio.core.pipeline.build import apply_steps, new_context
from deploy_studio.core.progress import Reporter


def int8_blame(session, recipe, variant, out_dir: Path, reporter: Reporter) -> dict:
    """``{"numerics": rows, "numerics_worst": [layer, ...]}`` for ``variant``'s model (the
    same keys the quantize step's ``debug = true`` leaves in ``step_data["quantize"]``)."""
    from deploy_studio.core.steps._numerics import layer_numerics, worst_layers

    workdir = Path(out_dir) / "artifacts"
    ctx = new_context(session, variant, workdir, recipe.data.calibration_samples, reporter)
    apply_steps(ctx, variant.steps[: prefix_cache.prefix_length(variant.steps)])
    quantize = next((s for s in variant.steps if s.kind == "quantize"), None)
    keep = list((quantize.options.get("keep_fp32") if quantize else None) or [])
    module = ctx.module.eval()
    rows = layer_numerics(module, ctx.inputs, ctx.calibration_inputs(), keep, reporter)
    worst = [r["layer"] for r in worst_layers(rows) if r["layer"] not in keep]
    return {"numerics": rows, "numerics_worst": worst}
