"""One colour per variant, shared by the table and every chart.

The palette is the HTML report's (``core.report.charts.PALETTE``) so a variant keeps its
colour between the window and the report it writes.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from deploy_studio.core.report.charts import PALETTE  # one palette: report and window


def variant_color(index: int) -> QColor:
    """The colour of the variant at colour slot ``index``.

    Parameters
    ----------
    index : int
        The slot the document assigned to the variant (stable while the window is open).

    Returns
    -------
    QColor
        A fresh colour object (callers may change its alpha).
    """
    return QColor(PALETTE[index % len(PALETTE)])


def with_alpha(color: QColor, alpha: int) -> QColor:
    """A copy of ``color`` with ``alpha`` (0..255)."""
    c = QColor(color)
    c.setAlpha(alpha)
    return c
