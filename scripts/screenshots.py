"""Make the README's Export-dialog screenshot from a finished run (offscreen).

A maintainer's tool, not part of the product. ``python scripts/screenshots.py RECIPE RUN_DIR
PNG [--dark]`` (the checkout's venv, where deploy_studio is installed) opens RECIPE, shows the
results a ``deploy-studio gui RECIPE --run --out RUN_DIR`` (or ``deploy-studio run``) wrote to
RUN_DIR, exports them with every app template into a temporary folder through the Export
dialog, and saves the dialog, with its summary, as PNG. The main-window screenshots come from
the CLI contract itself (``deploy-studio gui ... --screenshot``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 0 when the screenshot was written."""
    p = argparse.ArgumentParser(
        prog="python scripts/screenshots.py", description=__doc__.split("\n")[0]
    )
    p.add_argument("recipe")
    p.add_argument("run_dir")
    p.add_argument("png")
    p.add_argument("--dark", action="store_true")
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from deploy_studio.gui import theme
    from deploy_studio.gui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app, args.dark)
    window = MainWindow(dark=args.dark)
    window.files.ask_unsaved = lambda: "discard"
    window.show()
    window.start_engine()
    state = {"code": 1}
    tmp = tempfile.mkdtemp(prefix="deploy-studio-export-")

    def on_opened(ok: bool) -> None:
        if not ok:
            app.exit(2)
            return
        report = json.loads((Path(args.run_dir) / "report.json").read_text())
        window.doc.set_report(report, Path(args.run_dir))
        window._on_export()
        dlg = window.export_dialog
        dlg.resize(900, 640)
        dlg.set_output_dir(str(Path(tmp) / "DigitReader"))
        for cb in dlg.platform_boxes.values():
            cb.setChecked(True)

        def shoot() -> None:
            if dlg.job is not None and not dlg.job.done:
                QTimer.singleShot(300, shoot)
                return
            QTimer.singleShot(400, lambda: finish(dlg))

        dlg.start()
        QTimer.singleShot(500, shoot)

    def finish(dlg) -> None:
        Path(args.png).parent.mkdir(parents=True, exist_ok=True)
        state["code"] = 0 if (dlg.result is not None and dlg.grab().save(args.png)) else 1
        print(f"export screenshot: {args.png} ({dlg.status.text()})", file=sys.stderr)
        dlg.reject()
        app.exit(state["code"])

    window.open_recipe(args.recipe, on_done=on_opened)
    app.exec()
    return state["code"]


if __name__ == "__main__":
    sys.exit(main())
