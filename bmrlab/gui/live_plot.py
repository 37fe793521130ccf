"""A live plot fed with batches. Its memory and its work per frame are bounded whatever the
run's length: each curve (group) keeps at most about ``GROUP_ROWS`` rows, thinned by min/max
so every peak stays (kept_rows.py), and at most ``GROUPS`` curves are kept, the first and the
latest ones, older ones thinned to every other; 15 times a second only the curves that
received rows are redrawn, clipped to the view.

What is drawn comes from the protocol's ``LIVE_PLOT``: ``x`` and ``y`` columns, ``log_x`` and
``log_y``, ``abs_y``; ``group``, a column whose values are separate curves (never joined by a
line); ``legend``, a column whose values colour the curves and name the legend's entries
(default: the group); ``segment``, a column whose changes break the line inside a curve
(paired pulses: a pulse's samples are not joined to the interval's); ``hide``, column ->
values whose samples are not drawn (the current at 0 V between pulses or before a sweep);
``symbols``, each sample drawn as a dot (sparse samples: a pulse's one or two readings).
The file keeps every sample."""

import re

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import pyqtSignal

from ..decimate import peak_decimate
from ..units import format_quantity
from .kept_rows import KeptRows

COLORS = [
    "#1f4e9c",
    "#c0392b",
    "#27ae60",
    "#8e44ad",
    "#d35400",
    "#16a085",
    "#2c3e50",
    "#b7950b",
    "#7f8c8d",
    "#e84393",
]
LEGEND_ENTRIES = 10  # more legend values share the colours, unnamed
GROUP_ROWS = 2000  # rows a curve keeps after thinning (min and max of 1000 slices)
GROUPS = 40  # curves kept: the first, the latest 20, every other of those between

COLUMN_NAMES = {
    "t_s": "time",
    "t_step_s": "time since the step",
    "t_pair_s": "time since the pair began",
    "t_after_s": "time after the pulse",
    "t_trace_s": "time since the trace began",
    "v_V": "voltage (read back)",
    "v_src_V": "source voltage",
    "i_A": "current",
    "interval_s": "interval",
    "interval_ms": "interval",
    "amplitude_V": "amplitude",
    "resistance_ohm": "resistance",
    "compliance_A": "compliance",
    "spacing_s": "spacing",
    "index": "PPF index A2/A1",
}
UNIT_SUFFIX = re.compile(r"_(V|A|s|ms|mV|ohm|Hz)$")


def column_name(column: str) -> str:
    """A column in words: ``v_src_V`` -> ``source voltage``, ``cycle`` -> ``cycle``."""
    return COLUMN_NAMES.get(column) or UNIT_SUFFIX.sub("", column).replace("_", " ")


def column_unit(units: dict, column: str) -> str:
    """The column's unit; the description some integer columns carry instead is no unit."""
    unit = units.get(column, "") or ""
    return "" if " " in unit else unit.replace("ohm", "Ω")


def value_names(units: dict, column: str) -> dict:
    """Names of coded values from a column's description: ``1 LRS read, 2 HRS read``."""
    return {
        int(code): name.strip()
        for code, name in re.findall(r"(\d+) ([^,]+)", units.get(column, "") or "")
    }


class UnitAxis(pg.AxisItem):
    """An axis whose SI prefix stays off once switched off. pyqtgraph 0.14 recomputes the
    prefix scale from the current range even when the prefix is disabled, so a log axis
    that follows a linear one kept a stale scale (1 uA drawn as "1 A")."""

    def updateAutoSIPrefix(self):
        if self.autoSIPrefix:
            super().updateAutoSIPrefix()
            return
        self.autoSIPrefixScale = 1.0
        self.labelUnitPrefix = ""
        self._updateLabel()

    def tickValues(self, minVal, maxVal, size):
        """A log axis over a fraction of a decade gets linear ticks: pyqtgraph gives it one
        tick or none, so the user sees no scale (pA-level pulses on a log axis)."""
        ticks = super().tickValues(minVal, maxVal, size)
        if not self.logMode or sum(len(values) for _, values in ticks) >= 2:
            return ticks
        low, high = sorted((10.0**minVal, 10.0**maxVal))
        step = 10.0 ** np.floor(np.log10((high - low) / 4))
        step *= next(m for m in (1, 2, 5, 10) if (high - low) / (step * m) <= 6)
        values = np.arange(np.ceil(low / step) * step, high, step)
        return [(None, list(np.log10(values[values > 0])))]

    def logTickStrings(self, values, scale, spacing):
        """Minor ticks of a log axis are labelled only at 1, 2 and 5 (at decades alone when
        two or more decades show): pyqtgraph labels every one, and they overlap. Linear
        ticks inside a decade get two digits."""
        mantissa = 10 ** (np.asarray(values, dtype=float) % 1)
        if len(values) and np.any(np.abs(mantissa - np.round(mantissa)) > 1e-6):
            return [f"{10.0**v * scale:.2g}" for v in values]
        strings = super().logTickStrings(values, scale, spacing)
        if len(values) <= 6:
            return strings
        mantissa = np.round(mantissa, 6)
        kept = (1.0,) if abs(self.range[1] - self.range[0]) >= 2 else (1.0, 2.0, 5.0)
        thinned = [text if m in kept else "" for text, m in zip(strings, mantissa, strict=True)]
        return thinned if sum(map(bool, thinned)) >= 2 else strings


class LivePlot(pg.PlotWidget):
    began = pyqtSignal()  # a new run (or stored run) is drawn: its columns may differ
    cursor = pyqtSignal(str)  # the data coordinates under the mouse, in words

    def __init__(self):
        super().__init__(
            background="w", axisItems={"bottom": UnitAxis("bottom"), "left": UnitAxis("left")}
        )
        self.showGrid(x=True, y=True, alpha=0.3)
        self.spec: dict = {}
        self.units: dict = {}
        self.groups: dict = {}  # group -> KeptRows, in order of arrival
        self.legend_of: dict = {}  # group -> legend value
        self.colors: dict = {}  # legend value -> colour index
        self.curves: dict = {}
        self.named: set = set()  # legend values with an entry
        self.changed: set = set()  # groups with rows not drawn yet
        self.legend = self.addLegend(
            offset=(-10, -10),
            labelTextSize="8pt",
            labelTextColor="#222",
            brush=pg.mkBrush(255, 255, 255, 210),
            pen=pg.mkPen("#bbb"),
        )
        self.declared: dict = {}  # the protocol's LIVE_PLOT, before the user's choices
        self.scene().sigMouseMoved.connect(self._moved)

    def begin(self, spec: dict, units: dict, title: str = "") -> None:
        """A new run (or a stored one): its LIVE_PLOT description and column units."""
        self.declared, self.groups, self.legend_of, self.colors = spec, {}, {}, {}
        self.setTitle(title, color="#222", size="10pt")
        self._setup(spec, units)
        self.began.emit()

    def choose(self, x: str, y: str, log_x: bool, log_y: bool) -> None:
        """The user's columns and scales; the data so far are drawn again."""
        declared = self.declared
        abs_y = (
            declared.get("abs_y", False)
            if y == declared.get("y", "i_A")
            else log_y and column_unit(self.units, y) == "A"
        )
        spec = {**declared, "x": x, "y": y, "log_x": log_x, "log_y": log_y, "abs_y": abs_y}
        if (x, y) != (declared.get("x", "t_s"), declared.get("y", "i_A")):
            spec.pop("symbols", None)  # the protocol's dots belong to its own view
        self._setup(spec, self.units)
        self.changed = set(self.groups)
        self.refresh()

    def _moved(self, position) -> None:
        if not self.sceneBoundingRect().contains(position) or not self.spec:
            return
        point = self.plotItem.vb.mapSceneToView(position)
        texts = []
        for key, value, log in (
            (self.spec.get("x", "t_s"), point.x(), self.spec.get("log_x")),
            (self.spec.get("y", "i_A"), point.y(), self.spec.get("log_y")),
        ):
            value = 10**value if log else value
            unit = column_unit(self.units, key)
            shown = format_quantity(value, unit, 3) if unit else f"{value:.4g}"
            texts.append(f"{column_name(key)} = {shown}")
        self.cursor.emit(", ".join(texts))

    def _setup(self, spec: dict, units: dict) -> None:
        self.clear()
        self.legend.clear()
        self.legend.setVisible(False)
        self.legend.setOffset((-10, -10))  # bottom right
        self.legend.setColumnCount(2)
        self.spec, self.units = spec, units
        self.curves, self.named, self.changed = {}, set(), set()
        x, y = spec.get("x", "t_s"), spec.get("y", "i_A")
        self.setLogMode(x=bool(spec.get("log_x")), y=bool(spec.get("log_y")))
        for side, key, log in (("bottom", x, spec.get("log_x")), ("left", y, spec.get("log_y"))):
            axis = self.getAxis(side)
            axis.enableAutoSIPrefix(not log)  # a log axis shows plain decades of the unit
            name = column_name(key)
            if side == "left" and spec.get("abs_y"):
                name = f"|{name}|"
            self.setLabel(side, name, units=column_unit(units, key))
        self.enableAutoRange()

    def add(self, batch: dict) -> None:
        """Rows of the run (column -> array): kept per group, thinned as they grow."""
        length = len(next((v for v in batch.values() if np.ndim(v)), ()))
        shown = np.ones(length, dtype=bool)
        for column, values in self.spec.get("hide", {}).items():
            if column in batch:
                shown &= ~np.isin(np.asarray(batch[column]), values)
        batch = {
            k: np.asarray(v)[shown] for k, v in batch.items() if np.ndim(v) and len(v) == length
        }
        if not shown.any():
            return
        group_key = self.spec.get("group")
        legend_key = self.spec.get("legend", group_key)
        groups = batch[group_key] if group_key in batch else np.zeros(int(shown.sum()))
        legends = batch[legend_key] if legend_key in batch else groups
        values, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
        rows_of = np.split(np.argsort(inverse, kind="stable"), np.cumsum(np.bincount(inverse)))
        for k in np.argsort(first):  # the groups in order of arrival
            g, rows = values[k].item(), rows_of[k]
            if g not in self.groups:
                self.groups[g] = KeptRows(GROUP_ROWS)
                value = legends[rows[0]].item()
                self.legend_of[g] = value
                self.colors.setdefault(value, max(self.colors.values(), default=-1) + 1)
            self.groups[g].add({name: v[rows] for name, v in batch.items()}, self._drawn_y)
            self.changed.add(g)
            while len(self.groups) > GROUPS:
                self._thin_groups()

    def _drawn_y(self, columns: dict) -> np.ndarray:
        """The y a curve shows (what thinning keeps the peaks of); NaN where not drawable."""
        y = columns.get(self.spec.get("y", "i_A"))
        if y is None:
            return np.zeros(len(next(iter(columns.values()))))
        y = np.abs(y.astype(float)) if self.spec.get("abs_y") else y.astype(float)
        return np.where(y > 0, y, np.nan) if self.spec.get("log_y") else y

    def _thin_groups(self) -> None:
        """Drop every other curve between the first and the latest ``GROUPS // 2``."""
        older = list(self.groups)[1 : -GROUPS // 2]
        for g in older[::2]:
            del self.groups[g]
            self.changed.discard(g)
            value = self.legend_of.pop(g)
            curve = self.curves.pop(g, None)
            if curve is not None:
                self.removeItem(curve)
                self.legend.removeItem(curve)
            if value not in self.legend_of.values():
                self.colors.pop(value, None)
                self.named.discard(value)

    def xy(self, group) -> tuple[np.ndarray, np.ndarray]:
        """The points of a group's curve as drawn: NaN breaks the line where the segment
        changes, and on a log axis where a value is not positive."""
        columns = self.groups[group].columns()
        x_key, y_key = self.spec.get("x", "t_s"), self.spec.get("y", "i_A")
        if x_key not in columns or y_key not in columns:
            return np.array([]), np.array([])
        x, y = columns[x_key].astype(float), self._drawn_y(columns)
        if self.spec.get("log_x"):
            x = np.where(x > 0, x, np.nan)
        segment = columns.get(self.spec.get("segment", ""))
        if segment is not None:  # a NaN where the segment changes breaks the line
            cut = np.flatnonzero(np.diff(segment) != 0) + 1
            x, y = np.insert(x, cut, np.nan), np.insert(y, cut, np.nan)
        return x, y

    def legend_name(self, value) -> str:
        key = self.spec.get("legend", self.spec.get("group"))
        named = value_names(self.units, key).get(value) if isinstance(value, int) else None
        if named:
            return named
        unit = column_unit(self.units, key)
        text = format_quantity(float(value), unit, 3) if unit else f"{value:g}"
        return f"{column_name(key)} {text}"

    def refresh(self) -> None:
        """Redraw the curves that received rows since the last refresh."""
        changed, self.changed = self.changed, set()
        for group in changed:
            x, y = self.xy(group)
            if not (np.isfinite(x) & np.isfinite(y)).any():
                continue  # nothing drawable yet (e.g. no positive value on a log axis)
            curve = self.curves.get(group)
            value = self.legend_of[group]
            color = COLORS[self.colors[value] % len(COLORS)]
            if curve is None:
                dots = (
                    {"symbol": "o", "symbolSize": 5, "symbolPen": None, "symbolBrush": color}
                    if self.spec.get("symbols")
                    else {}
                )
                curve = self.plot(
                    pen=pg.mkPen(color, width=1.2), clipToView=True, connect="finite", **dots
                )
                self.curves[group] = curve
                named = self.spec.get("group") or self.spec.get("legend")
                if named and value not in self.named and self.colors[value] < LEGEND_ENTRIES:
                    self.legend.addItem(curve, self.legend_name(value))
                    self.legend.setVisible(True)
                    self.named.add(value)
            curve.setData(*peak_decimate(x, y))

    def points(self) -> int:
        """Rows held for drawing (with an x)."""
        x_key = self.spec.get("x", "t_s")
        return sum(
            int(np.isfinite(kept.columns()[x_key].astype(float)).sum())
            for kept in self.groups.values()
            if x_key in kept.columns()
        )

    def nbytes(self) -> int:
        """Bytes of the rows held (the curves' drawn copies are bounded alike)."""
        return sum(kept.nbytes() for kept in self.groups.values())
