"""The ``deploy-studio`` command: the engine's CLI, plus the window.

``deploy-studio`` with no arguments, or ``deploy-studio gui ...``, opens the window; every
other command is the engine's (``deploy_studio.core.cli``). The launcher lives on the window's
side so that the engine never imports it; Qt is imported only when the window opens.
"""

from __future__ import annotations

import sys


def open_window(args) -> int:
    """Start the window with the parsed ``gui`` arguments (exit code)."""
    try:
        from deploy_studio.gui import app
    except ImportError as e:
        print(f"error: the window could not start ({e})", file=sys.stderr)
        print("try: deploy-studio demo --out DIR (headless), or install PySide6", file=sys.stderr)
        return 2
    return app.main(args)


def main(argv: list[str] | None = None) -> int:
    from deploy_studio.core.cli import main as cli_main

    return cli_main(argv, open_window=open_window)


if __name__ == "__main__":
    sys.exit(main())
