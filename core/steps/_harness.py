"""Run optimization steps without the engine: for tests, benchmarks and notebooks.

:func:`make_context` builds the :class:`~core.pipeline.context.BuildContext` the engine would
build for one variant; :func:`run_steps` applies the variant's steps; :func:`write_artifact`
writes a ``.pte`` or ``.onnx`` the plain way (export -> XNNPACK lowering, or dynamo ONNX
export) and runs the steps' post-export hooks; :func:`runner` loads it in its real runtime.
The engine's own converters and exporters are the product path; this is the minimal one.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch

from deploy_studio.core.data.datasets import Dataset, load_dataset
from deploy_studio.core.data.preprocess import Preprocess
from deploy_studio.core.models.loaded import LoadedModel, ModelSpec
from deploy_studio.core.pipeline.context import Artifact, BuildContext
from deploy_studio.core.progress import NULL_REPORTER, Reporter
from deploy_studio.core.recipe import StepSpec, VariantSpec
from deploy_studio.core.registry import STEPS


def loaded_module(
    module: torch.nn.Module, input_shape: list[int], source: str = "test:module"
) -> LoadedModel:
    """Wrap an in-memory nn.Module as a LoadedModel (one forward pass for the output shape)."""
    module = module.eval()
    with torch.no_grad():
        out = module(torch.zeros(*input_shape))
    return LoadedModel(
        spec=ModelSpec(source, input_shape=list(input_shape)),
        module=module,
        kind="module",
        input_shape=list(input_shape),
        output_shape=list(out.shape),
        params=sum(p.numel() for p in module.parameters()),
        preprocess=Preprocess.for_input_shape(input_shape),
    )


def make_context(
    model: LoadedModel,
    variant: VariantSpec,
    workdir: Path,
    *,
    data: str | Dataset = "builtin:digits",
    calibration_samples: int = 128,
    eval_samples: int = 500,
    reporter: Reporter = NULL_REPORTER,
) -> BuildContext:
    """The BuildContext the engine would start ``variant`` with (module deep-copied)."""
    dataset = data if isinstance(data, Dataset) else load_dataset(data, model.preprocess)
    train_idx, eval_idx = dataset.split(calibration_samples, eval_samples)
    return BuildContext(
        model=model,
        module=copy.deepcopy(model.module),
        example=model.example_input(),
        dataset=dataset,
        train_idx=train_idx,
        eval_idx=eval_idx,
        variant=variant,
        workdir=Path(workdir),
        reporter=reporter,
        calibration_samples=calibration_samples,
    )


def run_steps(ctx: BuildContext) -> BuildContext:
    """Check, then apply every step of ``ctx.variant`` in order (as the engine does)."""
    from deploy_studio.core.recipe import check_variant

    check_variant(ctx.variant)
    for step in ctx.variant.steps:
        STEPS.get(step.kind).obj.apply(ctx, step.options)
    return ctx


def variant(name: str, fmt: str, *steps: dict, convert: str | None = None) -> VariantSpec:
    """A VariantSpec from recipe-style step dicts, options resolved as the recipe parser does."""
    specs = []
    for s in steps:
        entry = STEPS.get(s["kind"])
        specs.append(
            StepSpec(
                s["kind"],
                entry.resolve_options(
                    {k: v for k, v in s.items() if k != "kind"}, f"variant {name!r}"
                ),
            )
        )
    if convert is None:
        convert = "trace" if fmt == "ptl" else "export"
    return VariantSpec(name, fmt, convert, specs)


def write_artifact(ctx: BuildContext) -> Artifact:
    """Export ``ctx.module`` in ``ctx.variant.format`` (pte, onnx, ptl) and run post-export hooks."""
    from deploy_studio.core.fsutil import atomic_path

    fmt = ctx.variant.format
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    path = ctx.workdir / f"{ctx.variant.name}.{fmt}"
    module, example = ctx.module, ctx.example
    if fmt == "pte":
        from executorch.exir import to_edge_transform_and_lower

        from deploy_studio.core.formats.pte import partitioners as pte_partitioners

        ep = torch.export.export(module, (example,))
        program = to_edge_transform_and_lower(ep, partitioner=pte_partitioners(ctx)).to_executorch()
        with atomic_path(path) as tmp:
            tmp.write_bytes(program.buffer)
        artifact = Artifact("pte", path, [path], "executorch")
    elif fmt == "onnx":
        onnx_program = torch.onnx.export(module, (example,), dynamo=True, verbose=False)
        with atomic_path(path) as tmp:
            onnx_program.save(str(tmp), external_data=False)
        artifact = Artifact("onnx", path, [path], "onnxruntime")
    elif fmt == "ptl":
        traced = torch.jit.trace(module, (example,))
        with atomic_path(path) as tmp:
            traced._save_for_lite_interpreter(str(tmp))
        artifact = Artifact("ptl", path, [path], "pytorch-lite")
    else:
        raise ValueError(f"the harness writes pte, onnx and ptl, not {fmt}")
    for hook in ctx.post_export:
        artifact = hook(artifact, ctx)
    return artifact


def runner(artifact: Artifact, threads: int = 1):
    """A callable ``f(x: torch.Tensor[1, ...]) -> torch.Tensor`` running the artifact in its runtime."""
    path = str(artifact.path)
    if artifact.format == "pte":
        from executorch.runtime import Runtime

        method = Runtime.get().load_program(path).load_method("forward")
        return lambda x: method.execute([x.contiguous()])[0]
    if artifact.format == "onnx":
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        session = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: torch.from_numpy(
            session.run(None, {name: np.ascontiguousarray(x.numpy())})[0]
        )
    if artifact.format == "ptl":
        from torch.jit.mobile import _load_for_lite_interpreter

        lite = _load_for_lite_interpreter(path)
        return lambda x: lite(x)
    raise ValueError(f"no runner for {artifact.format}")


def outputs(fn, x: torch.Tensor) -> torch.Tensor:
    """Stack ``fn`` on each sample of ``x`` (batch-1 artifacts)."""
    with torch.no_grad():
        return torch.cat([fn(x[i : i + 1]).detach().float() for i in range(len(x))])


class TinyDigitsNet(torch.nn.Module):
    """A ~20k-parameter CNN on 8x8 digits (scikit-learn's native size): the test model."""

    def __init__(self, width: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, width // 2, 3)
        self.relu1 = torch.nn.ReLU()
        self.conv2 = torch.nn.Conv2d(width // 2, width, 3)
        self.relu2 = torch.nn.ReLU()
        self.fc1 = torch.nn.Linear(width * 4 * 4, hidden)
        self.relu3 = torch.nn.ReLU()
        self.fc2 = torch.nn.Linear(hidden, 10)

    def forward(self, x):
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        return self.fc2(self.relu3(self.fc1(x.flatten(1))))


TINY_SHAPE = [1, 1, 8, 8]


def trained_tiny_model(epochs: int = 10, seed: int = 0, **kwargs) -> tuple[LoadedModel, Dataset]:
    """A TinyDigitsNet trained on the training side of builtin:digits at 8x8, plus the data."""
    from deploy_studio.core.training import fit

    torch.manual_seed(seed)
    module = TinyDigitsNet(**kwargs)
    dataset = load_dataset("builtin:digits", Preprocess.for_input_shape(TINY_SHAPE))
    train_idx, _ = dataset.split(128, 500)
    x, y = dataset.tensors(train_idx)
    fit(module, x, y, epochs=epochs, lr=3e-3, batch_size=64, seed=seed)
    return loaded_module(module.eval(), TINY_SHAPE, "test:tiny-digits"), dataset
