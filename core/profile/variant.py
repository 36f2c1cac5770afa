"""The ``[benchmark] profile = true`` measurements of one built variant, for its report row.

:func:`profile_variant` fills ``row.profile`` (the per-operator profile: top rows, source,
totals, hints), ``row.memory`` and ``row.load_ms``. Each part that fails says why in the
row's notes and leaves its field empty: profiling never fails a variant.
"""

from __future__ import annotations

PROFILE_RUNS = 20  # profiled runs (after 3 warm-up runs): per-op times are sums over these
MEMORY_RUNS = 10  # runs of the memory probe child


def profile_variant(row, artifact, inputs: list, threads: int, module=None) -> None:
    from deploy_studio.core.profile import measure_memory, profile

    runtime = artifact.runtime
    try:
        prof = profile(
            runtime, artifact.path, inputs, threads, runs=PROFILE_RUNS, warmup=3, module=module
        )
        prof.hints = list((artifact.coverage or {}).get("hints") or [])
        row.profile = prof.to_dict()
    except Exception as e:  # noqa: BLE001 - a profiler failure is a note, not a failed variant
        row.notes.append(f"profile: {type(e).__name__}: {str(e).strip()[:200]}")
    if runtime == "eager":
        row.notes.append(
            "memory and load time: not measured for eager (an in-memory module, not a file "
            "a fresh process can load)"
        )
        return
    try:
        measured = measure_memory(runtime, artifact.path, inputs, threads, MEMORY_RUNS)
        row.memory, row.load_ms = measured["memory"], measured["load_ms"]
    except Exception as e:  # noqa: BLE001
        row.notes.append(f"memory and load time: {str(e).strip()[:200]}")
