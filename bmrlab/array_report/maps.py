"""Wafer and array maps: each device a cell at its place on the wafer, coloured by a figure
or by whether it passes the yield criteria. Drawn on matplotlib axes, so the same drawing
makes the PNG of the report and the map in the window.

The map spans the dies and devices the file holds runs of (columns and rows from 0 to the
largest). A die is a square; when a die holds several devices (sites, and the devices a
switch matrix reaches at one landing) each is a sub-cell, in (site, device) order from left
to right and top to bottom, in a grid as square as their number allows (4: 2 x 2). Row 0 is
the top row, as on the prober's wafer map. A device inside the map that has no run in the
file is grey and hatched; one that was tested but gave no value is white with a cross; a
device that fails a yield criterion is outlined in red.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.collections import PatchCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..die_address import DieAddress
from ..result_rows import NAMES
from .criteria import NOT_JUDGED
from .distributions import spans_decades
from .table import POSITION, tested

GAP = 0.06  # between dies, in die widths (each side)
SUB_GAP = 0.03  # between the devices of a die
MISSING: dict[str, Any] = {
    "facecolor": "0.88",
    "edgecolor": "0.6",
    "hatch": "////",
    "linewidth": 0.3,
}
NO_VALUE: dict[str, Any] = {"facecolor": "white", "edgecolor": "0.4", "linewidth": 0.5}
FAILED_EDGE = "#d62728"
OUTCOME_COLOURS = {"pass": "#2ca02c", "fail": FAILED_EDGE, NOT_JUDGED: "#bbbbbb"}
ANNOTATE_CELLS = 100  # values written in the cells of a map this small
COLOUR_MAP = "viridis"
LEGEND_BELOW = 3.2  # the legend's distance below the map, in font sizes: under the x label


@dataclass(frozen=True)
class MapLayout:
    """The grid of a map: dies (columns x rows) and the devices of a die (sites x matrix
    devices), and where each device's cell is in map coordinates (one die = 1 x 1)."""

    columns: int
    rows: int
    sites: int = 1
    devices: int = 1

    @classmethod
    def of(cls, table: pd.DataFrame) -> "MapLayout | None":
        """The layout of the devices of ``table`` that have a wafer address (None: none)."""
        placed = table.dropna(subset=list(POSITION))
        if placed.empty:
            return None
        columns, rows, sites, devices = (int(placed[n].max()) + 1 for n in POSITION)
        return cls(columns, rows, sites, devices)

    @property
    def slots(self) -> int:
        return self.sites * self.devices

    @property
    def sub_columns(self) -> int:
        return math.ceil(math.sqrt(self.slots))

    @property
    def sub_rows(self) -> int:
        return math.ceil(self.slots / self.sub_columns)

    def addresses(self) -> list[DieAddress]:
        return [
            DieAddress(c, r, s, d)
            for r in range(self.rows)
            for c in range(self.columns)
            for s in range(self.sites)
            for d in range(self.devices)
        ]

    def cell(self, address: DieAddress) -> tuple[float, float, float, float]:
        """(x, y, width, height) of a device's cell; y grows downwards (row 0 on top)."""
        slot = address.site * self.devices + address.device
        width = (1 - 2 * GAP) / self.sub_columns
        height = (1 - 2 * GAP) / self.sub_rows
        x = address.column + GAP + (slot % self.sub_columns) * width
        y = address.row + GAP + (slot // self.sub_columns) * height
        inset = SUB_GAP if self.slots > 1 else 0.0
        return x + inset / 2, y + inset / 2, width - inset, height - inset

    def address_at(self, x: float, y: float) -> DieAddress | None:
        """The device whose cell holds the point (x, y); None between cells or outside."""
        if not (0 <= x < self.columns and 0 <= y < self.rows):
            return None
        column, row = int(x), int(y)
        for site in range(self.sites):
            for device in range(self.devices):
                address = DieAddress(column, row, site, device)
                x0, y0, w, h = self.cell(address)
                if x0 <= x <= x0 + w and y0 <= y <= y0 + h:
                    return address
        return None


def figure_label(figure: str, units: str) -> str:
    """A figure in words with its units: ``Vset (mV)``, ``set energy (pJ)``, ``delay fit V0
    (mV)`` (``delay_fit.V0_mV``), ``PPF at shortest`` (``ppf.ppf_at_shortest``)."""
    *parents, name = figure.split(".")
    words = NAMES.get(name) or (name.removesuffix(f"_{units}") if units else name)
    for parent in reversed(parents):
        parent_words = NAMES.get(parent, parent)
        if words.startswith(f"{parent}_"):
            words = parent_words + words[len(parent) :]
        else:
            words = f"{parent_words} {words}"
    words = words.replace("_", " ")
    return f"{words} ({units})" if units else words


def _addresses(table: pd.DataFrame) -> dict[DieAddress, int]:
    """The table row of each device that has a wafer address."""
    found = {}
    for k, values in enumerate(table[list(POSITION)].itertuples(index=False)):
        if not any(pd.isna(v) for v in values):
            found[DieAddress(*(int(v) for v in values))] = k
    return found


def _frame(ax, layout: MapLayout, title: str) -> None:
    ax.set_xlim(0, layout.columns)
    ax.set_ylim(layout.rows, 0)
    ax.set_aspect("equal")
    step = max(1, math.ceil(max(layout.columns, layout.rows) / 20))
    ax.set_xticks(np.arange(0, layout.columns, step) + 0.5, np.arange(0, layout.columns, step))
    ax.set_yticks(np.arange(0, layout.rows, step) + 0.5, np.arange(0, layout.rows, step))
    ax.tick_params(length=0, labelsize=8)
    ax.set_xlabel("column")
    ax.set_ylabel("row")
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(title, fontsize=10)


def _rectangles(layout: MapLayout, addresses) -> list[Rectangle]:
    return [Rectangle(layout.cell(a)[:2], *layout.cell(a)[2:]) for a in addresses]


def _missing(ax, layout: MapLayout, placed: dict) -> bool:
    """Grey hatched cells for the devices of the grid without a run; whether there were
    any."""
    absent = [a for a in layout.addresses() if a not in placed]
    if absent:
        ax.add_collection(PatchCollection(_rectangles(layout, absent), **MISSING))
    return bool(absent)


def _outline_failed(ax, layout: MapLayout, table: pd.DataFrame, placed: dict) -> bool:
    if "passed" not in table:
        return False
    failed = [a for a, k in placed.items() if table["passed"].iat[k] == "fail"]
    if failed:
        ax.add_collection(
            PatchCollection(
                _rectangles(layout, failed), facecolor="none", edgecolor=FAILED_EDGE, linewidth=1.4
            )
        )
    return bool(failed)


def _legend(ax, entries: list[Patch]) -> None:
    if entries:
        ax.legend(
            handles=entries,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            borderaxespad=LEGEND_BELOW,
            ncol=min(len(entries), 3),
            fontsize=8,
            frameon=False,
        )


def draw_figure_map(ax, table: pd.DataFrame, figure: str, layout: MapLayout):
    """The map of one figure: cells coloured by value (log scale where the values span
    decades), the devices without a value crossed, missing ones hatched, those failing a
    yield criterion outlined. Returns the colour mapping for a colour bar (None: no value
    to colour)."""
    units = table.attrs["figures"][figure]
    placed = _addresses(table)
    values = table[figure].to_numpy(dtype=float)
    was_tested = tested(table, figure).to_numpy()
    valued = {a: values[k] for a, k in placed.items() if np.isfinite(values[k])}
    empty = [a for a, k in placed.items() if a not in valued and was_tested[k]]
    untested = [a for a, k in placed.items() if a not in valued and not was_tested[k]]
    entries = []
    mapping = None
    if valued:
        finite = np.array(list(valued.values()))
        norm = (
            LogNorm(finite.min(), finite.max())
            if spans_decades(finite)
            else Normalize(finite.min(), finite.max())
        )
        cells = PatchCollection(
            _rectangles(layout, valued), cmap=COLOUR_MAP, norm=norm, edgecolor="none"
        )
        cells.set_array(finite)
        ax.add_collection(cells)
        mapping = cells
        if len(placed) <= ANNOTATE_CELLS:
            _annotate(ax, layout, valued, cells)
    if empty or untested:
        ax.add_collection(PatchCollection(_rectangles(layout, empty + untested), **NO_VALUE))
        for a in empty:
            x, y, w, h = layout.cell(a)
            ax.plot(
                [x + 0.2 * w, x + 0.8 * w, np.nan, x + 0.2 * w, x + 0.8 * w],
                [y + 0.2 * h, y + 0.8 * h, np.nan, y + 0.8 * h, y + 0.2 * h],
                color="0.3",
                lw=0.8,
            )
        if empty:
            entries.append(Patch(**NO_VALUE, label="tested, no value (x)"))
        if untested:
            entries.append(Patch(**NO_VALUE, label="not tested for it"))
    if _missing(ax, layout, placed):
        entries.append(Patch(**MISSING, label="no run in the file"))
    if _outline_failed(ax, layout, table, placed):
        entries.append(Patch(facecolor="none", edgecolor=FAILED_EDGE, label="fails a criterion"))
    label = figure_label(figure, units)
    scale = ", log scale" if mapping is not None and isinstance(mapping.norm, LogNorm) else ""
    _frame(
        ax, layout, f"{table.attrs.get('sample', '')}: {label} over {len(valued)} devices{scale}"
    )
    _legend(ax, entries)
    return mapping


def _annotate(ax, layout: MapLayout, valued: dict, cells) -> None:
    """The value in each cell, dark on light colours and light on dark ones."""
    colours = cells.to_rgba(np.array(list(valued.values())))
    size = 7 if layout.slots == 1 else 5
    for (address, value), rgba in zip(valued.items(), colours, strict=True):
        x, y, w, h = layout.cell(address)
        light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.5
        ax.text(
            x + w / 2,
            y + h / 2,
            f"{value:.2g}",
            ha="center",
            va="center",
            fontsize=size,
            color="black" if light else "white",
        )


def draw_yield_map(ax, judged: pd.DataFrame, layout: MapLayout) -> None:
    """Whether each device passes the yield criteria: pass, fail, not judged (tested for
    none); missing ones hatched."""
    placed = _addresses(judged)
    entries = []
    for outcome, colour in OUTCOME_COLOURS.items():
        cells = [a for a, k in placed.items() if judged["passed"].iat[k] == outcome]
        if cells:
            ax.add_collection(
                PatchCollection(_rectangles(layout, cells), facecolor=colour, edgecolor="none")
            )
            entries.append(Patch(facecolor=colour, label=f"{outcome} ({len(cells)})"))
    if _missing(ax, layout, placed):
        entries.append(Patch(**MISSING, label="no run in the file"))
    tested = judged["passed"].isin(["pass", "fail"])
    passed = int((judged["passed"] == "pass").sum())
    share = f" ({100 * passed / tested.sum():.0f} %)" if tested.any() else ""
    _frame(
        ax,
        layout,
        f"{judged.attrs.get('sample', '')}: yield, {passed} of {int(tested.sum())} "
        f"devices pass{share}",
    )
    _legend(ax, entries)


def map_figure(layout: MapLayout) -> Figure:
    """A figure sized for the map: the dies square, room for the legend and colour bar."""
    ratio = layout.rows / max(layout.columns, 1)
    return Figure(figsize=(7.5, min(9.0, max(4.0, 6.2 * ratio + 1.6))), dpi=120)


def colour_bar(fig: Figure, ax, mapping, label: str) -> None:
    """A colour bar beside the map, as tall as the map whatever its shape."""
    if mapping is not None:
        room = ax.inset_axes((1.03, 0.0, 0.035, 1.0))  # in the map's own coordinates
        fig.colorbar(mapping, cax=room).set_label(label)
