"""Cumulative distribution of a figure over the devices, as papers plot device-to-device
variation: the share of devices (%) at or below each value, one step per device, with the
median and the 5-95 % spread marked; a log axis where the values span decades."""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..plotting import plain_log_labels
from ..result_rows import value_text
from .distributions import spans_decades
from .maps import figure_label
from .table import figure_values


def draw_cumulative(ax, table: pd.DataFrame, figure: str) -> None:
    units = table.attrs["figures"][figure]
    values = np.sort(figure_values(table, figure))
    n = values.size
    share = 100 * np.arange(1, n + 1) / n
    p5, median, p95 = np.percentile(values, [5, 50, 95])
    ax.axvspan(p5, p95, color="tab:blue", alpha=0.08, label="5-95 % of the devices")
    ax.step(np.r_[values[0], values], np.r_[0, share], where="post", color="tab:blue", lw=1.2)
    ax.plot(values, share, "o", color="tab:blue", ms=3.5, label=f"{n} devices")
    ax.axvline(
        median,
        color="black",
        ls="--",
        lw=1,
        label=f"median {value_text(float(median), units)}",
    )
    if spans_decades(values):
        ax.set_xscale("log")
    ax.set_ylim(0, 100)
    ax.set_xlabel(figure_label(figure, units))
    ax.set_ylabel("cumulative share of devices (%)")
    spread = f"{value_text(float(p5), units)} .. {value_text(float(p95), units)}"
    ax.set_title(
        f"{table.attrs.get('sample', '')}: {figure_label(figure, units)} over {n} devices "
        f"(5-95 %: {spread})",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)


def cumulative_png(table: pd.DataFrame, figure: str, path) -> None:
    fig = Figure(figsize=(7, 5), dpi=120)
    draw_cumulative(fig.subplots(), table, figure)
    plain_log_labels(fig)
    fig.tight_layout()
    fig.savefig(path)
