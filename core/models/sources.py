"""Every way a user holds a model, turned into a validated :class:`LoadedModel`.

Sources: ``builtin:NAME``, ``torchvision:ARCH`` (+ ``weights``), ``path/file.py:Class``
(+ ``weights``), TorchScript ``.pt``/``.pth`` archives, ``.ptl`` lite archives, ``.pt2``
ExportedPrograms, and pickled whole modules (only with ``trust``). Every ``torch.load`` uses
``weights_only=True`` unless the user trusts the file, so untrusted pickles never run code.
"""

from __future__ import annotations

import contextlib
import importlib.util
import pickle
import re
import sys
import zipfile
from pathlib import Path

import torch

from core.data.preprocess import Preprocess
from core.errors import ModelLoadError, UntrustedPickleError
from core.models.loaded import LoadedModel, ModelSpec
from core.models.validate import SelectOutput, forward_checked, select_output
from core.progress import NULL_REPORTER, Reporter

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
    labels: list[str] | None = None
    notes: list[str] = []
    default_shape: list[int] | None = None
    exported = None
    if src.startswith("builtin:"):
        from core.models.builtin import load_builtin

        module, default_shape, labels, notes = load_builtin(src.split(":", 1)[1], reporter)
        kind = "module"
    elif src.startswith("torchvision:"):
        module, default_shape, notes = _torchvision(src.split(":", 1)[1], spec)
        kind = "module"
    elif _is_python_class(src):
        module = _python_class(src, spec)
        kind = "module"
    else:
        module, kind, default_shape, exported, notes = _archive(Path(src).expanduser(), spec)
    if spec.weights and kind != "module":
        raise ModelLoadError(
            f"--weights applies to module sources, but {src} is a {kind} archive with its own weights",
            "drop --weights, or load the architecture as file.py:Class with --weights",
        )
    shape = list(spec.input_shape or default_shape or [])
    if not shape:
        raise ModelLoadError(
            f"the input shape of {src} cannot be known from the file",
            "pass --input-shape, e.g. --input-shape 1,3,224,224",
        )
    if any(int(v) <= 0 for v in shape):
        raise ModelLoadError(f"input shape {shape} has a non-positive size", "e.g. 1,3,224,224")
    if isinstance(module, torch.nn.Module) and kind != "exported":  # exported graphs refuse .eval()
        module.eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    reporter.progress("load model", 0.6, "forward pass")
    out = forward_checked(module, x, raw=True)
    out, key = select_output(out)
    if key is not None and isinstance(module, torch.nn.Module):
        what = f"a dict; its {key!r} entry" if isinstance(key, str) else f"a tuple; its element {key}"
        notes.append(f"forward() returns {what} is used as the logits (the only output of every artifact)")
        module = SelectOutput(module, key).eval()
    params = _count_params(module) if kind != "lite" else _lite_params(Path(src).expanduser())
    try:
        preprocess = Preprocess.for_input_shape(shape)
    except Exception:  # noqa: BLE001 - non-image models get a spec they can't use
        preprocess = Preprocess()
        notes.append("not an image input shape: image datasets cannot feed this model")
    if labels is None and out.ndim == 2:
        labels = [str(i) for i in range(out.shape[1])]
    reporter.progress("load model", 1.0)
    return LoadedModel(
        spec=ModelSpec(src, spec.weights, shape, spec.trust), module=module, kind=kind,
        input_shape=shape, output_shape=list(out.shape), params=params, preprocess=preprocess,
        labels=labels, notes=notes, exported_program=exported,
    )


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


def _load_state_dict(module: torch.nn.Module, weights: str) -> None:
    path = Path(weights).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"weights file {path} does not exist", "check the --weights path")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise UntrustedPickleError(
            f"{path} is not a plain state_dict: it holds pickled objects that could run code "
            f"({_unsafe_reason(e)}). It was not loaded.",
            "weights are always read without running code: re-save them with "
            "torch.save(model.state_dict(), path); if the file is a whole pickled model you "
            "trust, load it as the MODEL (not --weights) with --trust",
        ) from None
    except Exception as e:  # noqa: BLE001
        kind = None
        if zipfile.is_zipfile(path):
            with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as z:
                kind = _zip_kind(z.namelist())
        if kind in ("pt2", "lite", "torchscript"):
            what = {"pt2": "an ExportedProgram (.pt2)", "lite": "a lite-interpreter archive",
                    "torchscript": "a TorchScript archive"}[kind]
            raise ModelLoadError(
                f"{path.name} is {what} with its own architecture and weights, not a state_dict",
                f"load it directly as the model ({path}) without --weights",
            ) from None
        raise ModelLoadError(
            f"{path} could not be read as a state_dict ({_first_line(e)})",
            "the file may be truncated or not a PyTorch file; save it with torch.save(model.state_dict(), path)",
        ) from None
    state = _unwrap_checkpoint(state)
    if not isinstance(state, dict):
        raise ModelLoadError(
            f"{path} holds a {type(state).__name__}, not a state_dict",
            "save it with torch.save(model.state_dict(), path)",
        )
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    wrong = [
        f"{k}: file {list(state[k].shape)} vs model {list(own[k].shape)}"
        for k in own
        if k in state and hasattr(state[k], "shape") and state[k].shape != own[k].shape
    ]
    if missing or unexpected or wrong:
        parts = []
        if wrong:
            parts.append("shape mismatch " + "; ".join(wrong[:3]))
        if missing:
            parts.append(f"missing {len(missing)} key(s), e.g. {missing[:3]}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} key(s), e.g. {unexpected[:3]}")
        raise ModelLoadError(
            f"the weights in {path.name} do not fit the model: " + "; ".join(parts),
            "use the weights saved from this exact architecture (same class and constructor arguments)",
        )
    module.load_state_dict(state)


def _unwrap_checkpoint(state):
    """Accept training checkpoints too: {"state_dict"|"model_state_dict"|"model": ...}, and
    strip the "module." prefix DataParallel adds to every key."""
    if isinstance(state, dict) and not any(isinstance(v, torch.Tensor) for v in state.values()):
        for key in ("state_dict", "model_state_dict", "model", "net", "weights"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    if isinstance(state, dict) and state and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def _torchvision(arch: str, spec: ModelSpec):
    import torchvision

    names = torchvision.models.list_models(module=torchvision.models)
    if arch not in names:
        close = [n for n in names if arch.lower()[:4] in n][:6]
        raise ModelLoadError(
            f"torchvision has no classification architecture {arch!r}",
            "try one of: " + ", ".join(close or names[:8]) + " (deploy-studio lists them in the Built-in menu)",
        )
    torch.manual_seed(0)
    module = torchvision.models.get_model(arch, weights=None)
    notes = ["random weights (seed 0)"]
    if spec.weights:
        _load_state_dict(module, spec.weights)
        notes = [f"weights from {spec.weights}"]
    size = 299 if arch.startswith("inception") else 224
    return module, [1, 3, size, size], notes


def _python_class(src: str, spec: ModelSpec) -> torch.nn.Module:
    path_s, _, cls_name = src.rpartition(":")
    path = Path(path_s).expanduser()
    if not path.is_file():
        raise ModelLoadError(f"{path} does not exist", "check the path before ':ClassName'")
    mod_name = f"_deploy_studio_user_{abs(hash(str(path.resolve())))}"
    try:
        mspec = importlib.util.spec_from_file_location(mod_name, path)
        mod = importlib.util.module_from_spec(mspec)
        sys.modules[mod_name] = mod
        sys.path.insert(0, str(path.parent))
        try:
            mspec.loader.exec_module(mod)
        finally:
            sys.path.remove(str(path.parent))
    except SyntaxError as e:
        raise ModelLoadError(f"{path}:{e.lineno}: syntax error: {e.msg}", "fix the Python file") from None
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(
            f"importing {path} failed: {type(e).__name__}: {_first_line(e)}",
            "the file must import cleanly on its own (its imports installed, no script code at top level)",
        ) from None
    cls = getattr(mod, cls_name, None)
    if cls is None:
        classes = [n for n, v in vars(mod).items() if isinstance(v, type) and issubclass(v, torch.nn.Module)]
        raise ModelLoadError(
            f"{path} has no class {cls_name!r}",
            f"nn.Module classes in that file: {', '.join(classes) or 'none'}",
        )
    try:
        with torch.random.fork_rng():
            torch.manual_seed(0)  # without --weights: the same random init in every process
            module = cls()
    except TypeError as e:
        raise ModelLoadError(
            f"{cls_name}() could not be built without arguments: {_first_line(e)}",
            "give the constructor's arguments defaults, or add a subclass with them fixed",
        ) from None
    if not isinstance(module, torch.nn.Module):
        raise ModelLoadError(f"{cls_name} is not a torch.nn.Module", "point at the model class")
    if spec.weights:
        _load_state_dict(module, spec.weights)
    return module


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


def _first_line(e: Exception) -> str:
    s = str(e).strip()
    return (s.splitlines()[0] if s else type(e).__name__)[:300]


def _archive(path: Path, spec: ModelSpec):
    """Load a file: returns (module, kind, default_shape, exported_program, notes)."""
    if not path.exists():
        raise ModelLoadError(f"{path} does not exist", f"accepted models: {ACCEPTED}")
    if path.is_dir():
        raise ModelLoadError(f"{path} is a folder, not a model file", f"accepted models: {ACCEPTED}")
    if path.suffix.lower() not in ARCHIVE_SUFFIXES:
        raise ModelLoadError(
            f"{path.name} is not a model format Deploy Studio reads ({path.suffix or 'no suffix'})",
            f"accepted models: {ACCEPTED}",
        )
    if path.stat().st_size == 0:
        raise ModelLoadError(f"{path} is empty (0 bytes)", f"re-save the model; accepted: {ACCEPTED}")
    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:2]
        if head[:1] == b"\x80":  # legacy (non-zip) pickle
            return _pickled_module(path, spec)
        raise ModelLoadError(
            f"{path.name} is not a PyTorch archive (no zip structure): truncated or not a model file",
            f"re-save or re-download it; accepted: {ACCEPTED}",
        )
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            bad = z.testzip()
    except (zipfile.BadZipFile, OSError) as e:
        raise ModelLoadError(
            f"{path.name} is a damaged archive ({e}): the file is probably truncated",
            f"re-save or re-download it; accepted: {ACCEPTED}",
        ) from None
    if bad is not None:
        raise ModelLoadError(
            f"{path.name} is damaged: member {bad} fails its checksum (truncated or corrupted)",
            "re-save or re-download the file",
        )
    kind = _zip_kind(names)
    if path.suffix.lower() == ".pt2" or kind == "pt2":
        return _pt2(path)
    if kind == "lite":
        return _lite(path)
    if kind == "torchscript":
        return _torchscript(path)
    if kind is None:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise ModelLoadError(
            f"{path.name} is a zip archive but not a PyTorch file (it holds {shown or 'nothing'})",
            f"unpack it if the model is inside; accepted: {ACCEPTED}",
        )
    return _pickled_module(path, spec)


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
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(
            f"{path.name} looks like a TorchScript archive but could not be loaded ({_first_line(e)})",
            "re-save it with torch.jit.save on this torch version",
        ) from None
    return module, "torchscript", None, None, ["TorchScript archive"]


def _lite(path: Path):
    from torch.jit.mobile import _load_for_lite_interpreter

    try:
        module = _load_for_lite_interpreter(str(path))
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(
            f"{path.name} is a lite-interpreter archive that could not be loaded ({_first_line(e)})",
            "re-save it with _save_for_lite_interpreter on this torch version",
        ) from None
    return module, "lite", None, None, ["lite-interpreter archive: it can be run and measured, not converted"]


def _pt2(path: Path):
    try:
        ep = torch.export.load(str(path))
    except Exception as e:  # noqa: BLE001
        raise ModelLoadError(
            f"{path.name} could not be loaded as an ExportedProgram ({_first_line(e)})",
            "re-save it with torch.export.save on this torch version",
        ) from None
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
                    notes.append(f"dynamic dimension(s) {dynamic} in the saved program; measured at {shape}")
            break
    return ep.module(), "exported", shape, ep, notes


def _pickled_module(path: Path, spec: ModelSpec):
    if not spec.trust:
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as e:
            raise UntrustedPickleError(
                f"{path.name} is a pickled whole module; loading it would run code from the file "
                f"({_unsafe_reason(e)}). It was not loaded.",
                "if you trust its author, load it with --trust (GUI: confirm the warning); "
                "otherwise ask for a state_dict and the model class, or a TorchScript/.pt2 export",
            ) from None
        except Exception as e:  # noqa: BLE001
            raise ModelLoadError(
                f"{path.name} could not be read ({_first_line(e)})",
                f"the file may be truncated; accepted: {ACCEPTED}",
            ) from None
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
        raise ModelLoadError(
            f"{path.name} could not be unpickled even when trusted ({type(e).__name__}: {_first_line(e)})",
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
    return obj, "module", None, None, ["pickled whole module, loaded because you trusted it"]
