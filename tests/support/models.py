"""Every test model, defined once.

:class:`TinyNet` is the tiny 1x28x28 -> 10 digits classifier the pipeline, CLI, window and app
tests build (small enough to export in a second). :class:`TinyDigitsNet` is the ~18k-parameter
CNN on scikit-learn's native 8x8 digits that the optimization-step tests train, prune, quantize
and distil: its two convolutions and two Linear layers give the steps something to act on. The
others are traps: models that used to break a loader, an exporter or a number.

The loader imports a model from ``file.py:Class``: tests point it at this file
(:data:`MODELS_PY`) or write its source (:func:`write_models`) where a test needs a file of
its own (a name that must appear in a message, a path relative to a recipe). So this module
imports nothing but torch (and the standard library).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import torch
import torch.nn as nn


class TinyNet(nn.Module):
    """A 1x28x28 -> 10 classifier small enough for fast tests (6,810 parameters)."""

    def __init__(self):
        super().__init__()
        # the same weights in every process (the engine does not seed user classes), without
        # touching the caller's random state
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.conv = nn.Conv2d(1, 4, 3, stride=2)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4 * 13 * 13, 10)

    def features(self, x):
        return self.relu(self.conv(x)).flatten(1)

    def forward(self, x):
        return self.fc(self.features(x))


class PortableCumsum(TinyNet):
    """TinyNet with a cumsum between conv and fc: XNNPACK leaves it to the portable kernels."""

    def forward(self, x):
        return self.fc(torch.cumsum(self.relu(self.conv(x)), dim=1).flatten(1))


class Configurable(nn.Module):
    """TinyNet with constructor arguments (``init_args``): 1x28x28 -> ``num_classes``."""

    def __init__(self, num_classes: int, width: int = 4):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.conv = nn.Conv2d(1, width, 3, stride=2)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(width * 13 * 13, num_classes)

    def forward(self, x):
        return self.fc(self.relu(self.conv(x)).flatten(1))


class TinyDigitsNet(nn.Module):
    """A ~18k-parameter CNN on 8x8 digits (scikit-learn's native size): the step tests' model."""

    def __init__(self, width: int = 16, hidden: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width // 2, 3)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width // 2, width, 3)
        self.relu2 = nn.ReLU()
        self.fc1 = nn.Linear(width * 4 * 4, hidden)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(hidden, 10)

    def forward(self, x):
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        return self.fc2(self.relu3(self.fc1(x.flatten(1))))


TINY_DIGITS_SHAPE = [1, 1, 8, 8]


class ResBlock(nn.Module):
    """A shape-keeping residual block (``ResidualDigitsNet``'s)."""

    def __init__(self, channels: int = 8) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return x + self.relu(self.conv(x))


class ResidualDigitsNet(nn.Module):
    """8x8 digits through a stem and a stage of four repeated residual blocks: the model a
    shallower (layer-dropping) student is cut from."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU())
        self.stage = nn.Sequential(*(ResBlock(8) for _ in range(4)))
        self.fc = nn.Linear(8 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(self.stage(self.stem(x)).flatten(1))


class OneSensitiveLayer(nn.Module):
    """An 8x8 digits MLP, fc1 -> fc2 -> fc3 -> fc4, whose fc2 alone int8 ruins.

    fc1's first output channel is dead (zero weights, bias -1: always 0 after the ReLU) and
    every fc2 row has a weight of 100 on it: the float output does not see it, but int8's
    per-channel weight scale (100/127) rounds each row's other weights (|w| < 0.2) to 0, so
    int8 fc2 outputs nothing but zeros. The other layers are ordinary (seeded) Linear layers.
    """

    def __init__(self) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.fc1 = nn.Linear(64, 32)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(32, 32)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(32, 32)
        self.relu3 = nn.ReLU()
        self.fc4 = nn.Linear(32, 10)
        with torch.no_grad():
            for fc in (self.fc1, self.fc2, self.fc3, self.fc4):
                bound = fc.in_features**-0.5
                fc.weight.copy_((torch.rand(fc.weight.shape, generator=g) * 2 - 1) * bound)
                fc.bias.copy_((torch.rand(fc.bias.shape, generator=g) * 2 - 1) * bound)
            self.fc1.weight[0].zero_()
            self.fc1.bias[0] = -1.0
            self.fc2.weight[:, 0] = 100.0
            self.fc2.bias.zero_()

    def forward(self, x):
        x = self.relu1(self.fc1(x.flatten(1)))
        x = self.relu3(self.fc3(self.relu2(self.fc2(x))))
        return self.fc4(x)


class Student(nn.Module):
    """A distillation student for either digits model (810 parameters): it sees 8x8 inputs
    (a 28x28 one is averaged down to 8x8 first)."""

    def __init__(self):
        super().__init__()
        self.resize = nn.AdaptiveAvgPool2d(8)  # the identity at 8x8
        self.conv = nn.Conv2d(1, 8, 3)
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 3 * 3, 10)

    def forward(self, x):
        return self.fc(self.pool(self.relu(self.conv(self.resize(x)))).flatten(1))


class WrongClasses(nn.Module):
    """A student with 3 outputs where the teacher has 10."""

    def __init__(self):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(8)
        self.fc = nn.Linear(64, 3)

    def forward(self, x):
        return self.fc(self.pool(x).flatten(1))


class BNNet(nn.Module):
    """Conv-BN-ReLU blocks with torchvision's BatchNorm momentum (0.01), on 8x8 digits."""

    def __init__(self) -> None:
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(
                nn.Conv2d(cin, cout, 3, padding=1, bias=False),
                nn.BatchNorm2d(cout, momentum=0.01),
                nn.ReLU(),
            )

        self.features = nn.Sequential(block(1, 16), block(16, 32), nn.MaxPool2d(2), block(32, 32))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.drop(self.pool(self.features(x)).flatten(1)))


# --- traps ---------------------------------------------------------------------------------


class NeedsArgs(nn.Module):
    """A constructor with a required argument: the loader cannot build it."""

    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, 2)


class DataDependent(nn.Module):
    """Control flow on tensor values: torch.export cannot capture it, and a trace keeps only
    the branch its example took (the branches give different classes)."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.fc = nn.Linear(784, 10)

    def forward(self, x):
        y = self.fc(x.flatten(1))
        if y.sum() > 0:
            return y * 2
        return -y


class Unscriptable(nn.Module):
    """Python that torch.jit.script cannot compile (variadic arguments)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x, *extra):
        return self.fc(x.flatten(1))


class Crashes(nn.Module):
    """Kills its own process when traced in the worker (a native crash in one conversion)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        import multiprocessing
        import os
        import signal

        if (
            torch.jit.is_tracing()
            and multiprocessing.current_process().name == "deploy-studio-worker"
        ):
            os.kill(os.getpid(), signal.SIGSEGV)
        return self.fc(x.flatten(1))


class CrashesOnLoad(nn.Module):
    """Kills its own process on the first forward pass in the worker (while the model loads)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        import multiprocessing
        import os
        import signal

        if multiprocessing.current_process().name == "deploy-studio-worker":
            os.kill(os.getpid(), signal.SIGSEGV)
        return self.fc(x.flatten(1))


class FeaturesFirst(TinyNet):
    """Returns (features, logits): the first tensor is NOT the logits."""

    def forward(self, x):
        f = self.features(x)
        return f, self.fc(f)


class Scores(FeaturesFirst):
    """A dict without a "logits" key."""

    def forward(self, x):
        f, y = super().forward(x)
        return {"embedding": f, "scores": y}


class ReturnsTuple(TinyNet):
    """Returns (logits, features)."""

    def forward(self, x):
        f = self.features(x)
        return self.fc(f), f


class ReturnsDict(TinyNet):
    """Returns {"features", "logits"}."""

    def forward(self, x):
        f = self.features(x)
        return {"features": f, "logits": self.fc(f)}


class TwoInputs(nn.Module):
    """forward(x, y): one input is all the studio feeds."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(20, 3)

    def forward(self, x, y):
        return self.fc(x + y)


class Tabular(nn.Module):
    """Not an image model: a [1, 20] input."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(20, 5)

    def forward(self, x):
        return self.fc(x)


class ImageAndVector(nn.Module):
    """Two float inputs: a 1x28x28 image and a 6-feature vector -> 10 logits."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.conv = nn.Conv2d(1, 4, 3, stride=2)
            self.relu = nn.ReLU()
            self.vec = nn.Linear(6, 8)
            self.fc = nn.Linear(4 * 13 * 13 + 8, 10)

    def forward(self, image, meta):
        f = self.relu(self.conv(image)).flatten(1)
        return self.fc(torch.cat([f, self.relu(self.vec(meta))], 1))


class TokenGRU(nn.Module):
    """int64 token ids [1, L] (a 50-id vocabulary) -> embedding -> GRU -> 4 logits."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.emb = nn.Embedding(50, 16)
            self.gru = nn.GRU(16, 24, batch_first=True)
            self.fc = nn.Linear(24, 4)

    def forward(self, tokens):
        h, _ = self.gru(self.emb(tokens))
        return self.fc(h[:, -1])


class TokenConv(nn.Module):
    """int64 token ids [1, L] and a bool mask [1, L] -> embedding -> Conv1d -> masked mean
    -> 4 logits: any sequence length (torch.export keeps it dynamic)."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.emb = nn.Embedding(50, 16)
            self.conv = nn.Conv1d(16, 16, 3, padding=1)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(16, 4)

    def forward(self, tokens, mask):
        h = self.relu(self.conv(self.emb(tokens).transpose(1, 2)))
        m = mask.unsqueeze(1).to(h.dtype)
        return self.fc((h * m).sum(2) / m.sum(2).clamp(min=1.0))


class DictHeads(TinyNet):
    """Returns {"logits", "embedding"}: both are outputs, the logits the task's."""

    def forward(self, x):
        f = self.features(x)
        return {"logits": self.fc(f), "embedding": f[:, :32]}


class NestedTuple(TinyNet):
    """Returns (logits, (features, {"norm": ...})): a nested tuple with a dict inside."""

    def forward(self, x):
        f = self.features(x)
        return self.fc(f), (f[:, :16], {"norm": f.norm(dim=1, keepdim=True)})


class AllEqual(nn.Module):
    """What random or untrained weights sometimes give: every class the same tiny score."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(x.flatten(1)) * 0 + 1e-15


class TrainModeNet(nn.Module):
    """BatchNorm and Dropout: saved in training mode, its outputs are random."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return self.fc(self.drop(self.bn(self.conv(x))).flatten(1))


class TinySeg(nn.Module):
    """1x28x28 image -> [1, 3, 28, 28] per-pixel logits: background, stroke, and a class for
    bright stroke centres (a fixed, hand-set rule: no training needed for fidelity)."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.conv = nn.Conv2d(1, 8, 3, padding=1)
            self.relu = nn.ReLU()
            self.head = nn.Conv2d(8, 3, 1)

    def forward(self, image):
        return self.head(self.relu(self.conv(image))) + torch.cat(
            [-4 * image, 2 * image, 4 * image - 6], 1
        )


class TinyRegressor(nn.Module):
    """8 float features [1, 8] -> one value [1, 1] (a linear map plus a bend)."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.fc1 = nn.Linear(8, 16)
            self.relu = nn.ReLU()
            self.fc2 = nn.Linear(16, 1)

    def forward(self, features):
        return self.fc2(self.relu(self.fc1(features)))


class TinyAudio(nn.Module):
    """Log-mel features [1, 1, 20, 51] (0.5 s at 8 kHz, hop 80) -> 2 logits: a tone's pitch."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.relu = nn.ReLU()
            self.pool = nn.AdaptiveAvgPool2d((20, 1))
            self.fc = nn.Linear(4 * 20, 2)

    def forward(self, mel):
        return self.fc(self.pool(self.relu(self.conv(mel))).flatten(1))


class TinyDetector(nn.Module):
    """A single-shot detector in miniature: a 1x32x32 image, a 4x4 grid of 8-pixel anchors,
    returns {"boxes": [1, 16, 4] decoded x0, y0, x1, y1 pixels, "scores": [1, 16, 3] softmax
    over background and two classes}; bright cells score class 1, no NMS in the graph."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            self.head = nn.Conv2d(1, 7, 8, stride=8)
            self.pool = nn.AvgPool2d(8)
        ys, xs = torch.meshgrid(torch.arange(4.0), torch.arange(4.0), indexing="ij")
        grid = torch.stack([xs, ys, xs + 1, ys + 1], -1).reshape(1, 16, 4) * 8
        self.register_buffer("anchors", grid)

    def forward(self, image):
        h = self.head(image) * 0.1
        m = self.pool(image)
        logits = h[:, 4:] + torch.cat([-2 * m, 4 * m - 1, torch.zeros_like(m)], 1)
        offsets = torch.tanh(h[:, :4]).flatten(2).transpose(1, 2)
        scores = torch.softmax(logits.flatten(2).transpose(1, 2), -1)
        return {"boxes": self.anchors + 2 * offsets, "scores": scores}


MODELS_PY = Path(__file__).resolve()
"""This file: ``f"{MODELS_PY}:TinyNet"`` is a model source the loader imports."""


def write_models(path, *names: str):
    """Write a model file of the test's own to ``path``; returns the path.

    Without ``names``, this whole module; with them, only those classes (and the classes of
    this module they derive from), so that a file offers exactly the classes a test expects.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not names:
        path.write_text(MODELS_PY.read_text())
        return path
    classes: list[type] = []
    for name in names:
        for cls in reversed(globals()[name].__mro__):
            if cls.__module__ == __name__ and cls not in classes:
                classes.append(cls)
    body = "\n\n".join(inspect.getsource(c) for c in classes)
    path.write_text(f"import torch\nimport torch.nn as nn\n\n\n{body}")
    return path
