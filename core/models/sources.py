"""Every way a user holds a model, turned into a validated :class:`LoadedModel`.

Sources: ``builtin:NAME``, ``torchvision:ARCH`` (+ ``weights``), ``path/file.py:Class``
(+ ``weights``), TorchScript ``.pt``/``.pth`` archives, ``.ptl`` lite archives, ``.pt2``
ExportedPrograms, and pickled whole modules (only with ``trust``). Every ``torch.load`` uses
``weights_only=True`` unless the user trusts the file, so untrusted pickles never run code.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import pickle
import re
import sys
import zipfile
from pathlib import Path

import torch

from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.errors import (
    InitArgsError,
    ModelLoadError,
    ShapeMismatchError,
    UntrustedPickleError,
)
from deploy_studio.core.models.init_args import construct
from deploy_studio.core.models.loaded import LoadedModel, ModelSpec
from deploy_studio.core.models.signature import input_signature
from deploy_studio.core.models.train_mode import check_inference_mode, check_saved_mode
from deploy_studio.core.models.validate import (
    check_dynamic,
    forward_checked,
    infer_ranges,
    output_note,
)
from deploy_studio.core.progress import NULL_REPORTER, Reporter

ACCEPTED = (
    "builtin:digits-cnn, torchvision:ARCH, path/to/file.py:ClassName (+ --weights "
    "state_dict.pth), TorchScript .pt/.pth, lite .ptl, ExportedProgram .pt2, or a pickled "
    "whole module with --trust"
)
ARCHIVE_SUFFIXES = (".pt", ".pth", ".ptl", ".pt2")


def load_model(spec: ModelSpec, reporter: Reporter = NULL_REPORTER) -> LoadedModel:
    """Load ``spec`` and validate it with a forward pass on its declared input shape."""
    reporter.progress("load model", 0.0, spec.source)
    src = spec.source.strip()
    spec = _with_source_defaults(src, spec)
    labels: list[str] | None = None
    notes: list[str] = []
    default_shape: list[int] | None = None
    exported = None
    if src.startswith("builtin:"):
        from deploy_studio.core.models.builtin import load_builtin

        module, default_shape, labels, notes = load_builtin(src.split(":", 1)[1], reporter)
        kind = "module"
    elif src.startswith("torchvision:"):
        module, default_shape, notes = _torchvision(src.split(":", 1)[1], spec)
        kind = "module"
    elif _is_python_class(src):
        module, notes = _python_class(src, spec)
        kind = "module"
    else:
        module, kind, default_shape, exported, notes = _archive(Path(src).expanduser(), spec)
    if spec.weights and kind != "module":
        raise ModelLoadError(
            f"--weights applies to module sources, but {src} is a {kind} archive with its own weights",
            "drop --weights, or load the architecture as file.py:Class with --weights",
        )
    if spec.init_args and (kind != "module" or src.startswith("builtin:")):
        what = "a built-in model" if kind == "module" else f"a {kind} archive"
        raise ModelLoadError(
            f"init_args apply to file.py:Class and torchvision:ARCH sources, but {src} is {what}"
            " built already",
            "drop [model] init_args (--init-args)",
        )
    sig = input_signature(spec, default_shape, exported, module)
    shape = list(sig.inputs[0].shape)
    check_saved_mode(src, kind, module)
    if isinstance(module, torch.nn.Module) and kind != "exported":  # exported graphs refuse .eval()
        module.eval()
    sig, range_notes = infer_ranges(module, sig, exported)
    notes.extend(range_notes)
    x = sig.example_inputs()
    reporter.progress("load model", 0.6, "forward pass")
    try:
        raw = forward_checked(module, x, raw=True, signature=sig)
    except ShapeMismatchError:
        raise
    except ModelLoadError as e:
        if kind in ("lite", "torchscript", "exported"):  # a saved graph that fails may be damaged
            raise ModelLoadError(
                e.message,
                (e.hint + "; " if e.hint else "")
                + "if the shape is right, the file may be damaged: re-save or re-download it",
            ) from None
        raise
    check_inference_mode(src, kind, module, exported, x)
    if kind == "module":
        check_dynamic(module, sig)
    sig, key = sig.with_outputs(raw, spec.output)  # every output is kept; key: the task's
    out = sig.flatten(raw)[sig.task]
    out_note = output_note(raw, key, spec.output)
    if key is not None and out_note:
        notes.append(out_note)
    params = _count_params(module) if kind != "lite" else _lite_params(Path(src).expanduser())
    preprocess, origin = _default_preprocess(src, spec, shape)
    if preprocess is None:
        preprocess = Preprocess()
        notes.append("not an image input shape: image datasets cannot feed this model")
    if labels is None and out.ndim == 2:
        labels = [str(i) for i in range(out.shape[1])]
    reporter.progress("load model", 1.0)
    return LoadedModel(
        spec=ModelSpec(
            src,
            spec.weights,
            shape,
            spec.trust,
            spec.output,
            init_args=spec.init_args or None,
            inputs=spec.inputs or None,
            task=spec.task,
            postprocess=spec.postprocess,
        ),
        module=module,
        kind=kind,
        input_shape=shape,
        output_shape=list(out.shape),
        params=params,
        preprocess=preprocess,
        labels=labels,
        notes=notes,
        exported_program=exported,
        preprocess_origin=origin,
        output_key=key,
        output_note=out_note,
        trained_on=_trained_on(src),
        signature=sig,
        task_hint=_task_hint(src, spec),
    )


def _with_source_defaults(src: str, spec: ModelSpec) -> ModelSpec:
    """``spec`` with the inputs and task output its source declares (a built-in demo's int64
    tokens, a detector's ``boxes``) where the recipe says nothing."""
    from dataclasses import replace

    hint = _task_hint(src, spec) or {}
    if hint.get("inputs") and not spec.inputs and not spec.input_shape:
        spec = replace(spec, inputs=[dict(i) for i in hint["inputs"]])
    if hint.get("output") and spec.output is None:
        spec = replace(spec, output=hint["output"])
    return spec


def _task_hint(src: str, spec: ModelSpec) -> dict | None:
    """What the source itself says of its task (a torchvision segmentation or detection
    architecture, a built-in demo): ``{"task", "postprocess", ...}`` or None."""
    if src.startswith("builtin:"):
        from deploy_studio.core.models import builtin

        hook = getattr(builtin, "builtin_spec_defaults", None)
        return hook(src.split(":", 1)[1]) if hook else None
    return source_defaults(src, spec.init_args)


def _default_preprocess(
    src: str, spec: ModelSpec, shape: list[int]
) -> tuple[Preprocess | None, str]:
    """The preprocessing the model itself says it needs, else a guess from the input shape.

    Returns (spec, origin); origin is :data:`deploy_studio.core.data.preprocess.GUESSED` for a guess.
    """
    from deploy_studio.core.data.preprocess import GUESSED

    try:
        guess = Preprocess.for_input_shape(shape)
    except Exception:  # noqa: BLE001 - not an image input
        return None, GUESSED
    if src.startswith("builtin:"):
        from deploy_studio.core.models.builtin import builtin_preprocess

        said = builtin_preprocess(src.split(":", 1)[1], guess)
        if said is not None:
            return said
    if src.startswith("torchvision:") and not spec.weights:
        said = _torchvision_transforms(src.split(":", 1)[1], guess)
        if said is not None:
            return said
    return guess, GUESSED


def _torchvision_transforms(arch: str, guess: Preprocess) -> tuple[Preprocess, str] | None:
    """torchvision's published weights' transforms for ``arch`` (read, never downloaded)."""
    import torchvision

    from deploy_studio.core.models.torchvision_detection import torchvision_defaults

    defaults = torchvision_defaults(arch)
    if defaults is not None and guess.channels == 3:  # segmentation, detection: stretched
        return guess.with_overrides(defaults["preprocess"]), f"torchvision {arch}'s transform"
    try:
        weights = torchvision.models.get_model_weights(arch).DEFAULT
        t = weights.transforms()
        crop, resize = int(t.crop_size[0]), int(t.resize_size[0])
        interp = str(getattr(t.interpolation, "value", t.interpolation)).lower()
    except Exception:  # noqa: BLE001 - no published weights for this architecture
        return None
    if guess.channels != 3 or list(guess.size) != [crop, crop]:
        return None  # the user changed the input size: the published transforms do not apply
    pp = guess.with_overrides(
        {
            "resize": "center-crop",
            "resize_size": resize,
            "mean": list(t.mean),
            "std": list(t.std),
            "interpolation": interp if interp in ("bilinear", "nearest", "bicubic") else "bilinear",
        }
    )
    return pp, f"torchvision {arch} {weights.name} weights' transforms"


def source_defaults(source: str, init_args: dict | None = None) -> dict | None:
    """What the recipe of a ``torchvision:ARCH`` segmentation or detection model should say
    (``task``, ``output``, ``input_shape``, ``postprocess``, ``preprocess``; see
    :func:`~deploy_studio.core.models.torchvision_detection.torchvision_defaults`), else None."""
    if not source.strip().startswith("torchvision:"):
        return None
    from deploy_studio.core.models.torchvision_detection import torchvision_defaults

    return torchvision_defaults(source.strip().split(":", 1)[1], init_args)


def _trained_on(src: str) -> str | None:
    if src.startswith("builtin:"):
        from deploy_studio.core.models.builtin import builtin_trained_on

        return builtin_trained_on(src.split(":", 1)[1])
    return None


def _count_params(module) -> int:
    try:
        return int(sum(p.numel() for p in module.parameters()))
    except Exception:  # noqa: BLE001 - lite modules expose no parameters
        return 0


def _lite_params(path: Path) -> int:
    """A lite module exposes no parameters; the same archive read as TorchScript does."""
    try:
        return _count_params(torch.jit.load(str(path), map_location="cpu"))
    except Exception:  # noqa: BLE001 - bytecode-only archives
        return 0


def _is_python_class(src: str) -> bool:
    path, sep, cls = src.rpartition(":")
    return bool(sep) and path.endswith(".py") and cls.isidentifier()


def _load_state_dict(module: torch.nn.Module, weights: str) -> list[str]:
    """Load the weights file into ``module``; returns load notes (what was unwrapped or
    ignored in a training checkpoint, see :mod:`deploy_studio.core.models.checkpoints`)."""
    path = Path(weights).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"weights file {path} does not exist", "check the --weights path")
    if path.stat().st_size == 0:
        raise ModelLoadError(f"weights file {path} is empty (0 bytes)", "re-save or re-download it")
    names = _zip_names(path)  # a damaged zip is reported before torch's reader sees it
    kind = "lite" if _head(path)[4:8] == _FLATBUFFER_ID else _zip_kind(names) if names else None
    if kind in ("pt2", "lite", "torchscript"):
        what = {
            "pt2": "an ExportedProgram (.pt2)",
            "lite": "a lite-interpreter archive",
            "torchscript": "a TorchScript archive",
        }[kind]
        raise ModelLoadError(
            f"{path.name} is {what} with its own architecture and weights, not a state_dict",
            f"load it directly as the model ({path}) without --weights",
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        damage = _pickle_damage(path, names)
        if damage:
            raise _damaged(path, damage) from None
        raise UntrustedPickleError(
            f"{path} is not a plain state_dict: it holds pickled objects that could run code "
            f"({_unsafe_reason(e)}). It was not loaded.",
            "weights are always read without running code: re-save them with "
            "torch.save(model.state_dict(), path) (a training checkpoint's alone, e.g. "
            "torch.save(ckpt['state_dict'], path)); if the file is a whole pickled model you "
            "trust, load it as the MODEL (not --weights) with --trust",
            trust_helps=False,
        ) from None
    except Exception as e:  # noqa: BLE001 - torch and its unpickler raise a dozen types
        damage = _pickle_damage(path, names) if names or _head(path)[:1] == b"\x80" else None
        if damage:
            raise _damaged(path, damage) from None
        if (
            kind == "pickle"
        ):  # a torch.save archive whose zip and pickle are fine: its records are not
            raise _damaged(path, f"PyTorch cannot read it ({_reason(e)})") from None
        raise ModelLoadError(
            f"{path} could not be read as a state_dict ({_reason(e)})",
            "the file may be damaged or not a PyTorch file: re-download it, or save it with "
            "torch.save(model.state_dict(), path)",
        ) from None
    from deploy_studio.core.models.checkpoints import weights_for

    state, notes = weights_for(state, module.state_dict(), path.name)
    try:
        module.load_state_dict(state)
    except Exception as e:  # noqa: BLE001 - e.g. a value that is not a tensor, a bad dtype
        raise _damaged(
            path, f"its weights cannot be copied into the model ({_reason(e)})"
        ) from None
    return notes


def _torchvision(arch: str, spec: ModelSpec):
    import torchvision

    from deploy_studio.core.models import torchvision_detection as tvd

    names = sorted(tvd.torchvision_architectures())
    if arch not in names and tvd.torchvision_task(arch) is None:
        close = [n for n in names if arch.lower()[:4] in n][:6]
        raise ModelLoadError(
            f"torchvision has no classification architecture {arch!r} (nor a segmentation or "
            "detection one)",
            "try one of: "
            + ", ".join(close or names[:8])
            + " (deploy-studio lists them in the Built-in menu)",
        )
    tvd.refuse(arch)  # a detector whose post-processing cannot leave the graph
    torch.manual_seed(0)
    try:
        module = torchvision.models.get_model(
            arch, weights=None, **tvd.construct_args(arch, spec.init_args)
        )
    except Exception as e:  # a wrong argument: TypeError, ValueError, ...
        if not spec.init_args:
            raise
        given = ", ".join(f"{k}={v!r}" for k, v in spec.init_args.items())
        raise InitArgsError(
            f"torchvision:{arch}({given}) failed: {type(e).__name__}: {_first_line(e)}",
            "torchvision passes init_args to the architecture's class (e.g. num_classes = 5); "
            "check their names and values in [model] init_args (--init-args)",
        ) from None
    notes = ["random weights (seed 0)", *_init_args_notes(spec)]
    if spec.weights:
        notes = [f"weights from {spec.weights}", *_init_args_notes(spec)]
        notes += _load_state_dict(module, spec.weights)
    module, shape, task_notes = tvd.deployable(arch, module)  # detectors: raw boxes + scores
    size = 299 if arch.startswith("inception") else 224
    return module, shape or [1, 3, size, size], notes + task_notes


def _python_class(src: str, spec: ModelSpec) -> tuple[torch.nn.Module, list[str]]:
    path_s, _, cls_name = src.rpartition(":")
    path = Path(path_s).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"{path} does not exist", "check the path before ':ClassName'")
    # a stable name (str hashes change per process): ONNX keeps it in each node's namespace,
    # so the same model gives the same bytes in every process (a serial or a parallel build)
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    mod_name = f"_deploy_studio_user_{digest}"
    try:
        mspec = importlib.util.spec_from_file_location(mod_name, path)
        if mspec is None or mspec.loader is None:
            raise ModelLoadError(f"{path} cannot be imported as a Python module", "")
        mod = importlib.util.module_from_spec(mspec)
        sys.modules[mod_name] = mod
        sys.path.insert(0, str(path.parent))
        try:
            mspec.loader.exec_module(mod)
        finally:
            sys.path.remove(str(path.parent))
    except SyntaxError as e:
        raise ModelLoadError(
            f"{path}:{e.lineno}: syntax error: {e.msg}", "fix the Python file"
        ) from None
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(
            f"importing {path} failed: {type(e).__name__}: {_first_line(e)}",
            "the file must import cleanly on its own (its imports installed, no script code at top level)",
        ) from None
    cls = getattr(mod, cls_name, None)
    if cls is None:
        classes = [
            n
            for n, v in vars(mod).items()
            if isinstance(v, type) and issubclass(v, torch.nn.Module)
        ]
        raise ModelLoadError(
            f"{path} has no class {cls_name!r}",
            f"nn.Module classes in that file: {', '.join(classes) or 'none'}",
        )
    with torch.random.fork_rng():
        torch.manual_seed(0)  # without --weights: the same random init in every process
        try:
            module = construct(cls, spec.init_args, cls_name)
        except InitArgsError as e:
            raise _recorded_args(e, spec) from None
    if not isinstance(module, torch.nn.Module):
        raise ModelLoadError(f"{cls_name} is not a torch.nn.Module", "point at the model class")
    notes = _init_args_notes(spec)
    if spec.weights:
        notes += _load_state_dict(module, spec.weights)
    return module, notes


def _recorded_args(e: InitArgsError, spec: ModelSpec) -> InitArgsError:
    """``e``, saying the missing arguments' values where the weights' checkpoint records them
    (Lightning's ``hyper_parameters``): the user confirms them, nothing is guessed."""
    from deploy_studio.core.models.checkpoints import hyper_parameters

    if not (e.missing and spec.weights):
        return e
    try:
        ckpt = torch.load(Path(spec.weights).expanduser(), map_location="cpu", weights_only=True)
    except Exception:  # noqa: BLE001 - the weights' own errors come when they are loaded
        return e
    recorded = hyper_parameters(ckpt)
    found = {k: recorded[k] for k in e.missing if k in recorded}
    if found:
        said = ", ".join(f"{k} = {json.dumps(v)}" for k, v in found.items())
        e.hint += (
            f"; the checkpoint {Path(spec.weights).name} records {said} among its "
            "hyper-parameters: if those are the class's, init_args = { " + said + " }"
        )
    return e


def _init_args_notes(spec: ModelSpec) -> list[str]:
    if not spec.init_args:
        return []
    return ["built with " + ", ".join(f"{k}={v!r}" for k, v in spec.init_args.items())]


def _unsafe_reason(e: Exception) -> str:
    """Why torch.load(weights_only=True) refused a file, without torch's advice to load it
    unsafely (the user should not be told to do that; --trust is our explicit opt-in)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    m = re.search(r"(?:unsupported|Unsupported global:) GLOBAL ([\w.]+)", text)
    if m:
        return f"it references {m.group(1)}, which only unpickling with code can build"
    if re.search(r"Unsupported operand \d+", text):
        return "it uses pickle instructions that only code-running pickles need"
    m = re.search(r"WeightsUnpickler error: *(.+)", text)
    return (m.group(1).strip() if m else "it is not a plain weights file")[:160]


_TORCH_BOILERPLATE = re.compile(
    r"[\s.]*(This is an internal miniz error|If you are seeing this error|please report a bug"
    r"|Exception raised from ).*$",
    re.IGNORECASE,
)


def _reason(e: BaseException) -> str:
    """An exception as a short clause: its type and first line, without torch's advice."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e)).strip()
    text = _TORCH_BOILERPLATE.sub("", text.splitlines()[0] if text else "")
    text = text if len(text) <= 160 else text[:157] + "..."
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _first_line(e: Exception) -> str:
    s = str(e).strip()
    return (s.splitlines()[0] if s else type(e).__name__)[:300]


def _check_model_file(path: Path) -> None:
    """Refuse what cannot be a model file before reading it (missing, folder, suffix, empty)."""
    if not path.exists():
        raise ModelLoadError(f"{path} does not exist", f"accepted models: {ACCEPTED}")
    if path.is_dir():
        raise ModelLoadError(
            f"{path} is a folder, not a model file", f"accepted models: {ACCEPTED}"
        )
    if path.suffix.lower() not in ARCHIVE_SUFFIXES:
        raise ModelLoadError(
            f"{path.name} is not a model format Deploy Studio reads ({path.suffix or 'no suffix'})",
            f"accepted models: {ACCEPTED}",
        )
    if path.stat().st_size == 0:
        raise ModelLoadError(
            f"{path} is empty (0 bytes)", f"re-save the model; accepted: {ACCEPTED}"
        )


def _archive(path: Path, spec: ModelSpec):
    """Load a file: returns (module, kind, default_shape, exported_program, notes)."""
    _check_model_file(path)
    head = _head(path)
    if head[4:8] == _FLATBUFFER_ID:  # lite-interpreter archive saved as a flatbuffer
        return _lite(path, spec)
    names = _zip_names(path)
    if names is None:
        if head[:1] == b"\x80":  # legacy (non-zip) pickle: magic, protocol, info, object, keys
            with path.open("rb") as f:
                problem = _pickle_problem(f, count=5)
            if problem:
                raise _damaged(path, problem)
            return _pickled_module(path, spec)
        if head[:4] == b"PK\x03\x04":
            raise ModelLoadError(
                f"{path.name} is damaged: it starts as a zip archive but its directory at the end "
                "is missing (the file is truncated)",
                f"re-save or re-download it; accepted: {ACCEPTED}",
            )
        raise ModelLoadError(
            f"{path.name} is not a PyTorch archive (no zip structure): truncated or not a model file",
            f"re-save or re-download it; accepted: {ACCEPTED}",
        )
    kind = _zip_kind(names)
    if kind in ("lite", "torchscript") and path.suffix.lower() != ".pt2":
        problem = _storage_problem(path)  # torch's TorchScript reader does not check this
        if problem:
            raise _damaged(path, problem)
    if path.suffix.lower() == ".pt2" or kind == "pt2":
        return _pt2(path, spec)
    if kind == "lite":
        return _lite(path, spec)
    if kind == "torchscript":
        return _torchscript(path)
    if kind is None:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise ModelLoadError(
            f"{path.name} is a zip archive but not a PyTorch file (it holds {shown or 'nothing'})",
            f"unpack it if the model is inside; accepted: {ACCEPTED}",
        )
    return _pickled_module(path, spec)


_FLATBUFFER_ID = b"PTMF"  # file identifier of a flatbuffer lite module (bytes 4..8)


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(n)
    except OSError as e:
        raise ModelLoadError(
            f"{path} cannot be read ({e.strerror or e})", "check the file's permissions"
        ) from None


def _damaged(path: Path, what: str) -> ModelLoadError:
    return ModelLoadError(f"{path.name} is damaged: {what}", "re-save or re-download it")


def _pickle_damage(path: Path, names: list[str] | None) -> str | None:
    """What is wrong with the pickle stream of a torch.save file, or None when it parses.

    pickletools reads opcodes without running any, so this is safe on untrusted files; it
    tells a damaged file from one that pickles objects weights-only loading refuses."""
    import io
    import pickletools

    try:
        if names is None:  # legacy format: magic, protocol, sys info, object, storage keys
            with path.open("rb") as f:
                data, count = f.read(_MAX_PICKLE), 5  # raw tensor data follows the pickles
        else:
            member = next((n for n in names if n.split("/", 1)[-1] == "data.pkl"), None)
            if member is None:
                return "it has no data.pkl record"
            with zipfile.ZipFile(path) as z:
                if z.getinfo(member).file_size > _MAX_PICKLE:
                    return "its data.pkl record is implausibly large"
                data, count = z.read(member), 1
        stream = io.BytesIO(data)
        for i in range(count):
            if i and stream.tell() >= len(data):  # a plain pickle: one object, then the end
                break
            pickletools.dis(stream, out=io.StringIO())
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            if op.name == "GLOBAL" and not all(
                p.isidentifier() for p in re.split(r"[. ]", str(arg))
            ):
                return f"its pickled data names a class that cannot exist ({str(arg)[:60]!r})"
    except Exception as e:  # noqa: BLE001 - any parse failure is the answer
        return f"its pickled data is corrupt ({_reason(e)})"
    return None


_MEMO_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"})
_MAX_PICKLE = 256 << 20  # no pickle record PyTorch writes comes near this (tensors are apart)


def _pickle_problem(data, count: int = 1) -> str | None:
    """Why a pickle stream (bytes or a binary file; ``count`` pickles back to back) must not
    reach an unpickler, or None. Reads opcodes without running any: every length must fit in
    the stream, and memo slots must be plausible (picklers number them 0, 1, 2...; a damaged
    LONG_BINPUT index makes torch's C++ unpickler and Python's C one allocate gigabytes)."""
    import io
    import os
    import pickletools

    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    end = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    try:
        for i in range(count):
            if i and stream.tell() >= end:
                break
            for ops, (op, arg, _pos) in enumerate(pickletools.genops(stream)):
                if op.name in _MEMO_OPS and isinstance(arg, int) and not 0 <= arg <= ops:
                    return f"its pickled data is corrupt (memo slot {arg} after {ops} instructions)"
    except Exception as e:  # noqa: BLE001 - any parse failure is the answer
        return f"its pickled data is corrupt ({_reason(e)})"
    return None


def _zip_pickle_problem(z: zipfile.ZipFile, nested: bool = True) -> str | None:
    """The first pickle record (data.pkl, constants.pkl, bytecode.pkl, *.debug_pkl; also in a
    .pt nested in a .pt2) that must not reach an unpickler, as "record: problem"."""
    for info in z.infolist():
        name = info.filename
        if name.endswith((".pkl", "_pkl")):
            if info.file_size > _MAX_PICKLE:
                return f"{name.split('/', 1)[-1]}: it is implausibly large ({info.file_size} bytes)"
            problem = _pickle_problem(z.read(info))
            if problem:
                return f"{name.split('/', 1)[-1]}: {problem}"
        elif nested and name.endswith(".pt"):
            with z.open(info) as f:
                if f.read(4) != b"PK\x03\x04":
                    continue
                try:
                    f.seek(0)
                    with zipfile.ZipFile(f) as inner:
                        bad = inner.testzip()
                        problem = (
                            f"member {bad} fails its checksum"
                            if bad is not None
                            else _zip_pickle_problem(inner, nested=False)
                        )
                except Exception as e:  # noqa: BLE001 - zipfile raises a dozen types on damage
                    problem = f"its zip structure is broken ({_reason(e)})"
            if problem:
                return f"{name.split('/', 1)[-1]} (an archive inside the archive): {problem}"
    return None


class _Stand:
    """Stands for every class a pickle names while :func:`_storage_problem` reads it: nothing
    is imported or called, whatever the file says."""

    name = ""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        pass

    def __setitem__(self, key, value) -> None:
        pass

    def append(self, value) -> None:
        pass

    def extend(self, values) -> None:
        pass


class _StorageRefs(pickle.Unpickler):
    """Lists a pickle's storage references ('storage', type, key, location, numel)."""

    def __init__(self, data: bytes) -> None:
        import io

        super().__init__(io.BytesIO(data))
        self.refs: list[tuple | None] = []

    def find_class(self, module: str, name: str):
        return type("Stand", (_Stand,), {"name": f"{module}.{name}"})

    def persistent_load(self, pid):
        self.refs.append(pid)
        return _Stand()


def _storage_problem(path: Path) -> str | None:
    """A tensor record of a TorchScript or lite archive smaller than its tensor (torch's
    reader then reads past it and crashes), or None. The pickles have passed
    :func:`_pickle_problem`; one our harmless reader cannot follow is left to torch, which
    reports it."""
    with zipfile.ZipFile(path) as z:
        sizes = {i.filename: i.file_size for i in z.infolist()}
        for name in sizes:
            prefix, _, base = name.rpartition("/")
            if base not in ("data.pkl", "constants.pkl", "bytecode.pkl"):
                continue
            reader = _StorageRefs(z.read(name))
            try:
                reader.load()
            except Exception:  # noqa: BLE001 - only the references read so far are checked
                reader.refs.append(None)
            for ref in reader.refs:
                if not (isinstance(ref, tuple) and len(ref) >= 5 and ref[0] == "storage"):
                    continue
                key, numel = str(ref[2]), ref[4]
                record = next(
                    (
                        f"{prefix}/{d}/{key}"
                        for d in (base[:-4], "data", "constants", ".data")
                        if f"{prefix}/{d}/{key}" in sizes
                    ),
                    None,
                )
                if record is None or not isinstance(numel, int):
                    continue
                need = numel * _element_size(getattr(ref[1], "name", ""))
                if sizes[record] < need:
                    return (
                        f"record {record.split('/', 1)[-1]} holds {sizes[record]} bytes but its "
                        f"tensor needs {need}"
                    )
    return None


def _element_size(storage_class: str) -> int:
    """Bytes per element of ``torch.FloatStorage`` and the like (1 when unknown)."""
    module, _, name = storage_class.rpartition(".")
    cls = getattr(torch, name, None) if module == "torch" and name.endswith("Storage") else None
    dtype = getattr(cls, "dtype", None)
    return int(dtype.itemsize) if isinstance(dtype, torch.dtype) else 1


def _zip_names(path: Path) -> list[str] | None:
    """The member names of the zip archive at ``path`` after checking its structure and every
    member's checksum in Python (torch's C++ readers trust both); None if it is not a zip."""
    try:
        if not zipfile.is_zipfile(path):
            return None
    except Exception as e:  # noqa: BLE001 - e.g. BadZipFile for a mangled end record
        raise _damaged(path, f"its zip directory is unreadable ({_reason(e)})") from None
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            bad = z.testzip()
            problem = _zip_pickle_problem(z) if bad is None else None
    except Exception as e:  # noqa: BLE001 - zipfile raises a dozen types on damage
        raise _damaged(path, f"its zip structure is broken ({_reason(e)})") from None
    if bad is not None:
        raise _damaged(path, f"member {bad} fails its checksum (truncated or corrupted)")
    if problem:
        raise _damaged(path, f"record {problem}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _damaged(path, "its zip directory lists the same member twice")
    size = path.stat().st_size
    for i in infos:
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or i.flag_bits & 0x1:
            raise _damaged(
                path, f"member {i.filename} uses a compression or encryption PyTorch never writes"
            )
        if i.header_offset + i.compress_size > size:
            raise _damaged(path, f"member {i.filename} runs past the end of the file")
    return names


def _zip_kind(names: list[str]) -> str | None:
    """What a zip holds: "pt2", "lite", "torchscript", "pickle" (torch.save) or None."""
    base = {n.split("/", 1)[1] if "/" in n else n for n in names}
    if any(n.endswith("archive_format") for n in names):
        return "pt2"
    if "bytecode.pkl" in base:
        return "lite"
    if "constants.pkl" in base or any(n.split("/", 1)[-1].startswith("code/") for n in names):
        return "torchscript"
    if "data.pkl" in base:
        return "pickle"
    return None


def _torchscript(path: Path):
    try:
        module = torch.jit.load(str(path), map_location="cpu")
        check_saved_mode(str(path), "torchscript", module)  # before .eval() hides it
        module.eval()
    except ModelLoadError:
        raise
    except Exception as e:  # noqa: BLE001 - torch's C++ reader raises RuntimeError and more
        raise ModelLoadError(
            f"{path.name} is a TorchScript archive that could not be loaded: damaged, or saved "
            f"by an incompatible torch ({_reason(e)})",
            "re-save it with torch.jit.save on this torch version, or re-download it",
        ) from None
    return module, "torchscript", None, None, ["TorchScript archive"]


def _lite(path: Path, spec: ModelSpec):
    from torch.jit.mobile import _load_for_lite_interpreter

    if not _PROBING:
        _lite_probe(path, spec)
    try:
        module = _load_for_lite_interpreter(str(path))
    except Exception as e:  # noqa: BLE001 - torch's C++ reader raises RuntimeError and more
        raise ModelLoadError(
            f"{path.name} is a lite-interpreter archive that could not be loaded: damaged, or "
            f"saved by an incompatible torch ({_reason(e)})",
            "re-save it with _save_for_lite_interpreter on this torch version, or re-download it",
        ) from None
    return (
        module,
        "lite",
        None,
        None,
        ["lite-interpreter archive: it can be run and measured, not converted"],
    )


# Seconds the probe may take to load a lite archive and validate it before it counts as hung.
LITE_PROBE_TIMEOUT = 120.0
# Memory the probe may add on Linux (more for a big file or input): a damaged count in a
# flatbuffer (storages, registers) makes torch allocate, and fill, many gigabytes.
LITE_PROBE_MEMORY = 4 << 30
_PROBING = False  # True in the probe's child process


def _lite_probe(path: Path, spec: ModelSpec) -> None:
    """Run ``load_model(spec)`` for a lite archive in a throwaway child process first.

    torch's lite loader and interpreter trust the file: a damaged flatbuffer offset, count or
    instruction operand (a flatbuffer .ptl has no checksum) crashes the process, hangs it, or
    makes it allocate gigabytes, and no Python check can rule that out. The child runs all of
    ``load_model(spec)`` (load, forward passes, parameter count) under a memory cap, with
    fresh and freed heap memory filled with a pattern so that reading garbage fails there
    rather than by luck. Returns when the child loaded the file cleanly; otherwise raises the
    child's error, or reports the file as damaged when the child died, hung or ran out of
    memory: this process never touches such a file. On Linux the child is a fork (tens of
    milliseconds, the same memory layout), elsewhere a fresh interpreter (seconds).
    """
    import json
    import math
    import os
    import select
    import signal
    import subprocess
    import time

    shape = spec.input_shape or []
    budget = LITE_PROBE_MEMORY + 4 * path.stat().st_size + 256 * math.prod(int(v) for v in shape)
    said, sig, hung = b"", None, False
    if sys.platform.startswith("linux"):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the caller's code
            try:
                os.close(r)
                import faulthandler

                faulthandler.disable()  # a crash here is expected and reported by the parent
                _limit_memory(budget)
                _perturb_malloc()
                os.write(w, json.dumps(_lite_probe_run(spec)).encode())
            finally:
                os._exit(0)
        os.close(w)
        deadline = time.monotonic() + LITE_PROBE_TIMEOUT
        try:
            while True:
                ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    hung = True
                    os.kill(pid, signal.SIGKILL)
                    break
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                said += chunk
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(r)
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    else:
        code = (
            "import json, sys; from deploy_studio.core.models.loaded import ModelSpec; "
            "from deploy_studio.core.models.sources import _lite_probe_run; "
            "print(json.dumps(_lite_probe_run(ModelSpec.from_dict(json.loads(sys.argv[1])))))"
        )
        root = str(Path(__file__).resolve().parents[2])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]),
            "MALLOC_PERTURB_": "165",
            "MallocScribble": "1",
            "MallocPreScribble": "1",
        }
        try:
            res = subprocess.run(
                [sys.executable, "-c", code, json.dumps(spec.to_dict())],
                capture_output=True,
                timeout=LITE_PROBE_TIMEOUT,
                env=env,
            )
        except subprocess.TimeoutExpired:
            hung = True
        else:
            said = (res.stdout.strip().splitlines() or [b""])[-1]
            sig = -res.returncode if res.returncode < 0 else None
    try:
        result = json.loads(said) if sig is None and not hung else {}
    except ValueError:
        result = {}
    if result.get("result") == "done":
        return
    if result.get("result") == "error":
        raise _probe_error(path, result)
    if result.get("result") == "memory":
        raise _damaged(
            path,
            f"loading it asks for more than {budget / 2**30:.0f} GB of memory (a "
            "damaged size or count; nothing was loaded here)",
        )
    if hung:
        raise _damaged(
            path,
            f"loading and running it did not finish in {LITE_PROBE_TIMEOUT:.0f} s "
            "(damaged bytecode can loop forever)",
        )
    how = signal.Signals(sig).name if sig else "an abort"
    raise _damaged(
        path,
        f"PyTorch's lite interpreter crashes on it ({how} in a test process; "
        "nothing was loaded here)",
    )


def _probe_error(path: Path, result: dict) -> Exception:
    """The probe child's error, rebuilt here: its StudioError type, or a ModelLoadError."""
    import deploy_studio.core.errors as errors

    cls = getattr(errors, str(result.get("type")), None)
    if isinstance(cls, type) and issubclass(cls, errors.StudioError):
        err = cls.__new__(cls)
        errors.StudioError.__init__(err, str(result.get("message")), str(result.get("hint") or ""))
        for k in ("layer", "op"):
            if k in result:
                setattr(err, k, result[k])
        return err
    return ModelLoadError(
        f"{path.name} is a lite-interpreter archive that could not be loaded: damaged, or saved "
        f"by an incompatible torch ({result.get('type')}: {result.get('message')})",
        "re-save it with _save_for_lite_interpreter on this torch version, or re-download it",
    )


def _lite_probe_run(spec: ModelSpec) -> dict:
    """The probe's work, in the child: ``load_model(spec)``, as {"result": "done"}, "memory"
    (an allocation failed under the cap), or "error" with the error's type, message, hint."""
    import warnings

    from deploy_studio.core.errors import StudioError

    global _PROBING
    _PROBING = True
    torch.set_num_threads(1)  # a forked child must not use the parent's thread pool
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            load_model(spec)
        except MemoryError:
            return {"result": "memory"}
        except Exception as e:  # noqa: BLE001 - sent to the parent, which raises it
            text = str(e.message if isinstance(e, StudioError) else _reason(e))
            if re.search(r"can't allocate memory|bad_alloc|out of memory|MemoryError", text):
                return {"result": "memory"}
            out = {"result": "error", "type": type(e).__name__, "message": text[:2000]}
            if isinstance(e, StudioError):
                out["hint"] = e.hint
                out.update(
                    {k: getattr(e, k) for k in ("layer", "op") if getattr(e, k, None) is not None}
                )
            return out
    return {"result": "done"}


def _perturb_malloc() -> None:
    """Fill fresh and freed heap memory with a pattern (glibc's M_PERTURB) in the probe: a
    damaged file that reads garbage then fails in the probe instead of passing by luck."""
    import ctypes

    try:
        ctypes.CDLL(None).mallopt(-6, 0xA5)  # M_PERTURB
    except (OSError, AttributeError):  # not glibc
        return


def _limit_memory(budget: int) -> None:
    """Cap this (probe) process's address space at what it maps now plus ``budget`` bytes."""
    import resource

    try:
        with open("/proc/self/status") as f:
            vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = vm + budget if hard == resource.RLIM_INFINITY else min(vm + budget, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (OSError, ValueError, StopIteration):  # no /proc or no limit: the timeout still holds
        return


class _HeldLogErrors:
    """Keep a logger's records (torch.export.load logs a traceback, then retries and raises a
    vague error) off the console; remember the exceptions they carried for our message."""

    def __init__(self, name: str) -> None:
        import logging

        self.logger = logging.getLogger(name)
        self.errors: list[BaseException] = []

    def filter(self, record) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])
        return False

    def __enter__(self):
        self.logger.addFilter(self)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeFilter(self)


def _pickle_globals(data: bytes) -> list[str]:
    """The globals a pickle would import (read with pickletools: nothing is imported or run)."""
    import io
    import pickletools

    names: list[str] = []
    strings: list[str] = []
    try:
        for op, arg, _pos in pickletools.genops(io.BytesIO(data)):
            if isinstance(arg, str) and "UNICODE" in op.name:
                strings.append(arg)
            if op.name == "GLOBAL":
                names.append(".".join(str(arg).split(" ", 1)))
            elif op.name == "STACK_GLOBAL":
                names.append(".".join(strings[-2:]) if len(strings) >= 2 else "<unknown>")
            elif op.name in ("INST", "OBJ"):
                names.append("<object construction>")
    except Exception:  # noqa: BLE001 - damage is reported by the loaders that follow
        pass
    return names


def _pt2_code_globals(path: Path) -> list[str]:
    """Globals that pickles inside a .pt2 would import and call, beyond what weights-only
    loading allows. ``torch.export.load`` unpickles some records (weights and constants saved
    with ``use_pickle``, sample inputs) without the weights-only restriction, so these records
    are read with pickletools first: nothing is imported or run."""
    import io

    import torch._weights_only_unpickler as wo

    allowed = set(wo._get_allowed_globals())
    allowed |= {
        f"{getattr(g, '__module__', '')}.{getattr(g, '__qualname__', g)}"
        for g in torch.serialization.get_safe_globals()
        if not isinstance(g, tuple)
    }
    found: list[str] = []

    def scan(data: bytes) -> None:
        found.extend(n for n in _pickle_globals(data) if n not in allowed)

    def walk(z: zipfile.ZipFile, depth: int) -> None:
        for info in z.infolist():
            if info.is_dir() or info.file_size > _MAX_PICKLE:
                continue
            with z.open(info) as f:
                head = f.read(4)
            if head[:1] == b"\x80":
                scan(z.read(info))
            elif head == b"PK\x03\x04" and depth < 2:
                try:
                    with zipfile.ZipFile(io.BytesIO(z.read(info))) as inner:
                        walk(inner, depth + 1)
                except zipfile.BadZipFile:
                    continue

    try:
        with zipfile.ZipFile(path) as z:
            walk(z, 0)
    except (zipfile.BadZipFile, OSError):
        return []
    return sorted(set(found))


def _pt2(path: Path, spec: ModelSpec | None = None):
    code = _pt2_code_globals(path)
    if code and not (spec is not None and spec.trust):
        raise UntrustedPickleError(
            f"{path.name} is an ExportedProgram whose pickled records would import and run "
            f"{', '.join(code[:3])}{' ...' if len(code) > 3 else ''}. It was not loaded.",
            "if you trust its author, load it with --trust (GUI: confirm the warning); otherwise ask "
            "for an export without custom objects (plain tensors as weights and example inputs)",
        )
    try:
        with _HeldLogErrors("torch.export") as held:
            ep = torch.export.load(str(path))
    except Exception as e:  # noqa: BLE001 - json, schema, zip and tensor errors of every type
        cause = held.errors[0] if held.errors else e  # the first error, not torch's retry's
        raise ModelLoadError(
            f"{path.name} could not be loaded as an ExportedProgram: damaged, or saved by an "
            f"incompatible torch ({_reason(cause)})",
            "re-save it with torch.export.save on this torch version, or re-download it",
        ) from None
    try:
        return _pt2_module(ep)
    except Exception as e:  # noqa: BLE001 - a program that loads but whose graph is inconsistent
        raise _damaged(path, f"its saved program is inconsistent ({_reason(e)})") from None


def _pt2_module(ep):
    shape = None
    try:
        args = ep.example_inputs[0] if ep.example_inputs else ()
        if args and isinstance(args[0], torch.Tensor):
            shape = list(args[0].shape)
    except Exception:  # noqa: BLE001
        shape = None
    notes = ["ExportedProgram (.pt2)"]
    for node in ep.graph.nodes:
        if node.op == "placeholder" and node.name in ep.graph_signature.user_inputs:
            val = node.meta.get("val")
            if val is not None and len(val.shape):
                # A dynamic dimension is a SymInt: measure at batch 1 / the example's other sizes.
                dynamic = [i for i, d in enumerate(val.shape) if not isinstance(d, int)]
                if shape is None or len(shape) != len(val.shape):
                    shape = [d if isinstance(d, int) else 1 for d in val.shape]
                if 0 in dynamic:
                    shape[0] = 1
                if dynamic:
                    notes.append(
                        f"dynamic dimension(s) {dynamic} in the saved program; measured at {shape}"
                    )
            break
    return ep.module(), "exported", shape, ep, notes


def _pickled_module(path: Path, spec: ModelSpec):
    if not spec.trust:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            damage = _pickle_damage(path, _zip_names(path))
            if damage:
                raise _damaged(path, damage) from None
            raise UntrustedPickleError(
                f"{path.name} is a pickled whole module; loading it would run code from the file "
                f"({_unsafe_reason(e)}). It was not loaded.",
                "if you trust its author, load it with --trust (GUI: confirm the warning); "
                "otherwise ask for a state_dict and the model class, or a TorchScript/.pt2 export",
            ) from None
        except Exception as e:  # noqa: BLE001 - torch and its unpickler raise a dozen types
            damage = _pickle_damage(path, _zip_names(path))
            raise _damaged(path, damage or f"it cannot be read ({_reason(e)})") from None
        if isinstance(obj, dict):
            raise ModelLoadError(
                f"{path.name} holds a state_dict (weights only), not a model",
                f"load it with the model class: path/to/model.py:ClassName --weights {path}",
            )
        raise ModelLoadError(
            f"{path.name} holds a {type(obj).__name__}, not a model", f"accepted: {ACCEPTED}"
        )
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)  # the model's class usually lives in a .py beside the file
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001
        damage = _pickle_damage(path, _zip_names(path))
        if damage:
            raise _damaged(path, damage) from None
        raise ModelLoadError(
            f"{path.name} could not be unpickled even when trusted ({_reason(e)})",
            "the module's class must be importable here (same package names as when saved; "
            "its .py beside the file or on PYTHONPATH)",
        ) from None
    finally:
        sys.path.remove(folder)
    if isinstance(obj, dict):
        raise ModelLoadError(
            f"{path.name} holds a state_dict, not a model",
            f"load it with the model class: path/to/model.py:ClassName --weights {path}",
        )
    if not isinstance(obj, torch.nn.Module):
        raise ModelLoadError(f"{path.name} holds a {type(obj).__name__}, not an nn.Module")
    try:  # what validation does next (eval, hooks on every layer) must work on this object
        obj.eval()
        for _name, layer in obj.named_modules():
            layer.register_forward_pre_hook(_no_hook).remove()
            layer.register_forward_hook(_no_hook).remove()
        sum(p.numel() for p in obj.parameters())
    except Exception as e:  # noqa: BLE001 - an unpickled module with attributes missing
        raise _damaged(path, f"the unpickled module is incomplete ({_reason(e)})") from None
    return obj, "module", None, None, ["pickled whole module, loaded because you trusted it"]


def _no_hook(*_args):
    return None
