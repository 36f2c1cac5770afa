"""The Android, iOS and Web project templates (one folder per platform, each with a
``manifest.toml``): package data, found with ``importlib.resources``."""
