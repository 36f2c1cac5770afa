"""Deploy Studio's desktop window: PySide6 + pyqtgraph over the Qt-free engine in ``core``.

Nothing in this package decides how a model is converted, optimized or measured: it lays
out widgets, holds the user's document (:mod:`deploy_studio.gui.document`) and drives ``core`` from worker
threads (:mod:`deploy_studio.gui.job_runner`, :mod:`deploy_studio.gui.engine_calls`).
"""
