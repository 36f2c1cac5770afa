"""Terminal progress for the CLI: one updating line on a TTY, sparse lines otherwise."""

from __future__ import annotations

import sys
import threading
import time

from deploy_studio.core.progress import Event
from deploy_studio.core.report.model import as_row


class TerminalProgress:
    """An event callback that prints progress to stderr (thread-safe)."""

    def __init__(self, stream=None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.quiet = quiet
        self._lock = threading.Lock()
        self._last_line = ""
        self._last_time = 0.0
        self._overall = 0.0

    def __call__(self, e: Event) -> None:
        if self.quiet:
            return
        with self._lock:
            if e.kind == "progress" and e.stage == "overall" and e.fraction is not None:
                self._overall = e.fraction
                return
            if e.kind == "log":
                self._print(
                    f"{'[' + e.variant + '] ' if e.variant and e.stage != 'overall' else ''}{e.message}",
                    final=True,
                )
            elif e.kind == "progress":
                pct = f" {e.fraction * 100:3.0f}%" if e.fraction is not None else ""
                who = f"[{e.variant}] " if e.variant else ""
                self._print(f"[{self._overall * 100:3.0f}% overall] {who}{e.stage}{pct}")
            elif e.kind == "result":
                row = as_row(e.data)
                if row.error:
                    self._print(f"[{e.variant}] FAILED: {row.error}", final=True)
                else:
                    lat, acc, size = row.p50, row.top1, row.size_bytes or 0
                    self._print(
                        f"[{e.variant}] done: {size / 1e6:.2f} MB"
                        + (f", p50 {lat:.3f} ms" if lat is not None else ", not run on this host")
                        + (f", accuracy {acc * 100:.2f}%" if acc is not None else ""),
                        final=True,
                    )

    def _print(self, line: str, final: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            pad = max(0, len(self._last_line) - len(line))
            self.stream.write("\r" + line + " " * pad + ("\n" if final else ""))
            self.stream.flush()
            self._last_line = "" if final else line
        elif final or now - self._last_time > 2.0:
            self.stream.write(line + "\n")
            self.stream.flush()
            self._last_time = now

    def finish(self) -> None:
        if self.tty and self._last_line:
            self.stream.write("\n")
            self._last_line = ""
