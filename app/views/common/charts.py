"""pyqtgraph charts for the planning board. Imported only when the planning tab is built, so
pyqtgraph stays off the start-up path. Charts take plain numbers, never ORM objects."""

from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

COLOURS = {"history": "#777777", "baseline": "#4477aa", "marketing": "#ee6677", "production": "#228833",
           "consensus": "#222222", "actual": "#777777", "required": "#ee6677", "available": "#228833",
           # service feedback tags (Paul Tol's bright scheme, colour-blind safe)
           "defect": "#ee6677", "usability": "#4477aa", "missing_feature": "#ccbb44", "documentation": "#66ccee"}


def _plot(title: str, parent: QWidget | None = None) -> pg.PlotWidget:
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    w = pg.PlotWidget(parent=parent, title=title)
    w.showGrid(x=True, y=True, alpha=0.25)
    w.addLegend(offset=(10, 10))
    w.setMinimumHeight(180)
    return w


class SeriesChart:
    """Several named series over the same labelled x positions (months)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        self.widget = _plot(title, parent)
        self.widget.setObjectName("seriesChart")
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show(self, labels: Sequence[str], series: dict[str, Sequence[float | None]], title: str | None = None) -> None:
        self.widget.clear()
        self.curves = {}
        if title:
            self.widget.setTitle(title)
        axis = self.widget.getAxis("bottom")
        axis.setTicks([[(i, lab) for i, lab in enumerate(labels)]])
        for name, values in series.items():
            xs = [i for i, v in enumerate(values) if v is not None]
            ys = [float(v) for v in values if v is not None]
            if not xs:
                continue
            pen = pg.mkPen(COLOURS.get(name, "#aa3377"), width=3 if name == "consensus" else 2,
                           style=pg.QtCore.Qt.PenStyle.DashLine if name in ("baseline", "history") else
                           pg.QtCore.Qt.PenStyle.SolidLine)
            self.curves[name] = self.widget.plot(xs, ys, pen=pen, name=name, symbol="o", symbolSize=5,
                                                 symbolBrush=COLOURS.get(name, "#aa3377"))
