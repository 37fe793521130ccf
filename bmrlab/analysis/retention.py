"""Retention: how long the state a pulse set lasts, read at the read voltage afterwards.

After a pulse from the high-resistance state, short reads follow with 0 V between. The
threshold is the geometric mean of the on and off conductances (the first read after the
pulse, and an HRS read before it); the retention of a trace is the time from the end of the
pulse to the end of the first read below the threshold. A trace that never falls below it
within its window is censored at the window; one already below it at the first read was not
set by the pulse (retention 0).

Over traces, the figure is the median (censored traces count as longer, as for delays); the
decay is fitted as the survival of the on state, S(t) = exp(-(t / tau)^beta) for volatile
devices, and as a power-law drift of the conductance, G ~ t^-nu, for nonvolatile ones.
"""

import math
from enum import IntEnum

import numpy as np
from scipy.optimize import curve_fit

from .summary import spread


class RetentionPhase(IntEnum):
    """What each row of a retention run is (its ``phase`` column)."""

    HRS_READ = 0  # the read before the pulse
    PULSE = 1
    READ = 2  # a read after the pulse


def threshold_conductance(g_on: float, g_off: float) -> float:
    return math.sqrt(max(g_on, 1e-30) * max(g_off, 1e-30))


def trace_retention(t_end, g, g_off: float) -> tuple[float, bool]:
    """(retention, censored) of one trace: ``t_end`` the end of each read since the pulse
    ended, ``g`` its conductance; the first read gives the on conductance."""
    t_end, g = np.asarray(t_end, dtype=float), np.asarray(g, dtype=float)
    ok = np.isfinite(t_end) & np.isfinite(g)
    t_end, g = t_end[ok], g[ok]
    if g.size == 0:
        return math.nan, False
    threshold = threshold_conductance(g[0], g_off)
    if not g[0] > 10 * g_off:  # the pulse did not set the device
        return 0.0, False
    below = np.flatnonzero(g < threshold)
    if below.size == 0:
        return float(t_end[-1]), True
    return float(t_end[below[0]]), False


def retention_summary(retentions, censored) -> dict:
    """Median over traces (censored ones count as at least their window), the 5-95 % spread
    of the uncensored ones, and how many were censored."""
    r = np.asarray(retentions, dtype=float)
    c = np.asarray(censored, dtype=bool)
    ok = np.isfinite(r)
    r, c = r[ok], c[ok]
    stats = spread(r[~c], scale=1e3, missing="no trace lost its state within the window")
    stats.update(traces=int(r.size), censored=int(c.sum()))
    if r.size == 0:
        stats.update(median=None, reason="no trace was measured")
        return stats
    stats["median"] = float(np.median(r)) * 1e3
    stats["median_censored"] = bool(c.sum() * 2 >= r.size)  # then only a lower bound
    return stats


def _survival(t, tau, beta):
    return np.exp(-np.power(np.maximum(t, 0) / tau, beta))


def fit_survival(retentions, censored) -> dict | None:
    """Stretched-exponential fit of the fraction of traces still on against time."""
    r = np.asarray(retentions, dtype=float)
    c = np.asarray(censored, dtype=bool)
    lost = np.sort(r[np.isfinite(r) & ~c & (r > 0)])
    if lost.size < 3:
        return None
    n = np.isfinite(r).sum()
    surviving = 1.0 - (np.arange(1, lost.size + 1) - 0.5) / n
    try:
        (tau, beta), _ = curve_fit(
            _survival, lost, surviving, p0=(np.median(lost), 2.0), bounds=([1e-9, 0.1], [1e9, 50.0])
        )
    except (RuntimeError, ValueError):
        return None
    return {"tau_ms": float(tau * 1e3), "beta": float(beta), "traces": int(n)}


def fit_drift(t, g) -> dict | None:
    """Power-law drift G = G1 (t / 1 s)^-nu of a nonvolatile state read at log-spaced times."""
    t, g = np.asarray(t, dtype=float), np.asarray(g, dtype=float)
    ok = np.isfinite(t) & np.isfinite(g) & (t > 0) & (g > 0)
    if ok.sum() < 3:
        return None
    slope, intercept = np.polyfit(np.log10(t[ok]), np.log10(g[ok]), 1)
    return {"nu": float(-slope), "G_1s_S": float(10**intercept)}
