"""Mutated model files: shared by tests/core/test_fuzz_loaders.py and benchmarks/fuzz_loaders.py.

:func:`build_cases` writes one small valid file of every format ``load_model`` reads (a tiny
conv+linear model, fixed seeds); :func:`mutate` damages one of them the way disks, downloads
and careless edits do (truncation, flipped bytes anywhere, edits inside one zip member with
its checksum kept valid so the edit reaches torch's parsers, central-directory damage,
flatbuffer header/offset damage); :func:`try_load` loads the result and says whether it ended
in success, a typed ``StudioError`` or anything else (a defect).

Every try draws from its own ``random.Random`` seeded by (seed, format, index), so a try that
crashed a worker can be replayed alone: ``mutate(case, try_rng(seed, fmt, i))``.
"""

from __future__ import annotations

import importlib.util
import io
import random
import struct
import sys
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TINY_MODULE = "ds_fuzz_tiny_net"
TINY_SRC = '''
import torch
import torch.nn as nn


class FuzzNet(nn.Module):
    """1x1x8x8 -> 3: one conv, one linear; a few hundred bytes of weights."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, stride=2)
        self.fc = nn.Linear(2 * 3 * 3, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))
'''
SHAPE = [1, 1, 8, 8]
TV_ARCH = "squeezenet1_1"
TV_SHAPE = [1, 3, 32, 32]

# name -> (file name, how it is loaded). "self": the file is the model; "weights": the file is
# --weights for the tiny class; "tv-weights": --weights for torchvision:TV_ARCH.
FORMATS: dict[str, tuple[str, str]] = {
    "torchscript-traced": ("traced.pt", "self"),
    "torchscript-scripted": ("scripted.pt", "self"),
    "lite": ("lite.ptl", "self"),
    "lite-flatbuffer": ("lite_fb.ptl", "self"),
    "pt2": ("exported.pt2", "self"),
    "state-dict": ("weights.pth", "weights"),
    "checkpoint": ("checkpoint.pth", "weights"),
    "state-dict-legacy": ("legacy.pth", "weights"),
    "pickled-module": ("whole.pt", "self"),
    "pickled-module-trusted": ("whole_trusted.pt", "trusted"),
    "torchvision-state-dict": ("tv_weights.pth", "tv-weights"),
}
# The default test run skips the torchvision case (a 5 MB file and a 1.2M-parameter model
# per try); it shares every line of _load_state_dict with "state-dict".
QUICK_FORMATS = [f for f in FORMATS if f != "torchvision-state-dict"]


class Member(NamedTuple):
    """A zip member of ``Case.original``: where its local header and its data are."""

    name: str
    header: int
    start: int
    size: int


@dataclass
class Case:
    """One valid file and how to load it; mutations are written to ``path`` in place."""

    name: str
    path: Path
    original: bytes
    how: str
    tiny_py: Path
    members: list[Member] = field(default_factory=list)
    cd_start: int = -1  # zip: offset of the central directory

    @property
    def is_zip(self) -> bool:
        return self.cd_start >= 0

    def valid_result_ok(self, outcome: str, detail: str) -> bool:
        """Whether the unmutated file ended as it should: loaded, or (an untrusted pickled
        module) refused with UntrustedPickleError."""
        if self.name == "pickled-module":
            return outcome == "typed" and detail.startswith("UntrustedPickleError")
        return outcome == "ok"

    def spec(self):
        from deploy_studio.core.models import ModelSpec

        if self.how == "self":
            return ModelSpec(str(self.path), None, list(SHAPE), False)
        if self.how == "trusted":
            return ModelSpec(str(self.path), None, list(SHAPE), True)
        if self.how == "weights":
            return ModelSpec(f"{self.tiny_py}:FuzzNet", str(self.path), list(SHAPE), False)
        return ModelSpec(f"torchvision:{TV_ARCH}", str(self.path), list(TV_SHAPE), False)


def _tiny_class(folder: Path):
    py = folder / f"{TINY_MODULE}.py"
    if not py.exists():
        py.write_text(TINY_SRC)
    mod = sys.modules.get(TINY_MODULE)
    if mod is None or Path(mod.__file__).resolve() != py.resolve():
        spec = importlib.util.spec_from_file_location(TINY_MODULE, py)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[TINY_MODULE] = mod  # torch.save pickles FuzzNet by this module name
        spec.loader.exec_module(mod)
    return py, mod.FuzzNet


def build_files(folder: Path, formats: list[str] | None = None) -> None:
    """Write the valid file of each format into ``folder`` (fixed seeds: same bytes each run,
    except torch's random serialization ids)."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    _py, net_cls = _tiny_class(folder)
    torch.manual_seed(0)
    net = net_cls().eval()
    x = torch.randn(*SHAPE, generator=torch.Generator().manual_seed(1))
    want = set(formats or FORMATS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(net, x)
        for name in want:
            out = folder / FORMATS[name][0]
            if name == "torchscript-traced":
                torch.jit.save(traced, str(out))
            elif name == "torchscript-scripted":
                torch.jit.save(torch.jit.script(net), str(out))
            elif name == "lite":
                traced._save_for_lite_interpreter(str(out))
            elif name == "lite-flatbuffer":
                traced._save_for_lite_interpreter(str(out), _use_flatbuffer=True)
            elif name == "pt2":
                torch.export.save(torch.export.export(net, (x,)), str(out))
            elif name == "state-dict":
                torch.save(net.state_dict(), out)
            elif name == "checkpoint":
                sd = {f"module.{k}": v for k, v in net.state_dict().items()}
                torch.save(
                    {
                        "epoch": 3,
                        "model_state_dict": sd,
                        "best_acc": 0.5,
                        "optimizer": {"lr": 0.1, "state": {}},
                    },
                    out,
                )
            elif name == "state-dict-legacy":
                torch.save(net.state_dict(), out, _use_new_zipfile_serialization=False)
            elif name in ("pickled-module", "pickled-module-trusted"):
                torch.save(net, out)
            elif name == "torchvision-state-dict":
                import torchvision

                torch.manual_seed(0)
                torch.save(torchvision.models.get_model(TV_ARCH, weights=None).state_dict(), out)


def load_case(name: str, src_folder: Path, work_folder: Path) -> Case:
    """The case for ``name`` built in ``src_folder``; mutations go to ``work_folder``."""
    fname, how = FORMATS[name]
    work_folder.mkdir(parents=True, exist_ok=True)
    py, _cls = _tiny_class(src_folder)
    data = (src_folder / fname).read_bytes()
    case = Case(name, work_folder / fname, data, how, py)
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            case.cd_start = z.start_dir
            for info in z.infolist():
                off = info.header_offset
                n, m = struct.unpack("<HH", data[off + 26 : off + 30])
                case.members.append(
                    Member(info.filename, off, off + 30 + n + m, info.compress_size)
                )
    return case


def build_cases(folder: Path, formats: list[str] | None = None) -> dict[str, Case]:
    build_files(folder / "valid", formats)
    return {n: load_case(n, folder / "valid", folder / "work") for n in (formats or FORMATS)}


def try_rng(seed: int, fmt: str, index: int) -> random.Random:
    return random.Random(f"{seed}/{fmt}/{index}")


# ------------------------------------------------------------------------------ mutations

INTERESTING = [
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\x00\x00",
    b"\xff\xff",
    b"\xff\x7f",
    b"\x00\x80",
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\xff\xff\xff\x7f",
    b"\x00\x00\x00\x80",
    b"\x00\x00\x00\x40",
    b"\x00\x00\x01\x00",
    b"\xff\xff\xff\xff\xff\xff\xff\x7f",
    b"\x00\x00\x00\x00\x00\x00\x00\x80",
    b"\x01\x00\x00\x00",
    b"\x10\x00\x00\x00",
]


def _flip(buf: bytearray, rng: random.Random, lo: int = 0, hi: int | None = None) -> str:
    hi = len(buf) if hi is None else hi
    if hi <= lo:
        return "nothing to flip"
    k = rng.choice([1, 1, 1, 2, 3, 4, 8, 16])
    at = []
    for _ in range(k):
        i = rng.randrange(lo, hi)
        if rng.random() < 0.5:
            buf[i] ^= 1 << rng.randrange(8)
        else:
            buf[i] = rng.randrange(256)
        at.append(i)
    return f"{k} byte(s) at {sorted(at)[:4]}{'...' if k > 4 else ''}"


def _interesting(buf: bytearray, rng: random.Random, lo: int = 0, hi: int | None = None) -> str:
    hi = len(buf) if hi is None else hi
    val = rng.choice(INTERESTING)
    if hi - lo < len(val):
        return "too short"
    i = rng.randrange(lo, hi - len(val) + 1)
    if rng.random() < 0.5:  # aligned: length and offset fields usually are
        i -= (i - lo) % len(val)
    buf[i : i + len(val)] = val
    return f"{val.hex()} at {i}"


def _edit_bytes(content: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One content-level edit of a zip member (or of a whole non-zip file)."""
    buf = bytearray(content)
    op = rng.choice(["flip", "flip", "interesting", "truncate", "cut", "dup", "append"])
    if op == "flip" or not buf:
        return "flip " + _flip(buf, rng), bytes(buf)
    if op == "interesting":
        return "set " + _interesting(buf, rng), bytes(buf)
    if op == "truncate":
        n = rng.randrange(len(buf))
        return f"truncate to {n}", bytes(buf[:n])
    if op == "cut":
        i = rng.randrange(len(buf))
        n = rng.randint(1, max(1, min(64, len(buf) - i)))
        return f"cut {n} at {i}", bytes(buf[:i] + buf[i + n :])
    if op == "dup":
        i = rng.randrange(len(buf))
        n = rng.randint(1, 64)
        return f"duplicate {n} at {i}", bytes(buf[: i + n] + buf[i : i + n] + buf[i + n :])
    n = rng.randint(1, 64)
    return f"append {n}", bytes(buf) + bytes(rng.randrange(256) for _ in range(n))


def _member_class(name: str) -> str:
    base = name.split("/", 1)[-1]
    if base in ("data.pkl", "constants.pkl", "bytecode.pkl", "traced_inputs.pkl"):
        return base
    if base.endswith(".debug_pkl"):
        return "debug_pkl"
    if base.startswith("code/"):
        return "code"
    if base.endswith(".json"):
        return "json"
    if base.startswith("data/") and base.endswith(".pt"):
        return "nested archive"
    if base.startswith(("data/", "data/weights/", "data/constants/")):
        return "tensor data"
    return "small record"


def rezip(case: Case, target: str, new: bytes) -> bytes:
    """The archive with member ``target`` replaced: every checksum valid, same order."""
    src = zipfile.ZipFile(io.BytesIO(case.original))
    out = io.BytesIO()
    with src, zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            content = new if info.filename == target else src.read(info)
            z.writestr(
                zipfile.ZipInfo(info.filename, info.date_time),
                content,
                compress_type=info.compress_type,
            )
    return out.getvalue()


def _member_edit(case: Case, rng: random.Random) -> tuple[str, bytes]:
    classes: dict[str, list[str]] = {}
    for name, *_ in case.members:
        classes.setdefault(_member_class(name), []).append(name)
    cls = rng.choice(sorted(classes))
    target = rng.choice(classes[cls])
    with zipfile.ZipFile(io.BytesIO(case.original)) as z:
        content = z.read(target)
    what, new = _edit_bytes(content, rng)
    return f"member {target.split('/', 1)[-1]} ({cls}, checksum kept valid): {what}", rezip(
        case, target, new
    )


def _member_raw(case: Case, rng: random.Random) -> tuple[str, bytes]:
    name, _header, start, size = rng.choice([m for m in case.members if m.size] or case.members)
    buf = bytearray(case.original)
    what = _flip(buf, rng, start, start + size)
    return f"raw flip in member {name.split('/', 1)[-1]} (checksum now wrong): {what}", bytes(buf)


def _central_dir(case: Case, rng: random.Random) -> tuple[str, bytes]:
    buf = bytearray(case.original)
    if rng.random() < 0.5:
        what = _flip(buf, rng, case.cd_start)
    else:
        what = _interesting(buf, rng, case.cd_start)
    return f"central directory: {what}", bytes(buf)


def _local_headers(case: Case, rng: random.Random) -> tuple[str, bytes]:
    name, off, _start, _size = rng.choice(case.members)
    buf = bytearray(case.original)
    what = (
        _interesting(buf, rng, off, off + 30)
        if rng.random() < 0.5
        else _flip(buf, rng, off, off + 30)
    )
    return f"local header of {name.split('/', 1)[-1]}: {what}", bytes(buf)


def _flatbuffer(case: Case, rng: random.Random) -> tuple[str, bytes]:
    buf = bytearray(case.original)
    root = struct.unpack("<I", case.original[:4])[0]
    r = rng.random()
    if r < 0.4:  # root offset, identifier, root table and its vtable
        hi = min(len(buf), max(64, root + 64))
        what = "header/vtable: " + (
            _flip(buf, rng, 0, hi) if rng.random() < 0.5 else _interesting(buf, rng, 0, hi)
        )
    elif r < 0.8:  # 32-bit offsets and lengths anywhere
        i = rng.randrange(0, len(buf) - 4) & ~3
        val = rng.choice([*INTERESTING[8:14], struct.pack("<I", rng.randrange(len(buf) * 2))])[:4]
        buf[i : i + 4] = val.ljust(4, b"\x00")
        what = f"u32 {val[:4].hex()} at {i}"
    else:
        what = "flip " + _flip(buf, rng)
    return f"flatbuffer {what}", bytes(buf)


def mutate(case: Case, rng: random.Random) -> tuple[str, bytes]:
    """One damaged copy of ``case.original``: (what was done, the bytes)."""
    data = case.original
    ops = ["truncate", "flip", "interesting"]
    if case.is_zip:
        ops += ["member", "member", "member", "member", "member-raw", "central-dir", "local-header"]
    elif data[4:8] == b"PTMF":
        ops += ["flatbuffer", "flatbuffer", "flatbuffer"]
    else:
        ops += ["edit", "edit"]
    op = rng.choice(ops)
    if op == "truncate":
        n = rng.randrange(len(data))
        return f"truncate to {n} of {len(data)} bytes", data[:n]
    if op == "flip":
        buf = bytearray(data)
        return "flip " + _flip(buf, rng), bytes(buf)
    if op == "interesting":
        buf = bytearray(data)
        return "set " + _interesting(buf, rng), bytes(buf)
    if op == "member":
        return _member_edit(case, rng)
    if op == "member-raw":
        return _member_raw(case, rng)
    if op == "central-dir":
        return _central_dir(case, rng)
    if op == "local-header":
        return _local_headers(case, rng)
    if op == "flatbuffer":
        return _flatbuffer(case, rng)
    return _edit_bytes(data, rng)


def try_load(case: Case, data: bytes) -> tuple[str, str]:
    """Write ``data`` as the case's file and load it: ("ok"|"typed"|"untyped", detail)."""
    from deploy_studio.core.errors import StudioError
    from deploy_studio.core.models import load_model

    case.path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            load_model(case.spec())
    except StudioError as e:
        return "typed", f"{type(e).__name__}: {e.message.splitlines()[0][:300]}"
    except Exception as e:  # noqa: BLE001 - exactly what the fuzzers look for
        text = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
        return "untyped", f"{type(e).__name__}: {text}"
    return "ok", ""
