"""What the live plot shows when a run ends: the protocol's own figure. Paired pulse: the PPF
index against the interval replaces the samples, with its fit and the no-facilitation line
at 1. Pulse delay, retention, endurance: the samples stay, with a dashed line at each
figure (the median delay per amplitude, the retention, the last cycle whose window was
open) labelled with its value."""

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt

from ..units import format_quantity
from .live_plot import COLORS, LivePlot

FIT_PEN = pg.mkPen("#c0392b", width=1.5)


def draw_result(plot: LivePlot, figures: dict) -> None:
    ppf = figures.get("ppf")
    if ppf and ppf.get("interval_ms"):
        draw_ppf(plot, ppf)
        return
    for x, value, label, color in figure_lines(plot, figures):
        if value is not None and value > 0:
            position = np.log10(value) if plot.spec.get("log_x") else value
            plot.addItem(pg.InfiniteLine(
                position, angle=90, pen=pg.mkPen(color, style=Qt.PenStyle.DashLine),
                label=label, labelOpts={"position": 0.92, "color": color,
                                        "fill": (255, 255, 255, 200)}), ignoreBounds=True)


def figure_lines(plot: LivePlot, figures: dict) -> list[tuple]:
    """(x column, x value, label, colour) of the figures drawn on the protocol's own axes."""
    x = plot.spec.get("x")
    stats = figures.get("stats", {})
    lines = []
    if x == "t_step_s":
        for mv, delay in stats.get("delay_by_mV", {}).items():
            if delay.get("median") is not None:
                index = next((k for value, k in plot.colors.items()
                              if abs(value - float(mv) * 1e-3) < 1e-9), 0)
                lines.append((x, delay["median"] * 1e-3,
                              f"{format_quantity(delay['median'] * 1e-3, 's', 3)}",
                              COLORS[index % len(COLORS)]))
    elif x == "t_after_s" and figures.get("retention_ms") is not None:
        lines.append((x, figures["retention_ms"] * 1e-3, "retention " + format_quantity(
            figures["retention_ms"] * 1e-3, "s", 3), "#c0392b"))
    elif x == "cycle" and figures.get("endurance_cycles") is not None:
        lines.append((x, figures["endurance_cycles"],
                      f"endurance {figures['endurance_cycles']:,} cycles", "#c0392b"))
    return lines


def draw_ppf(plot: LivePlot, ppf: dict) -> None:
    plot.begin({"x": "interval_ms", "y": "index", "log_x": True, "symbols": True},
               {"interval_ms": "ms", "index": ""}, plot.plotItem.titleLabel.text)
    plot.add({"interval_ms": np.array(ppf["interval_ms"], dtype=float),
              "index": np.array(ppf["index"], dtype=float)})
    plot.refresh()
    plot.addItem(pg.InfiniteLine(1.0, angle=0, pen=pg.mkPen("#888", style=Qt.PenStyle.DashLine)))
    fit = ppf.get("fit")
    if not fit:
        return
    dt = np.geomspace(min(ppf["interval_ms"]), max(ppf["interval_ms"]), 200)
    index = 1 + fit["C1"] * np.exp(-dt / fit["tau1_ms"])
    if fit.get("tau2_ms"):
        index += fit["C2"] * np.exp(-dt / fit["tau2_ms"])
    curve = plot.plot(dt, index, pen=FIT_PEN)
    terms = [f"{c:.2f} exp(-dt / {format_quantity(tau * 1e-3, 's', 3)})"
             for c, tau in ((fit["C1"], fit["tau1_ms"]), (fit["C2"], fit.get("tau2_ms"))) if tau]
    plot.legend.addItem(curve, "fit: 1 + " + " + ".join(terms))
    plot.legend.setOffset((-10, 10))  # top right: the index decays to 1
    plot.legend.setVisible(True)
