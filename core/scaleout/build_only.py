"""The parallel phase's unit of work: build one variant (steps, converter, writer), no
measurement, into a private folder; answer the hand-off record (:mod:`.handoff`).

Runs in a local build worker (a :class:`~deploy_studio.core.worker.Worker` serving
:class:`~deploy_studio.core.worker.requests.PrebuildVariant`) or in a Ray task, against the
worker's session (the model and data are loaded once per worker process).
"""

from __future__ import annotations

import time
from pathlib import Path

from deploy_studio.core.progress import Reporter


def build_record(
    session, recipe, variant, root: Path, reporter: Reporter, threads: int | None = None
) -> dict:
    """Build ``variant`` of ``recipe`` into ``root/artifacts`` and return its record
    (``threads``: torch's intra-op threads while building; unchanged when None)."""
    import torch

    from deploy_studio.core.build_cache import variant_key
    from deploy_studio.core.pipeline.build import build_variant
    from deploy_studio.core.pipeline.run_variant import build_work
    from deploy_studio.core.scaleout.handoff import make_record

    root = Path(root)
    workdir = root / "artifacts"
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        artifact, ctx = build_variant(
            session,
            variant,
            workdir,
            recipe.data.calibration_samples,
            reporter,
            debug_record=recipe.benchmark.profile,
        )
    finally:
        torch.set_num_threads(before)
    seconds = round(time.perf_counter() - t0, 2)
    key = variant_key(recipe, variant, recipe.preprocess)
    record = make_record(root, key, artifact, ctx.params, dict(ctx.state), seconds)
    record["work"] = list(build_work(ctx, artifact))  # the cost model's counts need the module
    return record
