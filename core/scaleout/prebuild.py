"""Build a recipe's variants ahead, in parallel, then let the serial run measure them.

:func:`prebuilt` wraps a run (``tune`` wraps its ``run_recipe`` call): first every variant
that is converted (the expensive part: prune, finetune, quantize, convert, write) is built
on the executor, several at a time, and handed off into the output folder
(:mod:`.handoff`); then the run goes on exactly as a serial one, measuring one variant at a
time in its one worker, which takes each prebuilt artifact instead of building it again. So
no build runs while anything is timed, every latency is measured on this machine, and the
report is the serial one apart from timings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from deploy_studio.core.errors import StudioError
from deploy_studio.core.progress import Event, Reporter
from deploy_studio.core.scaleout.executors import Executor, LocalExecutor

BUILD_SHARE = 0.6
"""With a ``--time-budget``, building ahead stops starting (and ends) builds once this share
of the budget is spent: the rest is left for the serial run, which measures what was built
and builds more only while its own clock allows."""


def make_executor(workers: int | None = None, ray: str | None = None) -> Executor | None:
    """The executor of ``--workers N`` / ``--ray ADDRESS``; None for the serial path
    (no flag, or ``--workers 1``). Bad values are user errors (exit 2)."""
    if workers is not None and workers < 1:
        raise StudioError(f"--workers must be at least 1, got {workers}", "e.g. --workers 2")
    if ray is not None:
        if workers is not None:
            raise StudioError(
                "--workers and --ray exclude each other",
                "with --ray the cluster runs one build per CPU; drop --workers",
            )
        if not ray.strip():
            raise StudioError(
                "--ray needs an address", "e.g. --ray auto, --ray local or --ray HEAD:6379"
            )
        from deploy_studio.core.scaleout.ray_executor import RayExecutor

        return RayExecutor(ray.strip())
    if workers is None or workers == 1:
        return None
    return LocalExecutor(workers)


def ahead_of_time(recipe, cache: bool = True) -> list[str]:
    """The variants built ahead: the converted ones, except those the build cache holds."""
    from deploy_studio.core import build_cache
    from deploy_studio.core.registry import FORMATS

    cache = cache and build_cache.enabled()
    names = []
    for v in recipe.enabled_variants():
        if not FORMATS.get(v.format).obj.converters:
            continue  # eager: nothing to build, the module is measured as it is
        if cache and build_cache.contains(build_cache.variant_key(recipe, v, recipe.preprocess)):
            continue  # the serial run reuses its row
        names.append(v.name)
    return names


@contextmanager
def prebuilt(
    recipe,
    out_dir: Path,
    executor: Executor | None,
    reporter: Reporter | None = None,
    cache: bool = True,
    clock=None,
) -> Iterator[None]:
    """Build ``recipe``'s variants ahead on ``executor`` (nothing when None), then run the
    body; the hand-off records are removed after it, whatever happens. ``clock`` (tune's
    :class:`~deploy_studio.core.tune_stages.Clock`) stops building ahead at
    :data:`BUILD_SHARE` of its budget."""
    if executor is None:
        yield
        return
    from deploy_studio.core.fsutil import make_output_dir, remove_partials
    from deploy_studio.core.scaleout import handoff

    reporter = reporter or Reporter()
    out = make_output_dir(Path(out_dir))
    handoff.clear(out)
    try:
        names = ahead_of_time(recipe, cache)
        try:
            if names:
                _build(recipe, names, out, executor, reporter, clock)
        finally:
            executor.close()  # e.g. a Ray this run started: idle processes off the cores
        yield
    except BaseException:
        remove_partials(out / "artifacts")
        raise
    finally:
        handoff.clear(out)


def _build(
    recipe, names: list[str], out: Path, executor: Executor, reporter: Reporter, clock=None
) -> None:
    from deploy_studio.core.build_cache import variant_key
    from deploy_studio.core.scaleout import handoff

    variants = {v.name: v for v in recipe.variants}
    staging = out / handoff.HANDOFF_DIR / "staging"
    reporter.emit(
        Event(
            "log",
            stage="overall",
            message=f"building {len(names)} variants on {executor.description}, "
            "then measuring them one at a time",
            variant=None,
        )
    )
    builds = executor.build(recipe, names, staging, reporter)
    try:
        for done, b in enumerate(builds, 1):
            v = variants.get(b.name)
            if v is None or b.record is None or b.source is None:
                note = f"parallel build failed ({b.error}); built again before measuring"
            elif b.record.get("key") != variant_key(recipe, v, recipe.preprocess):
                note = "built on a node with other library versions or model/data files; built again here"
            else:
                handoff.install(out, b.name, b.record, b.source)
                note = f"built in {b.record['build_seconds']} s"
            reporter.emit(
                Event(
                    "log",
                    stage="overall",
                    message=f"[{done}/{len(names)}] {b.name or '?'}: {note}",
                    variant=b.name or None,
                )
            )
            reporter.emit(
                Event(
                    "progress",
                    stage="overall",
                    fraction=done / len(names),
                    message=f"built {done}/{len(names)} in parallel",
                    variant=None,
                )
            )
            if clock is not None and clock.budget is not None and done < len(names):
                if clock.elapsed() >= BUILD_SHARE * clock.budget:
                    reporter.emit(
                        Event(
                            "log",
                            stage="overall",
                            message=f"time budget: building ahead stopped after {done} of "
                            f"{len(names)} ({clock.elapsed():.0f} s of {clock.budget:.0f} s); "
                            "the rest is built one at a time while the budget allows",
                            variant=None,
                        )
                    )
                    return
    finally:
        builds.close()  # stopped early: the builds in flight are ended, none is started
