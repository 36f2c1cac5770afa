"""The seed article's SimpleCNN exactly as printed: it does not run on 1x28x28 inputs.

``conv1`` (3x3, stride 1) turns 28x28 into 26x26, so the flattened features are 32*26*26,
but ``fc1`` expects 32*14*14. Try ``deploy-studio inspect
resources/examples/seed_simple_cnn.py:SimpleCNN --input-shape 1,1,28,28`` to see the
message Deploy Studio gives; ``builtin:digits-cnn`` is the fixed model.
"""

import torch.nn as nn


class SimpleCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.relu = nn.ReLU()
        self.fc1 = nn.Linear(32 * 14 * 14, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = x.view(x.size(0), -1)
        x = self.relu(self.fc1(x))
        x = self.fc2(x)
        return x
