"""Retention: how long the state a pulse set lasts, read at the read voltage afterwards.

After a pulse from the high-resistance state, short reads follow with 0 V between. A trace
was set by its pulse when the first read after it is threefold above the HRS read before it
(at least the floor of the fixed measure range); a trace the pulse did not set has no
retention: it is left out of the figure and counted as a failed set, and the fraction of
traces set is a figure of its own (the set probability). The threshold of a set trace is
the geometric mean of its on and off conductances (that first read, and the HRS read); its
retention is the time from the end of the pulse to the threshold's crossing, interpolated on
log G between the ends of the last read above it and the first below (a read below the HRS
read counts at it). Reads come every period (1.7 ms at the duty limit), coarse for a 5 ms
retention: the interpolation resolves the crossing within it, and for an abrupt loss (G_on
then G_off) it gives the middle of the two reads' interval, the unbiased estimate, as the
delay takes the middle of the sampling interval that holds the switch. A trace that never
falls below the threshold within its window is censored at the window.

Over the set traces, the figure is the median (censored traces count as longer, at their
window) with its bootstrap 95 % interval; with half of them censored or more it is a lower
bound. The same run measures the device's type: volatile when the state was lost within
``TYPE_BOUNDARY_S`` (the review's "tens of seconds"), nonvolatile when it lasted at least that
long, censored or not; a volatile device returns to its HRS by itself once the bias is
removed (Lanza et al., ACS Nano 15, 17214 (2021)). The decay is fitted
as the survival of the on state, S(t) = exp(-(t / tau)^beta) for volatile devices, and as a
power-law drift of the conductance, G ~ t^-nu, for nonvolatile ones.
"""

import math
from enum import IntEnum

import numpy as np
from scipy.optimize import curve_fit

from .summary import spread
from .uncertainty import bootstrap_interval, median_interval

SET_FACTOR = 3.0  # the first read after a pulse that set the device is this far above its HRS
# volatile or nonvolatile: retention shorter or longer than "tens of seconds" (Fu, Fu and Yao,
# Nanoscale 2023, the review that Table 1 comes from)
TYPE_BOUNDARY_S = 10.0
RANGE_FLOOR = 1e-3  # a read on a fixed measure range tells currents above this part of it


class RetentionPhase(IntEnum):
    """What each row of a retention run is (its ``phase`` column)."""

    HRS_READ = 0  # the read before the pulse
    PULSE = 1
    READ = 2  # a read after the pulse


def threshold_conductance(g_on: float, g_off: float) -> float:
    return math.sqrt(max(g_on, 1e-30) * max(g_off, 1e-30))


def floor_conductance(compliance: float, v_read: float) -> float:
    """The smallest conductance a read tells from nothing with the measure range fixed at
    the compliance: ``RANGE_FLOOR`` of the range, at ``v_read``. An HRS below it is taken
    at the floor."""
    return RANGE_FLOOR * compliance / v_read


def off_conductance(hrs_current: float, compliance: float, v_read: float) -> float:
    """G_off from the HRS read before a pulse, at least the floor."""
    return max(abs(hrs_current) / v_read, floor_conductance(compliance, v_read))


def pulse_set(g_first: float, g_off: float) -> bool:
    """Whether the pulse set the device: its first read after the pulse is ``SET_FACTOR``
    above the off conductance (the HRS read before the pulse, at least the floor)."""
    return bool(g_first > SET_FACTOR * g_off)


def trace_retention(t_end, g, g_off: float) -> tuple[float, bool]:
    """(retention, censored) of one trace: ``t_end`` the end of each read since the pulse
    ended, ``g`` its conductance; the first read gives the on conductance. A trace whose
    pulse did not set the device (:func:`pulse_set`) gives 0: its state never rose."""
    t_end, g = np.asarray(t_end, dtype=float), np.asarray(g, dtype=float)
    ok = np.isfinite(t_end) & np.isfinite(g)
    t_end, g = t_end[ok], g[ok]
    if g.size == 0:
        return math.nan, False
    if not pulse_set(g[0], g_off):
        return 0.0, False
    threshold = threshold_conductance(g[0], g_off)
    below = np.flatnonzero(g < threshold)
    if below.size == 0:
        return float(t_end[-1]), True
    k = below[0]  # >= 1: a set trace's first read is above the threshold
    high, low = math.log(g[k - 1]), math.log(max(g[k], g_off))
    fraction = (high - math.log(threshold)) / (high - low)
    return float(t_end[k - 1] + fraction * (t_end[k] - t_end[k - 1])), False


def trace_record(t_end, g, hrs_current: float, compliance: float, v_read: float) -> dict | None:
    """What the figures need from one trace (its reads ``t_end``, ``g`` and the HRS read
    before its pulse): retention, censored, set, G_on, G_off, the HRS read as a conductance,
    the end of its first read and its read period. None without a finite read."""
    t_end, g = np.asarray(t_end, dtype=float), np.asarray(g, dtype=float)
    ok = np.isfinite(t_end) & np.isfinite(g)
    if not ok.any():
        return None
    t_end, g = t_end[ok], g[ok]
    g_off = off_conductance(hrs_current, compliance, v_read)
    retention, censored = trace_retention(t_end, g, g_off)
    return {
        "retention": retention,
        "censored": censored,
        "set": pulse_set(g[0], g_off),
        "g_on": g[0],
        "g_off": g_off,
        "hrs": abs(hrs_current) / v_read,
        "first_read": t_end[0],
        "period": float(np.median(np.diff(t_end))) if t_end.size > 1 else math.nan,
    }


def read_scheme(first_read_end, periods, v_read: float, timed: bool) -> dict:
    """The read scheme as measured, medians over traces: an instrument-timed (``timed``)
    trace's first read ends one read after the pulse, its period is the spacing of its
    reads; host-timed log-spaced reads are single readings without a period."""
    scheme: dict = {"v_read_mV": v_read * 1e3, "read_ms": None, "period_ms": None, "duty": None}
    first_read_end = np.asarray(first_read_end, dtype=float)
    periods = np.asarray(periods, dtype=float)
    if timed and first_read_end.size:
        read = float(np.median(first_read_end))
        scheme["read_ms"] = read * 1e3
        periods = periods[np.isfinite(periods)]
        if periods.size:
            period = float(np.median(periods))
            scheme.update(period_ms=period * 1e3, duty=read / period)
    return scheme


def threshold_summary(g_on, g_off, hrs, floor: float) -> dict | None:
    """The threshold of the set traces and what it came from (medians); whether their HRS
    reads were below the ``floor`` (then the floor, not the device, sets the threshold)."""
    g_on, g_off = np.asarray(g_on, dtype=float), np.asarray(g_off, dtype=float)
    if not g_on.size:
        return None
    thresholds = [threshold_conductance(a, b) for a, b in zip(g_on, g_off, strict=True)]
    return {
        "threshold_S": float(np.median(thresholds)),
        "g_on_S": float(np.median(g_on)),
        "g_off_S": float(np.median(g_off)),
        "floor_S": floor,
        "hrs_at_floor": bool(np.median(hrs) <= floor),
    }


def retention_summary(retentions, censored, was_set, floor: float | None = None) -> dict:
    """Over the traces the pulse set: the median (censored ones count as at least their
    window) and its 95 % interval, the 5-95 % spread of those that lost their state; the
    traces measured, set, not set (failed sets) and censored. ``floor``: the floor
    conductance where the HRS reads were below it (a set is then judged against it)."""
    r = np.asarray(retentions, dtype=float)
    c = np.asarray(censored, dtype=bool)
    s = np.asarray(was_set, dtype=bool)
    ok = np.isfinite(r)
    r, c, s = r[ok], c[ok], s[ok]
    stats = spread(r[s & ~c], scale=1e3, missing="no set trace lost its state within the window")
    counts = {"traces": int(r.size), "set_traces": int(s.sum()), "failed_sets": int((~s).sum())}
    stats.update(counts, censored=int(c[s].sum()))
    if not s.any():
        reason = "no trace was measured" if r.size == 0 else failed_reason(r.size, floor)
        stats.update(median=None, ci_low=None, ci_high=None, reason=reason)
        return stats
    kept = r[s] * 1e3
    stats["median"] = float(np.median(kept))
    stats["ci_low"], stats["ci_high"] = median_interval(kept)
    stats["median_censored"] = bool(c[s].sum() * 2 >= kept.size)  # then only a lower bound
    return stats


def failed_reason(traces: int, floor: float | None = None) -> str:
    """Why there is no retention when no trace was set; with the HRS below the ``floor`` of
    the measure range, a set smaller than ``SET_FACTOR`` floors cannot be told apart."""
    which = "the one trace" if traces == 1 else f"any of {traces} traces"
    if floor is None:
        return (
            f"the pulse did not set the device in {which} (no first read "
            f"{SET_FACTOR:g}x above the HRS): no retention to measure"
        )
    return (
        f"the pulse did not set the device in {which}, or the measure range is too coarse "
        f"to tell: no first read {SET_FACTOR:g}x above the floor of the measure range "
        f"({floor:.2g} S; the HRS reads were below it)"
    )


def set_probability(was_set) -> dict:
    """The fraction of traces the pulse set, with its bootstrap 95 % interval."""
    s = np.asarray(was_set, dtype=float)
    if s.size == 0:
        return {"value": None, "ci_low": None, "ci_high": None, "n": 0}
    low, high = bootstrap_interval(s, np.mean)
    return {"value": float(s.mean()), "ci_low": low, "ci_high": high, "n": int(s.size)}


def measured_volatile(retention_ms: float | None, lower_bound: bool) -> bool | None:
    """The device's type from its retention (ms; ``lower_bound``: censored): volatile (True)
    when the state was lost within ``TYPE_BOUNDARY_S``, nonvolatile (False) when it lasted
    that long (or was still on after a window that long); None (undetermined) when no trace
    was set, or the state outlasted a window shorter than the boundary."""
    if retention_ms is None:
        return None
    if retention_ms * 1e-3 >= TYPE_BOUNDARY_S:
        return False
    return None if lower_bound else True


def _survival(t, tau, beta):
    return np.exp(-np.power(np.maximum(t, 0) / tau, beta))


def fit_survival(retentions, censored) -> dict | None:
    """Stretched-exponential fit of the fraction of (set) traces still on against time."""
    r = np.asarray(retentions, dtype=float)
    c = np.asarray(censored, dtype=bool)
    lost = np.sort(r[np.isfinite(r) & ~c & (r > 0)])
    if lost.size < 3:
        return None
    n = np.isfinite(r).sum()
    surviving = 1.0 - (np.arange(1, lost.size + 1) - 0.5) / n
    try:
        (tau, beta), pcov = curve_fit(
            _survival, lost, surviving, p0=(np.median(lost), 2.0), bounds=([1e-9, 0.1], [1e9, 50.0])
        )
    except (RuntimeError, ValueError):
        return None
    tau_se, beta_se = _standard_errors(pcov)
    return {
        "tau_ms": float(tau * 1e3),
        "tau_ms_se": None if tau_se is None else tau_se * 1e3,
        "beta": float(beta),
        "beta_se": beta_se,
        "traces": int(n),
    }


def _standard_errors(pcov) -> tuple[float | None, ...]:
    """Standard errors from a fit's covariance (None where it is not determined)."""
    return tuple(
        float(math.sqrt(v)) if math.isfinite(v) and v >= 0 else None for v in np.diag(pcov)
    )


def fit_drift(t, g) -> dict | None:
    """Power-law drift G = G1 (t / 1 s)^-nu of a nonvolatile state read at log-spaced times."""
    t, g = np.asarray(t, dtype=float), np.asarray(g, dtype=float)
    ok = np.isfinite(t) & np.isfinite(g) & (t > 0) & (g > 0)
    if ok.sum() < 3:
        return None
    x, y = np.log10(t[ok]), np.log10(g[ok])
    if ok.sum() > 3:
        (slope, intercept), pcov = np.polyfit(x, y, 1, cov=True)
        slope_se, intercept_se = _standard_errors(pcov)
    else:
        slope, intercept = np.polyfit(x, y, 1)
        slope_se = intercept_se = None
    g1 = float(10**intercept)
    return {
        "nu": float(-slope),
        "nu_se": slope_se,
        "G_1s_S": g1,
        "G_1s_S_se": None if intercept_se is None else g1 * math.log(10) * intercept_se,
    }
