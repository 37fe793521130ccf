"""What the live plot shows when a run ends: the protocol's own figure
(``BmrProcedure.result_plot``). A curve (the PPF index against the interval) replaces the
samples, with its fit and reference line; marks (the median delay per amplitude, the
retention, the last cycle whose window was open) are dashed lines on the samples, labelled
with their value."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt

from ..procedures.base import Curve, ResultPlot
from .live_plot import COLORS, LivePlot

FIT_PEN = pg.mkPen("#c0392b", width=1.5)
MARK_COLOR = "#c0392b"


def draw_result(plot: LivePlot, drawing: ResultPlot) -> None:
    if drawing.curve is not None:
        draw_curve(plot, drawing.curve)
        return
    for mark in drawing.marks:
        if mark.x <= 0 and plot.spec.get("log_x"):
            continue
        color = MARK_COLOR
        if mark.group is not None:
            index = next(
                (k for value, k in plot.colors.items() if abs(value - mark.group) < 1e-9), 0
            )
            color = COLORS[index % len(COLORS)]
        position = np.log10(mark.x) if plot.spec.get("log_x") else mark.x
        plot.addItem(
            pg.InfiniteLine(
                position,
                angle=90,
                pen=pg.mkPen(color, style=Qt.PenStyle.DashLine),
                label=mark.label,
                labelOpts={"position": 0.92, "color": color, "fill": (255, 255, 255, 200)},
            ),
            ignoreBounds=True,
        )


def draw_curve(plot: LivePlot, curve: Curve) -> None:
    plot.begin({**curve.spec, "symbols": True}, curve.units, plot.plotItem.titleLabel.text)
    plot.add({name: np.array(values, dtype=float) for name, values in curve.columns.items()})
    plot.refresh()
    if curve.reference_y is not None:
        plot.addItem(
            pg.InfiniteLine(
                curve.reference_y, angle=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine)
            )
        )
    if curve.fit is None:
        return
    x, y, text = curve.fit
    line = plot.plot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), pen=FIT_PEN)
    plot.legend.addItem(line, text)
    plot.legend.setOffset((-10, 10))  # top right
    plot.legend.setVisible(True)
