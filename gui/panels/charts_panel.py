"""Size, latency, the task's metric and a latency-vs-metric Pareto chart (pyqtgraph).

The metric is the model's task's (``Report.task``; before a report, the task the document
knows from the recipe or the loaded model; else top-1 accuracy): mean IoU for a segmenter,
mAP@0.5 for a detector, MAE for a regressor ("lower is better"). Percent metrics are drawn
in %, others as plain numbers.

Every plot item is created once in ``__init__`` and kept; updates call ``setOpts`` /
``setData`` on the main thread. One colour per variant, from :meth:`Document.color`.
Latency bars and whiskers also follow the benchmark's live samples while a variant runs.

During a run, events arrive many times a second: they only mark the charts stale, and a
coalescing timer redraws at most every ``REDRAW_MS``; a chart whose data did not change is
not touched, so Qt does not repaint it (pyqtgraph's axes are costly to paint).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QGridLayout, QWidget

from deploy_studio.core.report.model import Latency, VariantResult
from deploy_studio.gui.colors import with_alpha
from deploy_studio.gui.document import Document
from deploy_studio.gui.formatting import (
    fmt_bytes,
    fmt_metric,
    fmt_ms,
    is_percent,
    metric_axis,
    metric_title,
    task_metric,
)
from deploy_studio.gui.panels.chart_items import (
    BAR_H,
    CHART_OBJECTIVES,
    Labels,
    metric_front,
    set_bars,
)
from deploy_studio.gui.panels.variant_cells import NOT_MEASURED

REDRAW_MS = 120  # at most ~8 redraws a second while results stream in
NO_LATENCY = Latency(None, None, None, None, 0, 1, 0)


class ChartsPanel(QWidget):
    """Four charts comparing the variants; emits ``variant_clicked(name)`` from the scatter."""

    variant_clicked = Signal(str)

    def __init__(self, doc: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.names: list[str] = []
        self._tick_names: list[str] | None = None
        self._ranges: dict[tuple[int, str], tuple[float, float]] = {}
        self._dark = False
        self._drawn: dict[str, object] = {}  # chart -> the data it shows (skip unchanged charts)
        self._stale_all = False
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(REDRAW_MS)
        self._redraw.timeout.connect(self._on_redraw_due)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 6)
        grid.setSpacing(6)

        self.size_widget = self._plot_widget()
        self.latency_widget = self._plot_widget()
        self.accuracy_widget = self._plot_widget()
        self.pareto_widget = self._plot_widget(antialias=True)
        grid.addWidget(self.size_widget, 0, 0)
        grid.addWidget(self.latency_widget, 0, 1)
        grid.addWidget(self.accuracy_widget, 1, 0)
        grid.addWidget(self.pareto_widget, 1, 1)

        self.size_plot = self.size_widget.getPlotItem()
        self.latency_plot = self.latency_widget.getPlotItem()
        self.accuracy_plot = self.accuracy_widget.getPlotItem()
        self.pareto_plot = self.pareto_widget.getPlotItem()
        for p in (self.size_plot, self.latency_plot, self.accuracy_plot, self.pareto_plot):
            for ax in ("left", "bottom"):
                p.getAxis(ax).enableAutoSIPrefix(False)
        for p in (self.size_plot, self.latency_plot, self.accuracy_plot):
            p.invertY(True)
            p.getAxis("left").setWidth(112)
            p.showGrid(x=True, y=False, alpha=0.25)
            p.setMouseEnabled(x=False, y=False)
            p.hideButtons()
            p.getViewBox().setMenuEnabled(False)

        self.size_bars = pg.BarGraphItem(x0=[], y=[], height=BAR_H, width=[])
        self.size_plot.addItem(self.size_bars)
        self.int8_floor = pg.InfiniteLine(
            angle=90,
            movable=False,
            label="int8 floor",
            labelOpts={"position": 0.03, "anchors": [(0, 0.5), (0, 0.5)]},
        )
        self.int8_floor.setVisible(False)
        self.size_plot.addItem(self.int8_floor, ignoreBounds=False)
        self.size_labels = Labels(self.size_plot)

        self.latency_bars = pg.BarGraphItem(x0=[], y=[], height=BAR_H, width=[])
        self.latency_whiskers = pg.ErrorBarItem(
            x=np.zeros(0), y=np.zeros(0), left=np.zeros(0), right=np.zeros(0), beam=0.28
        )
        self.latency_plot.addItem(self.latency_bars)
        self.latency_plot.addItem(self.latency_whiskers)
        self.latency_labels = Labels(self.latency_plot)

        self.accuracy_bars = pg.BarGraphItem(x0=[], y=[], height=BAR_H, width=[])
        self.accuracy_plot.addItem(self.accuracy_bars)
        self.baseline_line = pg.InfiniteLine(
            angle=90,
            movable=False,
            label="original",
            labelOpts={"position": 0.03, "anchors": [(1, 0.5), (1, 0.5)]},
        )
        self.baseline_line.setVisible(False)
        self.accuracy_plot.addItem(self.baseline_line)
        self.accuracy_labels = Labels(self.accuracy_plot, anchor=(1, 0.5))
        self.accuracy_labels_out = Labels(self.accuracy_plot, anchor=(0, 0.5))

        self.pareto_front_line = pg.PlotDataItem(
            [], [], pen=pg.mkPen("#888", width=1.2, style=Qt.PenStyle.DashLine)
        )
        self.pareto_plot.addItem(self.pareto_front_line)
        self.pareto_scatter = pg.ScatterPlotItem(
            hoverable=True, tip=self._tip, hoverPen=pg.mkPen("w", width=2)
        )
        self.pareto_scatter.sigClicked.connect(self._on_scatter_clicked)
        self.pareto_plot.addItem(self.pareto_scatter)
        self.pareto_plot.showGrid(x=True, y=True, alpha=0.25)
        self.pareto_plot.getViewBox().setMenuEnabled(False)
        self.pareto_plot.hideButtons()
        self.pareto_labels = Labels(self.pareto_plot, anchor=(0.0, 1.0))
        self.pareto_labels_below = Labels(self.pareto_plot, anchor=(0.0, 0.0))
        self.pareto_plot.setLabel("bottom", "latency p50 (ms)")
        self.size_plot.setLabel("bottom", "MB")
        self.latency_plot.setLabel("bottom", "ms (bar p50, whiskers p10–p90)")
        self._labelled_metric: dict | None = None  # the metric the axes and titles name
        self._fg = QColor("#3a3f47")

        for sig in (doc.recipe_replaced, doc.report_changed, doc.task_changed):  # rare: at once
            sig.connect(self.refresh)
        for sig in (doc.variants_changed, doc.results_cleared, doc.model_changed):
            sig.connect(self._on_data_changed)
        doc.result_changed.connect(self._on_data_changed)
        doc.live_latency.connect(self._on_live_latency)
        self.apply_theme(False)
        self.refresh()

    @staticmethod
    def _plot_widget(antialias: bool = False) -> pg.PlotWidget:
        w = pg.PlotWidget()
        w.setMinimumSize(260, 180)
        w.setAntialiasing(antialias)  # bars are axis-aligned: antialiasing only costs paint time
        return w

    # --- data --------------------------------------------------------------------------
    def _rows(self) -> list[VariantResult]:
        """Included variants and any with results, in table order (a variant not measured
        yet is an empty row)."""
        rows = []
        for name in self.doc.result_names():
            spec = self.doc.variant(name)
            row = self.doc.results.get(name)
            if row is not None:
                rows.append(row)
            elif spec is not None and spec.enabled:
                rows.append(VariantResult(name, spec.format))
        return rows

    def shown_metric(self) -> dict:
        """The metric the charts show: the task's (top-1 accuracy when none is known)."""
        return task_metric(self.doc.task_info)

    def _baseline(self) -> float | None:
        """The original model's value of the metric (known once a run has finished)."""
        return self.doc.report.baseline_metric if self.doc.report is not None else None

    def _update_metric_labels(self, metric: dict) -> None:
        """Axis labels and titles name the task's metric (``top-1 %`` for a classifier)."""
        if metric == self._labelled_metric:
            return
        self._labelled_metric = dict(metric)
        axis = metric_axis(metric)
        self.accuracy_plot.setLabel("bottom", axis)
        self.pareto_plot.setLabel(
            "left", "accuracy (%)" if metric.get("key") == "top1" else axis.replace(" %", " (%)")
        )
        self._set_titles()

    def _set_titles(self) -> None:
        metric = self._labelled_metric or task_metric(None)
        title = metric_title(metric)
        versus = "accuracy" if metric.get("key") == "top1" else metric.get("label")
        titles = {
            self.size_widget: "Size on disk",
            self.latency_widget: "Latency",
            self.accuracy_widget: title,
            self.pareto_widget: f"Latency vs {versus} (area = size)",
        }
        for w, text in titles.items():
            w.getPlotItem().setTitle(text, color=self._fg.name(), size="10pt", bold=True)

    def _latency(self, row: VariantResult) -> Latency:
        return row.latency_ms or self.doc.live.get(row.name) or NO_LATENCY

    def _on_data_changed(self, *_args) -> None:
        self._stale_all = True
        if not self._redraw.isActive():
            self._redraw.start()

    def _on_live_latency(self, _name: str) -> None:
        if not self._redraw.isActive():
            self._redraw.start()

    def _on_redraw_due(self) -> None:
        rows = self._rows()
        if self._stale_all or [r.name for r in rows] != self.names:
            self.refresh()
            return
        ys = np.arange(len(rows), dtype=float)
        self._update_latency(rows, ys, [self.doc.color(n) for n in self.names])

    def _unchanged(self, chart: str, data) -> bool:
        """True when ``chart`` already shows ``data`` (then it is not touched)."""
        if self._drawn.get(chart) == data:
            return True
        self._drawn[chart] = data
        return False

    def refresh(self) -> None:
        """Redraw every chart from the document now (items are updated, never recreated)."""
        self._redraw.stop()
        self._stale_all = False
        rows = self._rows()
        self.names = [r.name for r in rows]
        ys = np.arange(len(rows), dtype=float)
        brushes = [self.doc.color(n) for n in self.names]
        if self.names != self._tick_names:  # axes repaint only when their labels change
            self._tick_names = list(self.names)
            ticks = [[(i, n if len(n) <= 18 else n[:17] + "…") for i, n in enumerate(self.names)]]
            for p in (self.size_plot, self.latency_plot, self.accuracy_plot):
                p.getAxis("left").setTicks(ticks)
                p.setYRange(-1.15, max(len(rows), 1) - 0.4, padding=0)
        metric = self.shown_metric()
        self._update_metric_labels(metric)
        self._update_size(rows, ys, brushes)
        self._update_latency(rows, ys, brushes)
        self._update_accuracy(rows, ys, brushes, metric)
        self._update_pareto(rows, brushes, metric)

    def _set_range(self, plot: pg.PlotItem, axis: str, lo: float, hi: float) -> None:
        """Change an axis range only when it moves by more than 2 % (axes are costly to repaint)."""
        key = (id(plot), axis)
        old = self._ranges.get(key)
        span = max(hi - lo, 1e-12)
        if old is not None and abs(old[0] - lo) < 0.02 * span and abs(old[1] - hi) < 0.02 * span:
            return
        self._ranges[key] = (lo, hi)
        (plot.setXRange if axis == "x" else plot.setYRange)(lo, hi, padding=0)

    def _update_size(self, rows, ys, brushes) -> None:
        sizes = [r.size_bytes for r in rows]
        params = (self.doc.report.model.params if self.doc.report else None) or (
            self.doc.model_summary or {}
        ).get("params")
        if self._unchanged("size", (self.names, sizes, params, [b.rgba() for b in brushes])):
            return
        mb = np.array([s / 1e6 if s is not None else 0.0 for s in sizes])
        set_bars(self.size_bars, ys, mb, brushes, [pg.mkPen(c.darker(125)) for c in brushes])
        if params:
            floor = params / 1e6
            self.int8_floor.setVisible(True)  # first: a hidden label ignores setFormat
            self.int8_floor.setPos(floor)
            self.int8_floor.label.setFormat(f"int8 floor {floor:.2f} MB")
            self.int8_floor.setToolTip(f"1 byte per parameter: {params:,} parameters")
        else:
            self.int8_floor.setVisible(False)
        top = max([*mb, (params or 0) / 1e6, 1e-3])
        self._set_range(self.size_plot, "x", 0, top * 1.42)
        floor = params / 1e6 if params else None
        label_w = self._data_per_px(self.size_plot, top * 1.42) * 62  # "700.3 kB" at 8 pt
        entries = []
        for m, y, size in zip(mb, ys, sizes, strict=True):
            if size is None:
                continue
            x = m + top * 0.01
            if floor is not None and x < floor + top * 0.01 and x + label_w > floor - top * 0.005:
                x = max(
                    x, floor + top * 0.012
                )  # the label would cross the dashed floor: start after it
            entries.append((x, y, fmt_bytes(size)))
        self.size_labels.show(entries)

    @staticmethod
    def _data_per_px(plot: pg.PlotItem, x_span: float) -> float:
        """x data units per pixel of ``plot`` (a guess of 600 px before the first layout)."""
        width = plot.getViewBox().width()
        return x_span / (width if width > 50 else 600)

    def _update_latency(self, rows, ys, brushes) -> None:
        lats = [self._latency(r) for r in rows]
        p50 = np.array([lat.p50 or 0.0 for lat in lats])
        p10 = np.array([lat.p10 if lat.p10 is not None else lat.p50 or 0.0 for lat in lats])
        p90 = np.array([lat.p90 if lat.p90 is not None else lat.p50 or 0.0 for lat in lats])
        live = [r.name in self.doc.live and not r.latency_ms for r in rows]
        if self._unchanged(
            "latency",
            (
                self.names,
                [(lat.p10, lat.p50, lat.p90) for lat in lats],
                live,
                [b.rgba() for b in brushes],
                [bool(r.not_runnable) for r in rows],
            ),
        ):
            return
        set_bars(
            self.latency_bars,
            ys,
            p50,
            [with_alpha(b, 130) if lv else b for b, lv in zip(brushes, live, strict=True)],
            [pg.mkPen(c.darker(125)) for c in brushes],
        )
        self.latency_whiskers.setData(
            x=p50, y=ys, left=np.maximum(p50 - p10, 0), right=np.maximum(p90 - p50, 0), beam=0.28
        )
        top = max([*p90, 1e-3])
        self._set_range(self.latency_plot, "x", 0, top * 1.35)
        # a built artifact this host cannot run (Core ML / Vulkan .pte): no bar, says so
        self.latency_labels.show(
            [
                (hi + top * 0.02, y, fmt_ms(lat.p50) + (" …" if lv else ""))
                for hi, y, lat, lv in zip(p90, ys, lats, live, strict=True)
                if lat.p50 is not None
            ]
            + [
                (top * 0.02, y, NOT_MEASURED)
                for y, lat, r in zip(ys, lats, rows, strict=True)
                if lat.p50 is None and r.not_runnable and not r.error
            ]
        )

    def _update_accuracy(self, rows, ys, brushes, metric: dict) -> None:
        values = [r.metric for r in rows]
        base = self._baseline()
        if self._unchanged(
            "accuracy", (self.names, values, base, metric, [b.rgba() for b in brushes])
        ):
            return
        scale = 100.0 if is_percent(metric) else 1.0
        drawn = np.array([v * scale if v is not None else 0.0 for v in values])
        set_bars(self.accuracy_bars, ys, drawn, brushes, [pg.mkPen(c.darker(125)) for c in brushes])
        if base is not None:
            self.baseline_line.setVisible(True)  # first: a hidden label ignores setFormat
            self.baseline_line.setPos(base * scale)
            self.baseline_line.label.setFormat(f"original {fmt_metric(base, metric)}")
        else:
            self.baseline_line.setVisible(False)
        known = [v * scale for v in values if v is not None] + (
            [base * scale] if base is not None else []
        )
        if is_percent(metric) and metric.get("key") == "top1":
            lo = (
                max(0.0, math.floor(min(known) - max(2.0, (max(known) - min(known)) * 0.6)))
                if known
                else 0.0
            )
            hi = 100.5 if known else 100
        elif is_percent(metric):  # mean IoU, mAP: often far from 100 %, zoom around the values
            pad = max(3.0, (max(known) - min(known)) * 0.6) if known else 0.0
            lo = max(0.0, math.floor(min(known) - pad)) if known else 0.0
            hi = min(100.5, math.ceil(max(known) + pad)) if known else 100
        else:  # plain numbers: from 0 (errors, distances), or around the values (a cosine)
            top = max([abs(v) for v in known] + [1e-9])
            spread = (max(known) - min(known)) if known else 0.0
            if metric.get("higher_is_better", True) and known and min(known) > 0.5 * top:
                lo = min(known) - max(spread * 0.6, top * 1e-3)
                hi = max(known) + max(spread * 0.6, top * 1e-3)
            else:
                lo, hi = min(0.0, *known) if known else 0.0, top * 1.45
        self._set_range(self.accuracy_plot, "x", lo, hi)
        span = hi - lo
        label_w = self._data_per_px(self.accuracy_plot, span) * 56  # "97.80 %" at 8 pt
        if base is not None:  # "original …" left of its line, unless it would leave the plot
            right = base * scale - lo < label_w * 1.9
            self.baseline_line.label.anchors = [(0, 0.5), (0, 0.5)] if right else [(1, 0.5)] * 2
            self.baseline_line.label.updatePosition()
        inside, outside = [], []
        for p, y, v in zip(drawn, ys, values, strict=True):
            if v is None:
                continue
            text = fmt_metric(v, metric)
            crosses = base is not None and p - span * 0.002 - label_w < base * scale < p
            short = p - lo < label_w * 1.2  # no room inside the bar
            if (crosses or short) and p + label_w < hi:
                outside.append((p + span * 0.0015, y, text))
            else:
                # inside the bar's end, unless it would sit on the dashed "original" line
                inside.append((p - span * 0.002, y, text))
        self.accuracy_labels.show(inside)
        self.accuracy_labels_out.show(outside)

    def _update_pareto(self, rows, brushes, metric: dict) -> None:
        key = [(r.name, r.p50, r.metric, r.size_bytes, r.ok) for r in rows]
        if self._unchanged("pareto", (key, metric, [b.rgba() for b in brushes])):
            return
        scale = 100.0 if is_percent(metric) else 1.0
        spots, pts = [], []
        sizes = [r.size_bytes for r in rows if r.size_bytes]
        smax = max(sizes) if sizes else 1
        for r, b in zip(rows, brushes, strict=True):
            lat, value = r.p50, r.metric
            if lat is None or value is None:
                continue
            d = 10 + 30 * math.sqrt((r.size_bytes or 0) / smax)  # marker area ∝ size
            spots.append(
                {
                    "pos": (lat, value * scale),
                    "size": d,
                    "brush": with_alpha(b, 200),
                    "pen": pg.mkPen(b.darker(140), width=1.2),
                    "data": r.name,
                }
            )
            pts.append((r.name, lat, value * scale))
        self.pareto_scatter.setData(spots)
        on_front = set(metric_front(rows, metric))  # the engine's rule
        front = sorted((p for p in pts if p[0] in on_front), key=lambda p: p[1])
        self.pareto_front_line.setData([p[1] for p in front], [p[2] for p in front])
        # name the points on the Pareto front (the others: hover tooltip, colour as in the table);
        # alternate above / below so neighbours do not overlap
        self.pareto_labels.show([(x, y, n) for i, (n, x, y) in enumerate(front) if i % 2 == 0])
        self.pareto_labels_below.show(
            [(x, y, n) for i, (n, x, y) in enumerate(front) if i % 2 == 1]
        )
        if pts:
            xs, ys = [p[1] for p in pts], [p[2] for p in pts]
            dx = (max(xs) - min(xs)) or max(xs) * 0.2 or 1
            dy = (max(ys) - min(ys)) or (1.0 if scale == 100.0 else abs(max(ys)) * 0.05 or 1e-3)
            self._set_range(self.pareto_plot, "x", max(0, min(xs) - dx * 0.45), max(xs) + dx * 0.45)
            top = max(ys) + dy * 0.7
            self._set_range(
                self.pareto_plot,
                "y",
                min(ys) - dy * 0.5,
                min(100.5, top) if scale == 100.0 else top,
            )

    def _tip(self, x, y, data) -> str:
        r = self.doc.results.get(data)
        metric = self.shown_metric()
        name = "accuracy" if metric.get("key") == "top1" else metric.get("label")
        return (
            f"{data}\nlatency p50 {x:.3f} ms\n{name} {fmt_metric(r.metric if r else None, metric)}"
            f"\nsize {fmt_bytes(r.size_bytes if r else None)}\nformat {r.format if r else ''}"
        )

    def _on_scatter_clicked(self, _item, points, *_args) -> None:
        if len(points):
            self.variant_clicked.emit(points[0].data())

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        for chart in ("size", "accuracy"):  # label positions depend on the plots' pixel widths
            self._drawn.pop(chart, None)
        self._on_data_changed()

    # --- theme -------------------------------------------------------------------------
    def apply_theme(self, dark: bool) -> None:
        """Backgrounds, axes and text follow the window palette."""
        self._dark = dark
        bg = QColor("#1f2227") if dark else QColor("#ffffff")
        fg = QColor("#c9ced6") if dark else QColor("#3a3f47")
        line = QColor("#e6e6e6") if dark else QColor("#222222")
        self._fg = fg
        for w in (self.size_widget, self.latency_widget, self.accuracy_widget, self.pareto_widget):
            w.setBackground(bg)
            p = w.getPlotItem()
            for ax in ("left", "bottom"):
                a = p.getAxis(ax)
                a.setPen(pg.mkPen(fg))
                a.setTextPen(pg.mkPen(fg))
        for lab in (
            self.size_labels,
            self.latency_labels,
            self.accuracy_labels,
            self.accuracy_labels_out,
            self.pareto_labels,
            self.pareto_labels_below,
        ):
            lab.set_color(fg)
        pen = pg.mkPen(line, width=1.5, style=Qt.PenStyle.DashLine)
        for inf in (self.int8_floor, self.baseline_line):
            inf.setPen(pen)
            inf.label.setColor(fg)
        self.latency_whiskers.setData(pen=pg.mkPen(line, width=1.4))
        self.pareto_front_line.setPen(pg.mkPen(fg, width=1.2, style=Qt.PenStyle.DashLine))
        self._set_titles()
        self._drawn.clear()  # label colours changed: redraw everything
        self.refresh()


__all__ = ["CHART_OBJECTIVES", "ChartsPanel", "metric_front"]
