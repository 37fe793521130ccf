"""Median with its 95 % confidence interval and 5-95 % spread of a per-cycle figure, as the
field reports them."""

import math

import numpy as np

from .uncertainty import median_interval


def spread(values, scale: float = 1.0, missing: str = "not found in any cycle") -> dict:
    """Summary of the finite values: median and its bootstrap 95 % interval, 5th and 95th
    percentile, count, all values.

    With no value at all, ``reason`` says why the figure is missing.
    """
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    finite = finite * scale
    if finite.size == 0:
        return no_median(missing)
    p5, median, p95 = np.percentile(finite, [5, 50, 95])
    ci_low, ci_high = median_interval(finite)
    return {
        "median": float(median),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "p5": float(p5),
        "p95": float(p95),
        "n": int(finite.size),
        "values": [float(v) for v in finite],
    }


def no_median(reason: str, values=()) -> dict:
    """A summary without a median: why, and the values that were counted (too few, or not
    the kind the median is over)."""
    values = [float(v) for v in values]
    return {
        "median": None,
        "ci_low": None,
        "ci_high": None,
        "p5": None,
        "p95": None,
        "n": len(values),
        "values": values,
        "reason": reason,
    }
