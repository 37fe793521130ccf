"""Device-to-device distributions: for each figure, its median over the devices with the 95 %
interval of that median, the 5-95 % spread and the count, as papers report a figure over
many devices."""

import numpy as np
import pandas as pd

from ..analysis.uncertainty import median_interval
from .table import figure_values

LOG_SPAN = 100.0  # a figure whose values span this factor (two decades) is shown on log axes


def spans_decades(values: np.ndarray) -> bool:
    """Whether ``values`` (finite) are all positive and span at least ``LOG_SPAN``: a map's
    colour scale and a cumulative plot's axis are then logarithmic."""
    values = np.asarray(values, dtype=float)
    return bool(values.size) and values.min() > 0 and values.max() / values.min() >= LOG_SPAN


def distribution_table(table: pd.DataFrame) -> pd.DataFrame:
    """One row per figure with at least one value: devices, median [ci_low, ci_high], p5,
    p95, and whether it spans decades (then ``decades``: log10 of p95 / p5)."""
    rows = []
    for figure, units in table.attrs["figures"].items():
        values = figure_values(table, figure)
        if not values.size:
            continue
        p5, median, p95 = np.percentile(values, [5, 50, 95])
        low, high = median_interval(values)
        log = spans_decades(values)
        rows.append(
            {
                "figure": figure,
                "units": units,
                "devices": int(values.size),
                "median": float(median),
                "ci_low": low,
                "ci_high": high,
                "p5": float(p5),
                "p95": float(p95),
                "log_scale": log,
                "decades": float(np.log10(p95 / p5)) if log and p5 > 0 else float("nan"),
            }
        )
    columns = ["figure", "units", "devices", "median", "ci_low", "ci_high", "p5", "p95"]
    return pd.DataFrame(rows, columns=[*columns, "log_scale", "decades"])
