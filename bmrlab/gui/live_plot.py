"""A live plot fed with batches: the data are kept as they come, and 15 times a second each
curve is redrawn from a min/max decimation of its points, clipped to the view, so a
million-point run never slows the window."""

import numpy as np
import pyqtgraph as pg

from ..decimate import peak_decimate

COLORS = ["#1f4e9c", "#c0392b", "#27ae60", "#8e44ad", "#d35400", "#16a085", "#2c3e50"]


class LivePlot(pg.PlotWidget):
    def __init__(self):
        super().__init__(background="w")
        self.showGrid(x=True, y=True, alpha=0.3)
        self.spec: dict = {}
        self.units: dict = {}
        self.parts: dict = {}  # group -> ([x arrays], [y arrays])
        self.curves: dict = {}
        self.dirty = False

    def begin(self, spec: dict, units: dict) -> None:
        """A new run: its LIVE_PLOT description and column units."""
        self.clear()
        self.spec, self.units = spec, units
        self.parts, self.curves = {}, {}
        x, y = spec.get("x", "t_s"), spec.get("y", "i_A")
        self.setLogMode(x=bool(spec.get("log_x")), y=bool(spec.get("log_y")))
        for side, key, log in (("bottom", x, spec.get("log_x")), ("left", y, spec.get("log_y"))):
            axis = self.getAxis(side)
            axis.enableAutoSIPrefix(not log)  # a log axis shows plain decades of the unit
            label = f"|{key}|" if side == "left" and spec.get("abs_y") else key
            self.setLabel(side, label, units=units.get(key, ""))

    def add(self, batch: dict) -> None:
        x_key, y_key = self.spec.get("x", "t_s"), self.spec.get("y", "i_A")
        if x_key not in batch or y_key not in batch:
            return
        x = np.asarray(batch[x_key], dtype=float)
        y = np.asarray(batch[y_key], dtype=float)
        if self.spec.get("abs_y"):
            y = np.abs(y)
        group_key = self.spec.get("group")
        groups = np.asarray(batch[group_key]) if group_key in batch else np.zeros(len(x))
        for g in np.unique(groups):
            sel = groups == g
            xs, ys = self.parts.setdefault(g.item() if hasattr(g, "item") else g, ([], []))
            xs.append(x[sel])
            ys.append(y[sel])
        self.dirty = True

    def refresh(self) -> None:
        """Redraw the curves that received data since the last refresh."""
        if not self.dirty:
            return
        for k, (group, (xs, ys)) in enumerate(self.parts.items()):
            x, y = np.concatenate(xs), np.concatenate(ys)
            if self.spec.get("log_y"):
                y = np.where(y > 0, y, np.nan)
            if len(xs) > 1:
                self.parts[group] = ([x], [y])
            curve = self.curves.get(group)
            if curve is None:
                curve = self.plot(pen=pg.mkPen(COLORS[k % len(COLORS)], width=1.2),
                                  clipToView=True, connect="finite")
                self.curves[group] = curve
            curve.setData(*peak_decimate(x, y))
        self.dirty = False

    def points(self) -> int:
        return sum(sum(len(a) for a in xs) for xs, _ in self.parts.values())
