"""Deploy Studio's headless engine.

Everything the window does, this package does without Qt: load a model from any source,
prepare data with one preprocessing spec, build variants (convert -> optimize -> export),
run artifacts in their own runtimes, measure them, and write reports and app projects.

This package never imports PySide6, pyqtgraph or superqt (``tests/core/test_no_qt.py``).
"""

__version__ = "0.1.0"
