"""Light and dark palettes (Fusion style) and the small stylesheet the panels share."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#3d7be0"

_LIGHT = {
    "window": "#f3f4f6",
    "base": "#ffffff",
    "alt": "#f6f7f9",
    "text": "#1f2328",
    "muted": "#6b7280",
    "button": "#fbfbfc",
    "border": "#d5d8de",
    "highlight": ACCENT,
    "tooltip": "#ffffff",
}
_DARK = {
    "window": "#24272d",
    "base": "#1b1d22",
    "alt": "#22252b",
    "text": "#e3e6eb",
    "muted": "#9aa1ad",
    "button": "#2f333a",
    "border": "#3b4048",
    "highlight": "#4f8cf0",
    "tooltip": "#2f333a",
}


def colors(dark: bool) -> dict[str, str]:
    """The named colours of a theme (``window``, ``base``, ``text``, ``muted``, ...)."""
    return dict(_DARK if dark else _LIGHT)


def palette(dark: bool) -> QPalette:
    """A complete QPalette for the theme, including disabled colours."""
    c = colors(dark)
    p = QPalette()
    R = QPalette.ColorRole
    p.setColor(R.Window, QColor(c["window"]))
    p.setColor(R.WindowText, QColor(c["text"]))
    p.setColor(R.Base, QColor(c["base"]))
    p.setColor(R.AlternateBase, QColor(c["alt"]))
    p.setColor(R.ToolTipBase, QColor(c["tooltip"]))
    p.setColor(R.ToolTipText, QColor(c["text"]))
    p.setColor(R.PlaceholderText, QColor(c["muted"]))
    p.setColor(R.Text, QColor(c["text"]))
    p.setColor(R.Button, QColor(c["button"]))
    p.setColor(R.ButtonText, QColor(c["text"]))
    p.setColor(R.BrightText, QColor("#ff5555"))
    p.setColor(R.Highlight, QColor(c["highlight"]))
    p.setColor(R.HighlightedText, QColor("#ffffff"))
    p.setColor(R.Link, QColor(c["highlight"]))
    p.setColor(R.Mid, QColor(c["border"]))
    p.setColor(R.Midlight, QColor(c["border"]).lighter(110))
    p.setColor(R.Dark, QColor(c["border"]).darker(130))
    p.setColor(R.Light, QColor(c["button"]).lighter(115))
    p.setColor(R.Shadow, QColor("#000000"))
    dis = QColor(c["muted"])
    for role in (R.WindowText, R.Text, R.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, dis)
    return p


def stylesheet(dark: bool) -> str:
    """Panel titles, muted notes, the variant problem box and the empty-state card."""
    c = colors(dark)
    return f"""
    QLabel#sectionTitle {{ font-size: 11pt; font-weight: 600; }}
    QLabel#subTitle {{ font-weight: 600; margin-top: 4px; }}
    QLabel#muted {{ color: {c["muted"]}; }}
    QLabel#errorText {{ color: #d64545; }}
    QLabel#variantProblem[state="error"] {{ color: #d64545; background: {"#3a2526" if dark else "#fdecec"};
        border: 1px solid {"#6b3435" if dark else "#f3b9b9"}; border-radius: 4px; padding: 6px; }}
    QLabel#variantProblem[state="ok"] {{ color: {"#6fcf97" if dark else "#1e7a46"}; padding: 4px 2px; }}
    QFrame#emptyCard {{ background: {c["base"]}; border: 1px solid {c["border"]}; border-radius: 10px; }}
    QLabel#emptyTitle {{ font-size: 20pt; font-weight: 600; }}
    QLabel#emptySubtitle {{ color: {c["muted"]}; font-size: 11pt; }}
    QPushButton#emptyAction {{ padding: 10px 18px; font-size: 11pt; text-align: left; }}
    QPushButton#primary, QPushButton#emptyAction[primary="true"] {{ background: {c["highlight"]}; color: white;
        border: 1px solid {c["highlight"]}; border-radius: 4px; }}
    QGroupBox {{ font-weight: 600; border: 1px solid {c["border"]}; border-radius: 6px; margin-top: 14px;
        padding-top: 6px; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; }}
    QDockWidget::title {{ padding: 4px 8px; background: {c["window"]}; font-weight: 600; }}
    QTableView, QTreeView, QListView {{ gridline-color: {c["border"]}; }}
    QHeaderView::section {{ padding: 3px 6px; border: none; border-bottom: 1px solid {c["border"]};
        background: {c["alt"]}; font-weight: 600; }}
    QToolBar {{ spacing: 4px; padding: 3px; border-bottom: 1px solid {c["border"]}; }}
    QStatusBar {{ border-top: 1px solid {c["border"]}; }}
    """


def apply(app: QApplication, dark: bool) -> None:
    """Switch the whole application to the light or dark theme."""
    app.setStyle("Fusion")
    app.setPalette(palette(dark))
    app.setStyleSheet(stylesheet(dark))
    font = QFont(app.font())
    if font.pointSizeF() < 9.5:
        font.setPointSizeF(9.5)
        app.setFont(font)
