"""The typed profile of one artifact: per-operator rows, the profiled runs' total, the source.

A :class:`Profile` is what every runtime's profiler returns (see ``core/profile/__init__.py``).
Times are milliseconds summed over the profiled runs (``runs``); ``share`` is a row's part
of ``total_ms``. The rows of one profile do not overlap: each is a top-level unit of work of
the runtime (an ExecuTorch delegate block or portable operator, an ONNX Runtime node, an aten
op called from the model's code), so their sum is at most ``total_ms``; the rest is the
runtime's own overhead between them (input copies, dispatch).
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNAVAILABLE = "not available: "


@dataclass
class ProfileRow:
    """One operator (or delegate block): its time summed over every call of the profiled runs.

    ``layer`` is the original model's module path where the runtime maps it back (``""``: the
    top-level module; ``None``: not mapped). ``delegate`` is who ran it: an ExecuTorch backend
    (``XnnpackBackend``) or ``portable``, an ONNX Runtime execution provider, ``cpu`` for
    torch.
    """

    op: str
    layer: str | None
    delegate: str | None
    calls: int
    total_ms: float
    share: float | None = None

    def to_dict(self) -> dict:
        return {
            "op": self.op,
            "layer": self.layer,
            "delegate": self.delegate,
            "calls": self.calls,
            "total_ms": round(self.total_ms, 6),
            "share": None if self.share is None else round(self.share, 4),
        }


@dataclass
class Profile:
    """Per-operator profile of ``runs`` runs of one artifact (rows: most time first)."""

    source: str
    runs: int = 0
    total_ms: float | None = None
    rows: list[ProfileRow] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return not self.source.startswith(UNAVAILABLE)

    @classmethod
    def unavailable(cls, why: str) -> Profile:
        return cls(source=UNAVAILABLE + why)

    def finish(self) -> Profile:
        """Sort the rows (most time first) and fill each one's share of ``total_ms``."""
        self.rows.sort(key=lambda r: -r.total_ms)
        for r in self.rows:
            r.share = r.total_ms / self.total_ms if self.total_ms else None
        return self

    @property
    def ops_ms(self) -> float:
        """The sum of the rows' times (at most ``total_ms``)."""
        return sum(r.total_ms for r in self.rows)

    def to_dict(self, top: int = 20) -> dict:
        """The report's ``profile``: the ``top`` rows, the source, the totals."""
        return {
            "source": self.source,
            "runs": self.runs,
            "total_ms": None if self.total_ms is None else round(self.total_ms, 6),
            "ops_ms": round(self.ops_ms, 6),
            "rows": [r.to_dict() for r in self.rows[:top]],
            "rows_total": len(self.rows),
            "hints": list(self.hints),
        }


def merge(rows: dict, op: str, layer, delegate, ms: float, calls: int = 1) -> None:
    """Add one event to ``rows`` keyed by (op, layer, delegate)."""
    key = (op, layer, delegate)
    row = rows.get(key)
    if row is None:
        rows[key] = ProfileRow(op, layer, delegate, calls, ms)
    else:
        row.calls += calls
        row.total_ms += ms
