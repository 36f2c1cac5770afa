"""Damaged model files end in a typed error, never an internal one.

For every format load_model reads, a small valid file is mutated a few hundred times with a
fixed seed (truncation, flipped bytes, one zip member edited with a valid checksum,
central-directory and local-header damage, flatbuffer header/offset damage: see
benchmarks/_fuzz_cases.py). Each load must succeed or raise a StudioError; anything else is
listed with the command that replays it. benchmarks/fuzz_loaders.py runs the same at scale.
"""

from __future__ import annotations

import io
import sys
import zipfile

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import _fuzz_cases as fc

SEED = 1234
TRIES = {"lite": 200, "lite-flatbuffer": 200}  # these two pay for a probe process per load
DEFAULT_TRIES = 300


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return fc.build_cases(tmp_path_factory.mktemp("fuzz"), fc.QUICK_FORMATS)


@pytest.fixture(autouse=True)
def _short_probe(monkeypatch):
    import deploy_studio.core.models.sources as sources

    monkeypatch.setattr(sources, "LITE_PROBE_TIMEOUT", 20.0)  # a looping file: typed, soon


@pytest.mark.parametrize("fmt", fc.QUICK_FORMATS)
def test_damaged_files_end_in_typed_errors(cases, fmt, capfd):
    case = cases[fmt]
    result = fc.try_load(case, case.original)
    assert case.valid_result_ok(*result), f"the valid {fmt} file: {result}"
    if case.is_zip:  # the member edits rebuild the zip: unedited, the rebuild must load too
        name = next(m[0] for m in case.members if m[0].endswith(".pkl") or "model.json" in m[0])
        with zipfile.ZipFile(io.BytesIO(case.original)) as z:
            same = fc.rezip(case, name, z.read(name))
        assert case.valid_result_ok(*fc.try_load(case, same)), f"the rebuilt {fmt} archive"
    seen = {"ok": 0, "typed": 0, "untyped": 0}
    failures = []
    for i in range(TRIES.get(fmt, DEFAULT_TRIES)):
        what, data = fc.mutate(case, fc.try_rng(SEED, fmt, i))
        outcome, detail = fc.try_load(case, data)
        seen[outcome] += 1
        if outcome == "untyped":
            failures.append(
                f"{fmt} try {i} [{what}]: {detail}\n"
                f"    replay: python benchmarks/fuzz_loaders.py --replay {fmt}:{i}"
            )
    assert not failures, f"{len(failures)} untyped exception(s):\n" + "\n".join(failures)
    assert seen["typed"] > 0
    err = capfd.readouterr().err
    assert "Traceback" not in err, (
        f"a traceback reached the console while loading {fmt}:\n{err[-2000:]}"
    )
