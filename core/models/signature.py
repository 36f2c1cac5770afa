"""A model's signature: its named inputs and its flattened, named outputs.

A model has one or more named inputs, each with a shape, a dtype (``float32``, ``float16``,
``int64``, ``int32``, ``bool``), optional dynamic dimensions (``{dim: (min, max)}``, exported
as ``torch.export`` dims) and an optional value range for random inputs (token ids within an
embedding's size). The recipe declares them as ``[model] inputs = [{ name = "tokens", shape =
[1, 50], dtype = "int64", dynamic = { 1 = [1, 128] } }, ...]``; ``input_shape`` stays the
shorthand for one float32 input named ``input`` and the CLI takes ``--input NAME:SHAPE:DTYPE``.

Whatever ``forward()`` returns (a tensor, or a tuple, list or dict of them, nested) is
flattened with ``torch.utils._pytree`` into named outputs, in the same order every converter,
format and runtime uses: a plain tensor is ``output``, a tuple's entries ``out.0``, ``out.1``,
a dict's entries their keys (``logits``, ``boxes``), nested entries joined with dots
(``out.1.0``, ``heads.box``). One of them is the *task* output (accuracy, top-1 agreement,
labels, apps): ``[model] output`` names it, else a dict's ``logits``, else the first.

Samples of every input are stacked on the first axis, which is the batch dimension of the
declared shape (batch 1): sample ``i`` of an input is ``array[i : i + 1]``.

This module is light at import (no torch): the recipe reads it in the window's process.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from deploy_studio.core.errors import RecipeError

DTYPES = ("float32", "float16", "int64", "int32", "bool")
FLOAT_DTYPES = ("float32", "float16")
INT_DTYPES = ("int64", "int32")
DEFAULT_INPUT = "input"
"""The name of the one input that ``input_shape`` (the shorthand) declares."""
PLAIN_OUTPUT = "output"
"""The name of a plain tensor output."""
TUPLE_ROOT = "out"
"""The prefix of a tuple/list output's entries (``out.0``)."""
INPUT_KEYS = ("name", "shape", "dtype", "dynamic", "range")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class InputSpec:
    """One named input of a model.

    Attributes
    ----------
    name: the input's name (ONNX input name, npz array name, messages).
    shape: the shape a sample is fed at (batch 1 first).
    dtype: one of :data:`DTYPES`.
    dynamic: dimension -> ``(min, max)`` sizes the exported artifact accepts.
    range: ``(lo, hi)`` of random values (ints: ids ``lo..hi`` inclusive; floats: uniform);
        None: standard normal floats, and for int inputs the range is inferred from the
        ``nn.Embedding`` they feed when the model is loaded.
    """

    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"
    dynamic: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    range: tuple[float, float] | None = None

    # --- plain properties ----------------------------------------------------------------
    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    @property
    def is_int(self) -> bool:
        return self.dtype in INT_DTYPES

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(bool if self.dtype == "bool" else self.dtype)

    @property
    def torch_dtype(self):
        import torch

        return getattr(torch, self.dtype)

    def describe(self) -> str:
        """``tokens [1, 50] int64 (dim 1: 1..128, values 0..999)`` for messages."""
        extra = [f"dim {d}: {lo}..{hi}" for d, (lo, hi) in sorted(self.dynamic.items())]
        if self.range is not None:
            extra.append(f"values {_num(self.range[0])}..{_num(self.range[1])}")
        return f"{self.name} {list(self.shape)} {self.dtype}" + (
            f" ({', '.join(extra)})" if extra else ""
        )

    def accepts(self, shape: Sequence[int]) -> bool:
        """Whether one sample of ``shape`` fits (fixed sizes equal, dynamic ones in range)."""
        if len(shape) != len(self.shape):
            return False
        for d, (want, got) in enumerate(zip(self.shape, shape, strict=True)):
            lo, hi = self.dynamic.get(d, (want, want))
            if not lo <= int(got) <= hi:
                return False
        return True

    # --- values --------------------------------------------------------------------------
    def example(self, seed: int = 0):
        """A torch tensor of this input's shape and dtype (float32: standard normal, as the
        loader always drew; ints: ids in ``range``; bool: random)."""
        import torch

        g = torch.Generator().manual_seed(seed)
        shape = tuple(self.shape)
        if self.is_float:
            if self.range is None:
                x = torch.randn(*shape, generator=g)
            else:
                lo, hi = self.range
                x = torch.rand(*shape, generator=g) * (hi - lo) + lo
            return x.to(self.torch_dtype)
        if self.dtype == "bool":
            return torch.randint(0, 2, shape, generator=g).bool()
        lo, hi = self.int_range()
        return torch.randint(lo, hi + 1, shape, generator=g, dtype=self.torch_dtype)

    def int_range(self) -> tuple[int, int]:
        """The inclusive id range of an int input (0..0 when none is known)."""
        if self.range is None:
            return 0, 0
        return int(np.ceil(self.range[0])), int(np.floor(self.range[1]))

    def random(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` random samples stacked on the batch axis (``[n, *shape[1:]]``)."""
        shape = (n, *self.shape[1:])
        if self.is_float:
            if self.range is None:
                a = rng.standard_normal(shape)
            else:
                a = rng.uniform(self.range[0], self.range[1], shape)
            return a.astype(self.numpy_dtype)
        if self.dtype == "bool":
            return rng.integers(0, 2, shape).astype(bool)
        lo, hi = self.int_range()
        return rng.integers(lo, hi + 1, shape).astype(self.numpy_dtype)

    # --- the recipe's form ---------------------------------------------------------------
    def to_dict(self) -> dict:
        """The recipe's inline table (TOML keys are text: ``dynamic = { "1" = [1, 128] }``)."""
        d: dict[str, Any] = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.dynamic:
            d["dynamic"] = {str(k): [lo, hi] for k, (lo, hi) in sorted(self.dynamic.items())}
        if self.range is not None:
            d["range"] = [_num(self.range[0]), _num(self.range[1])]
        return d

    @classmethod
    def from_dict(cls, d: Any, where: str = "[model] inputs") -> InputSpec:
        """Validate one recipe entry; a RecipeError names the entry and the key."""
        if not isinstance(d, dict):
            raise RecipeError(f"{where} must be a table, got {d!r}", _INPUTS_EXAMPLE)
        unknown = [k for k in d if k not in INPUT_KEYS]
        if unknown:
            raise RecipeError(
                f"unknown key {unknown[0]!r} in {where}", f"allowed keys: {', '.join(INPUT_KEYS)}"
            )
        name = d.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise RecipeError(
                f"{where} needs a name (letters, digits, _ . -), got {name!r}", _INPUTS_EXAMPLE
            )
        where = f"{where} {name!r}"
        shape = d.get("shape")
        if (
            not isinstance(shape, list)
            or not shape
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in shape)
        ):
            raise RecipeError(
                f"{where}: shape must be a list of positive integers, got {shape!r}",
                "e.g. shape = [1, 50] (batch 1 first)",
            )
        dtype = d.get("dtype", "float32")
        if dtype not in DTYPES:
            raise RecipeError(
                f"{where}: dtype {dtype!r} is not one of {', '.join(DTYPES)}",
                'e.g. dtype = "int64" for token ids',
            )
        dynamic = _parse_dynamic(d.get("dynamic", {}), shape, where)
        rng = _parse_range(d.get("range"), dtype, where)
        return cls(name, tuple(shape), dtype, dynamic, rng)


@dataclass(frozen=True)
class OutputSpec:
    """One flattened output: its name, shape (at the declared inputs) and dtype."""

    name: str
    shape: tuple[int, ...]
    dtype: str

    def to_dict(self) -> dict:
        return {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class Signature:
    """A model's inputs, and (once it ran) its flattened outputs and their structure.

    ``task`` is the index in ``outputs`` of the task output; ``tree`` the pytree TreeSpec of
    what ``forward()`` returns (:meth:`unflatten` rebuilds it).
    """

    inputs: tuple[InputSpec, ...]
    outputs: tuple[OutputSpec, ...] = ()
    task: int = 0
    tree: Any = None

    # --- names and kinds -----------------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        return [i.name for i in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [o.name for o in self.outputs]

    @property
    def task_output(self) -> OutputSpec | None:
        return self.outputs[self.task] if self.outputs else None

    @property
    def has_dynamic(self) -> bool:
        return any(i.dynamic for i in self.inputs)

    @property
    def is_image(self) -> bool:
        """One float32 input shaped like an image (``[N, 1|3, H, W]`` or NHWC)."""
        from deploy_studio.core.data.preprocess import Preprocess

        return (
            len(self.inputs) == 1
            and self.inputs[0].dtype == "float32"
            and Preprocess.image_dims(list(self.inputs[0].shape)) is not None
        )

    @property
    def is_shorthand(self) -> bool:
        """What ``input_shape`` alone declares: one plain float32 input named ``input``."""
        (first, *rest) = self.inputs
        return (
            not rest
            and first.name == DEFAULT_INPUT
            and first.dtype == "float32"
            and not first.dynamic
            and first.range is None
        )

    @property
    def is_simple(self) -> bool:
        """The shorthand input and a single output: nothing more for a report to say."""
        return self.is_shorthand and len(self.outputs) <= 1

    def input(self, name: str) -> InputSpec:
        return next(i for i in self.inputs if i.name == name)

    def describe_inputs(self) -> str:
        return "; ".join(i.describe() for i in self.inputs)

    # --- inputs --------------------------------------------------------------------------
    def example_inputs(self, seed: int = 0) -> tuple:
        """One torch tensor per input at its declared shape (seeded)."""
        return tuple(i.example(seed + k) for k, i in enumerate(self.inputs))

    def random_inputs(self, n: int, seed: int = 0) -> list[np.ndarray]:
        """``n`` random samples of every input, stacked on the batch axis."""
        rng = np.random.default_rng(seed)
        return [i.random(n, rng) for i in self.inputs]

    def dynamic_shapes(self, module=None):
        """``torch.export``'s ``dynamic_shapes`` (a tuple, one entry per input), or None.

        Inputs that declare the same dimension with the same range share one symbol (a batch
        or a sequence length common to ``tokens`` and ``mask``). With ``module``, shaped for
        its ``forward``: one that takes ``*inputs`` gets them as its one argument.
        """
        if not self.has_dynamic:
            return None
        if module is not None and _takes_var_args(module):
            return (self.dynamic_shapes(),)
        from torch.export import Dim

        dims: dict[tuple[int, int, int], Any] = {}
        out = []
        for spec in self.inputs:
            entry = {}
            for d, (lo, hi) in sorted(spec.dynamic.items()):
                key = (d, lo, hi)
                if key not in dims:
                    dims[key] = Dim(dim_name(spec.name, d), min=lo, max=hi)
                entry[d] = dims[key]
            out.append(entry or None)
        return tuple(out)

    def export_inputs(self, inputs: Sequence) -> tuple:
        """``inputs`` with every dynamic dimension of size 1 repeated to 2: torch.export
        specialises a dimension it sees at size 1 (the artifact still accepts 1)."""
        import torch

        out = []
        for spec, x in zip(self.inputs, inputs, strict=True):
            for d, (_lo, hi) in spec.dynamic.items():
                if x.shape[d] == 1 and hi >= 2:
                    x = torch.cat([x, x], dim=d)
            out.append(x)
        return tuple(out)

    # --- outputs -------------------------------------------------------------------------
    def flatten(self, out) -> list:
        """The leaves of a model's output, in the order of :attr:`outputs`."""
        from torch.utils import _pytree as pytree

        return pytree.tree_leaves(out)

    def unflatten(self, leaves: Sequence):
        """The model's output structure rebuilt from flattened ``leaves``."""
        from torch.utils import _pytree as pytree

        if self.tree is None:
            return leaves[0] if len(leaves) == 1 else tuple(leaves)
        return pytree.tree_unflatten(list(leaves), self.tree)

    def with_outputs(self, raw, wanted: str | int | None = None) -> tuple[Signature, Any]:
        """This signature with the outputs of ``raw`` (one forward pass's return value)
        and its task output; also returns the task output's top-level key (None for a plain
        tensor, an index for a tuple/list, a key for a dict).

        Raises ModelLoadError when an output is not a tensor or ``wanted`` names no output.
        """
        names, leaves = output_leaves(raw)
        task, key = _find_output(raw, names, wanted)
        if task is None:  # the default, or a name select_output explains when it is wrong
            _, key = select_output(raw, wanted)
            prefix = PLAIN_OUTPUT if key is None else _top_name(raw, key)
            task = next(i for i, n in enumerate(names) if n == prefix or n.startswith(prefix + "."))
        from torch.utils import _pytree as pytree

        outputs = tuple(
            OutputSpec(n, tuple(int(v) for v in t.shape), str(t.dtype).replace("torch.", ""))
            for n, t in zip(names, leaves, strict=True)
        )
        return replace(self, outputs=outputs, task=task, tree=pytree.tree_structure(raw)), key

    # --- the report's form ---------------------------------------------------------------
    def report_inputs(self) -> list[dict]:
        return [i.to_dict() for i in self.inputs]

    def report_outputs(self) -> list[dict]:
        return [
            {**o.to_dict(), **({"task": True} if k == self.task else {})}
            for k, o in enumerate(self.outputs)
        ]


# --- building signatures ---------------------------------------------------------------------


def shorthand(shape: Sequence[int]) -> Signature:
    """The signature ``input_shape`` declares: one float32 input named ``input``."""
    return Signature((InputSpec(DEFAULT_INPUT, tuple(int(v) for v in shape)),))


def parse_inputs(raw: Any, where: str = "[model] inputs") -> list[InputSpec]:
    """The recipe's ``inputs`` list, validated (names unique)."""
    if not isinstance(raw, list) or not raw:
        raise RecipeError(f"{where} must be a non-empty list of inline tables", _INPUTS_EXAMPLE)
    specs = [InputSpec.from_dict(d, f"{where}[{i}]") for i, d in enumerate(raw)]
    names = [s.name for s in specs]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise RecipeError(f"{where}: two inputs are named {dup!r}", "give each input its own name")
    return specs


def declared(inputs: list[dict] | None) -> Signature | None:
    """The signature of a recipe's (already validated) ``inputs``, or None."""
    return Signature(tuple(parse_inputs(inputs))) if inputs else None


def parse_input_arg(text: str) -> dict:
    """One ``--input NAME:SHAPE[:DTYPE]`` (``tokens:1x50:int64``) as a recipe entry.

    Raises ValueError with a message naming the part that is wrong.
    """
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(
            f"--input {text!r} is not NAME:SHAPE:DTYPE (e.g. tokens:1x50:int64 or image:1x3x224x224:float32)"
        )
    name, shape_text = parts[0].strip(), parts[1].strip()
    dtype = parts[2].strip() if len(parts) == 3 else "float32"
    if not _NAME.match(name):
        raise ValueError(f"--input {text!r}: {name!r} is not an input name (letters, digits, _)")
    try:
        shape = [int(v) for v in re.split(r"[x,]", shape_text) if v.strip()]
    except ValueError:
        shape = []
    if not shape or any(v <= 0 for v in shape):
        raise ValueError(
            f"--input {text!r}: shape {shape_text!r} of input {name!r} is not like 1x50 or 1x3x224x224"
        )
    if dtype not in DTYPES:
        raise ValueError(
            f"--input {text!r}: dtype {dtype!r} of input {name!r} is not one of {', '.join(DTYPES)}"
        )
    return {"name": name, "shape": shape, "dtype": dtype}


def exported_inputs(ep) -> list[InputSpec] | None:
    """The user inputs of an ExportedProgram (.pt2): names, shapes, dtypes and dynamic
    dimensions from its graph.

    A dynamic dimension is fed at the example input's size (else its least size, at least 1)
    and declared dynamic with the program's own range when that range is bounded (an
    unbounded one is fixed at that size: declare a range in ``[model] inputs`` to keep it).
    None when the program's inputs are not all tensors of the supported dtypes.
    """
    import torch

    try:
        examples = list(ep.example_inputs[0]) if ep.example_inputs else []
    except Exception:  # noqa: BLE001 - older programs keep no example inputs
        examples = []
    user = list(ep.graph_signature.user_inputs)
    specs: list[InputSpec] = []
    for node in ep.graph.nodes:
        if node.op != "placeholder" or node.name not in user:
            continue
        val = node.meta.get("val")
        if not isinstance(val, torch.Tensor):
            return None
        dtype = str(val.dtype).replace("torch.", "")
        if dtype not in DTYPES:
            return None
        k = len(specs)
        example = examples[k] if k < len(examples) else None
        shape: list[int] = []
        dynamic: dict[int, tuple[int, int]] = {}
        for d, size in enumerate(val.shape):
            if isinstance(size, int):
                shape.append(size)
                continue
            lo, hi = _symbol_range(ep, size)
            if isinstance(example, torch.Tensor) and example.dim() == len(val.shape):
                shape.append(int(example.shape[d]))
            else:
                shape.append(max(1, lo))
            if hi is not None and hi > lo:
                dynamic[d] = (max(1, lo), hi)
        specs.append(InputSpec(node.name, tuple(shape), dtype, dynamic))
    return specs or None


def _symbol_range(ep, size) -> tuple[int, int | None]:
    """(least, greatest or None when unbounded) size of a symbolic dimension of ``ep``."""
    try:
        vr = ep.range_constraints[size.node.expr]
        hi = vr.upper
        return int(vr.lower), int(hi) if hi.is_finite and int(hi) < 2**31 else None
    except Exception:  # noqa: BLE001 - an expression of several symbols: fixed at its example
        return 1, None


# --- outputs ---------------------------------------------------------------------------------


def _tensor():
    import torch

    return torch.Tensor


def _key_name(k) -> str:
    for attr in ("key", "idx", "name"):
        if hasattr(k, attr):
            return str(getattr(k, attr))
    return str(k)


def output_leaves(raw) -> tuple[list[str], list]:
    """``(names, tensors)`` of a model's output, flattened in pytree order.

    Raises ModelLoadError when the output holds no tensor or holds something else.
    """
    from torch.utils import _pytree as pytree

    from deploy_studio.core.errors import ModelLoadError

    tensor = _tensor()
    pairs = pytree.tree_flatten_with_path(raw)[0]
    if isinstance(raw, tensor):
        return [PLAIN_OUTPUT], [raw]
    root = TUPLE_ROOT if isinstance(raw, (tuple, list)) else ""
    names, leaves = [], []
    for path, leaf in pairs:
        name = ".".join([*([root] if root else []), *(_key_name(k) for k in path)])
        if not isinstance(leaf, tensor):
            if not any(isinstance(v, tensor) for _, v in pairs):
                break
            raise ModelLoadError(
                f"forward() returns {type(leaf).__name__} {leaf!r:.40} as output {name!r}: "
                "every output must be a tensor",
                "return tensors only (a tensor, or a tuple, list or dict of them); wrap the "
                "model to drop the other values",
            )
        names.append(name)
        leaves.append(leaf)
    if not leaves:
        raise ModelLoadError(
            f"the model returned {type(raw).__name__}, not a tensor",
            "Deploy Studio handles models that return tensors (alone, or in a tuple, list or "
            "dict, nested); wrap the model so forward() returns them",
        )
    return names, leaves


def _find_output(raw, names: list[str], wanted) -> tuple[int | None, Any]:
    """The index and report key of the output ``wanted`` names: a flattened name
    (``out.1.0``, ``heads.box``) or a top-level entry (``1``, ``scores``: its first leaf)."""
    if wanted in (None, ""):
        return None, None
    w = str(wanted)
    plain = isinstance(raw, _tensor())
    for cand in [w] if plain else [w, _top_name(raw, w)]:
        for i, n in enumerate(names):
            if n == cand or n.startswith(cand + "."):
                if plain:
                    return i, None
                top = _top_key(raw, n)
                return i, top if cand == _top_name(raw, top) else w
    return None, None


def _tensor_entries(out) -> list[tuple[Any, Any]]:
    """(key, tensor) of a tuple/list (int keys) or dict (str keys) output, in order."""
    tensor = _tensor()
    if isinstance(out, (tuple, list)):
        return [(i, v) for i, v in enumerate(out) if isinstance(v, tensor)]
    if isinstance(out, dict):
        return [(k, v) for k, v in out.items() if isinstance(v, tensor) and isinstance(k, str)]
    return []


def describe_outputs(out) -> str:
    """``'logits' [1, 10], 'features' [1, 64]`` (every flattened output: ``'out.0' [1, 10]``
    for a tuple) for the notes and error messages."""
    from deploy_studio.core.errors import ModelLoadError

    try:
        names, leaves = output_leaves(out)
    except ModelLoadError:
        return ", ".join(f"{k!r} {list(v.shape)}" for k, v in _tensor_entries(out))
    return ", ".join(f"{n!r} {list(v.shape)}" for n, v in zip(names, leaves, strict=True))


def select_output(out, wanted: str | int | None = None):
    """The model's task output tensor and where it was: ``(tensor, key)``.

    ``key`` is None for a plain tensor, an int for a tuple/list and a str for a dict. With
    ``wanted`` (the recipe's ``[model] output``: a dict key, or a tuple index) that entry is
    used; otherwise a dict's ``logits`` entry, else the first tensor (the caller says which
    was used in every run and report). Raises ModelLoadError when the output holds no tensor
    or ``wanted`` is not one of its entries.
    """
    from deploy_studio.core.errors import ModelLoadError

    tensor = _tensor()
    entries = _tensor_entries(out)
    if isinstance(out, tensor):
        if wanted not in (None, "", 0, "0"):
            raise ModelLoadError(
                f"[model] output = {wanted!r}, but forward() returns a single tensor {list(out.shape)}",
                "remove [model] output",
            )
        return out, None
    if wanted not in (None, ""):
        want = (
            int(wanted)
            if isinstance(out, (tuple, list)) and str(wanted).lstrip("-").isdigit()
            else wanted
        )
        for k, v in entries:
            if k == want:
                return v, k
        raise ModelLoadError(
            f"[model] output = {wanted!r} is not an output of the model; forward() returns "
            f"{type(out).__name__} with {describe_outputs(out) or 'no tensors'}",
            "set [model] output to one of those names (a dict key, or an index for a tuple)",
        )
    if entries:
        if isinstance(out, dict) and "logits" in out and isinstance(out["logits"], tensor):
            return out["logits"], "logits"
        return entries[0][1], entries[0][0]
    raise ModelLoadError(
        f"the model returned {type(out).__name__}, not a tensor",
        "Deploy Studio handles models that return tensors (alone, or in a tuple or dict); wrap "
        "the model so forward() returns them",
    )


def _top_name(raw, key) -> str:
    return f"{TUPLE_ROOT}.{key}" if isinstance(raw, (tuple, list)) else str(key)


def _top_key(raw, name: str):
    if isinstance(raw, (tuple, list)):
        return int(name.split(".")[1])
    first = name.split(".")[0]
    return next((k for k in raw if str(k) == first), first) if isinstance(raw, dict) else None


# --- helpers -------------------------------------------------------------------------------


def dim_name(input_name: str, dim: int) -> str:
    """The torch.export symbol of ``input_name``'s dimension ``dim`` (an identifier)."""
    return re.sub(r"\W", "_", f"{input_name}_dim{dim}")


def sample(arrays: Sequence[np.ndarray], i: int) -> list[np.ndarray]:
    """Sample ``i`` of stacked inputs: one batch-1 array per input."""
    return [a[i : i + 1] for a in arrays]


def _num(v: float):
    return int(v) if float(v).is_integer() else float(v)


_INPUTS_EXAMPLE = (
    'e.g. inputs = [{ name = "tokens", shape = [1, 50], dtype = "int64", '
    "dynamic = { 1 = [1, 128] } }]"
)


def _parse_dynamic(raw: Any, shape: list[int], where: str) -> dict[int, tuple[int, int]]:
    if not isinstance(raw, dict):
        raise RecipeError(
            f"{where}: dynamic must be a table of dimension = [min, max], got {raw!r}",
            "e.g. dynamic = { 1 = [1, 128] } (dimension 1 from 1 to 128)",
        )
    out: dict[int, tuple[int, int]] = {}
    for k, v in raw.items():
        try:
            d = int(k)
        except (TypeError, ValueError):
            d = -1
        if not 0 <= d < len(shape):
            raise RecipeError(
                f"{where}: dynamic dimension {k!r} is not a dimension of shape {shape}",
                f"dimensions are 0..{len(shape) - 1}",
            )
        ok = (
            isinstance(v, list)
            and len(v) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
        )
        if not ok or not 1 <= v[0] <= shape[d] <= v[1]:
            raise RecipeError(
                f"{where}: dynamic dimension {d} must be [min, max] with 1 <= min <= "
                f"{shape[d]} (its size in shape) <= max, got {v!r}",
                f"e.g. dynamic = {{ {d} = [1, {max(shape[d], 2) * 2}] }}",
            )
        out[d] = (int(v[0]), int(v[1]))
    return out


def _parse_range(raw: Any, dtype: str, where: str) -> tuple[float, float] | None:
    if raw is None:
        return None
    ok = (
        isinstance(raw, list)
        and len(raw) == 2
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw)
        and raw[0] <= raw[1]
    )
    if not ok:
        raise RecipeError(
            f"{where}: range must be [lo, hi] with lo <= hi, got {raw!r}",
            "e.g. range = [0, 29999] for ids of an embedding of 30000 entries",
        )
    if dtype == "bool":
        raise RecipeError(f"{where}: a bool input takes no range", "remove range")
    if dtype in INT_DTYPES and not all(float(x).is_integer() for x in raw):
        raise RecipeError(f"{where}: the range of an int input must be integers, got {raw!r}")
    return float(raw[0]), float(raw[1])


def _takes_var_args(module) -> bool:
    """Whether ``module.forward`` takes its inputs as ``*args``."""
    import inspect

    try:
        params = list(inspect.signature(module.forward).parameters.values())
    except (AttributeError, TypeError, ValueError):
        return False
    return bool(params) and params[0].kind is inspect.Parameter.VAR_POSITIONAL


def forward_inputs(module) -> list[str] | None:
    """The names of the tensors ``forward`` requires, where the model says them: a
    TorchScript archive's schema, or an nn.Module's Python signature (None when unknown)."""
    import inspect

    import torch

    try:
        if isinstance(module, torch.jit.ScriptModule):
            forward: Any = module.forward
            args = forward.schema.arguments[1:]
            return [a.name for a in args if a.default_value is None]
        if isinstance(module, torch.nn.Module):
            params = inspect.signature(module.forward).parameters.values()
            positional = (
                inspect.Parameter.POSITIONAL_ONLY,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
            )
            return [p.name for p in params if p.kind in positional and p.default is p.empty]
    except (AttributeError, RuntimeError, TypeError, ValueError):
        return None
    return None


def input_signature(
    spec, default_shape: Sequence[int] | None, exported=None, module=None
) -> Signature:
    """The inputs a model is loaded with: the recipe's ``inputs``, else its ``input_shape``,
    else an ExportedProgram's own inputs (when it has several, or one that is not float32),
    else the source's default shape (one float32 input).

    Raises InputShapeUnknown when none is known (naming the inputs ``forward`` takes, read
    from a TorchScript archive's schema or the module's code), ModelLoadError on a
    non-positive size.
    """
    from deploy_studio.core.errors import InputShapeUnknown, ModelLoadError

    if spec.inputs:
        return Signature(tuple(parse_inputs(spec.inputs)))
    if not spec.input_shape and exported is not None:
        found = exported_inputs(exported)
        if found and (len(found) > 1 or found[0].dtype != "float32"):
            return Signature(tuple(found))
    shape = list(spec.input_shape or default_shape or [])
    if not shape:
        names = forward_inputs(module) if module is not None else None
        if names and len(names) > 1:
            raise InputShapeUnknown(
                f"the input shapes of {spec.source.strip()} cannot be known from the file; its "
                f"forward() takes {len(names)} inputs: {', '.join(names)}",
                "pass each one: "
                + " ".join(f"--input {n}:SHAPE:DTYPE" for n in names)
                + " (e.g. --input tokens:1x50:int64), or [model] inputs in a recipe",
            )
        raise InputShapeUnknown(
            f"the input shape of {spec.source.strip()} cannot be known from the file",
            "pass --input-shape, e.g. --input-shape 1,3,224,224 (or --input NAME:SHAPE:DTYPE "
            "once per input)",
        )
    if any(int(v) <= 0 for v in shape):
        raise ModelLoadError(f"input shape {shape} has a non-positive size", "e.g. 1,3,224,224")
    return shorthand(shape)
