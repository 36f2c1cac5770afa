"""Deploy Studio's desktop window: PySide6 + pyqtgraph over the Qt-free engine in ``core``.

Nothing in this package decides how a model is converted, optimized or measured: it lays
out widgets, holds the user's document (:mod:`gui.state`) and drives ``core`` from worker
threads (:mod:`gui.workers`, :mod:`gui.jobs`).
"""
