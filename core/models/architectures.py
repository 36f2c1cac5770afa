"""The built-in demo architectures (plain nn.Modules, no weights)."""

from __future__ import annotations

import torch.nn as nn


class DigitsCNN(nn.Module):
    """The seed article's SimpleCNN with ``fc1`` fixed to 32*26*26 inputs (1x28x28 images)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.relu = nn.ReLU()
        self.fc1 = nn.Linear(32 * 26 * 26, 128)
        self.fc2 = nn.Linear(128, num_classes)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = x.flatten(1)
        x = self.relu(self.fc1(x))
        return self.fc2(x)


class DigitsCNNSmall(nn.Module):
    """A much smaller student for ``builtin:digits-cnn`` (about 1/200 of its parameters)."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 5 * 5, num_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        return self.fc(x.flatten(1))
