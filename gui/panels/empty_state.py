"""What the window shows before anything is open: three ways to start."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class EmptyState(QWidget):
    """A centred card with "Open model…", "Open recipe…" and "Try the digits demo".

    Signals
    -------
    open_model, open_recipe, try_demo
    """

    open_model = Signal()
    open_recipe = Signal()
    try_demo = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        card = QFrame()
        card.setObjectName("emptyCard")
        card.setFixedWidth(520)
        title = QLabel("Deploy Studio")
        title.setObjectName("emptyTitle")
        logo = QLabel()
        from deploy_studio.core.fsutil import resource_path

        icon = resource_path("icons", "deploy-studio.svg")
        if icon.exists():
            logo.setPixmap(QIcon(str(icon)).pixmap(48, 48))
        head = QHBoxLayout()
        head.setSpacing(12)
        head.addWidget(logo)
        head.addWidget(title, 1)
        sub = QLabel(
            "Take a trained PyTorch model to phones: convert, optimize, measure and compare "
            "variants side by side, then export Android, iOS and Web projects."
        )
        sub.setObjectName("emptySubtitle")
        sub.setWordWrap(True)
        self.model_button = QPushButton("Open model…      .pt  .pth  .ptl  .pt2  .py")
        self.recipe_button = QPushButton("Open recipe…      .toml")
        self.demo_button = QPushButton("Try the digits demo      8 variants of a digits CNN")
        self.demo_button.setToolTip("open the demo recipe and build & measure it")
        self.demo_button.setProperty("primary", True)
        for b, sig, name in (
            (self.demo_button, self.try_demo, "tryDemoButton"),
            (self.model_button, self.open_model, "openModelButton"),
            (self.recipe_button, self.open_recipe, "openRecipeButton"),
        ):
            b.setObjectName("emptyAction")
            b.setAccessibleName(name)
            b.setCursor(Qt.CursorShape.PointingHandCursor)
            b.clicked.connect(sig)
        self.status = QLabel("Starting the engine…")
        self.status.setObjectName("muted")
        hint = QLabel("You can also drop a model or a recipe file anywhere on this window.")
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        v = QVBoxLayout(card)
        v.setContentsMargins(32, 28, 32, 28)
        v.setSpacing(12)
        v.addLayout(head)
        v.addWidget(sub)
        v.addSpacing(8)
        v.addWidget(self.demo_button)
        v.addWidget(self.model_button)
        v.addWidget(self.recipe_button)
        v.addSpacing(6)
        v.addWidget(hint)
        v.addWidget(self.status)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
