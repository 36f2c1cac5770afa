"""The window's panels: one file per panel, each given the document in ``__init__``."""
