"""Switching delay: how long a step from the high-resistance state takes to set the device.

For one pulse, the current is sampled throughout the step to V, each sample timed from the
start of the step. The switch happened after the last sample below 10 % of the switched
current (the median of the pulse's last samples, at most the compliance) and at or before
the first sample above it: each pulse gives an interval. For a device whose whole window is
about a decade, 10 % of the switched current is the high-resistance current itself; the
threshold is then the geometric mean of the two. A pulse whose current never rises threefold
above the high-resistance current did not switch within its time-out: its delay is longer
than the step (a right-censored interval, up to infinity), which still counts in the median.

Over pulses, the median is that of the pulses' intervals taken as uniform within each
(interval-censored data): the cycle-to-cycle spread of the delay dithers the sampling grid,
so the median is found to a fraction of a sample interval, where the median of the interval
midpoints would stick to the grid. The 5-95 % spread is that of the midpoints, as for the
other figures.

Over amplitudes, ln t_d against V is fitted by the delay of a leaky integrating switch,
t_d = tau_x ln[x / (x - 1)] with x = tau_x sinh(V / V0) / tau0 (the gap closes at
sinh(V / V0) / tau0 and relaxes with tau_x; far above the DC threshold
V_th = V0 asinh(tau0 / tau_x) this is t_d = tau0 / sinh(V / V0)). With three amplitudes or
fewer, or when tau_x is not determined, the pure sinh form is fitted (tau_x infinite: the
fit reports tau_x and V_th as not determined).
"""

import math

import numpy as np
from scipy.optimize import brentq, curve_fit

THRESHOLD = 0.1  # a sample above this fraction of the switched current is switched
MIN_RISE = 3.0  # the switched current must exceed the baseline by this factor
TAIL = 5  # samples at the end of a pulse that give its switched current
RESOLVED_INTERVALS = 1.5  # a median shorter than this many sample intervals is not fitted
TAU_X_STARTS = (1e-3, 1e-2, 1e-1, 1.0, 10.0)


def switch_interval(
    t, i, compliance: float | None = None, baseline: float | None = None
) -> tuple[float, float]:
    """(after, at or before): the times since the step began between which the pulse
    switched; (end of the step, inf) if it did not switch; (nan, nan) without enough data.
    ``baseline``: the high-resistance current expected at the amplitude (from a read before
    the pulse); without it, the first samples."""
    t, i = np.asarray(t, dtype=float), np.abs(np.asarray(i, dtype=float))
    ok = np.isfinite(t) & np.isfinite(i)
    t, i = t[ok], i[ok]
    if i.size < TAIL + 2:
        return math.nan, math.nan
    switched = float(np.median(i[-TAIL:]))
    if compliance:
        switched = min(switched, compliance)
    before = float(np.median(i[:2])) if baseline is None else baseline
    if not switched > MIN_RISE * before:
        return float(t[-1]), math.inf
    threshold = max(THRESHOLD * switched, math.sqrt(before * switched))
    k = int(np.flatnonzero(i > threshold)[0])
    return (float(t[k - 1]) if k else 0.0), float(t[k])


def interval_quantile(intervals: np.ndarray, q: float) -> float:
    """The q-quantile of delays known to lie within intervals, each taken as uniform."""
    lo, hi = intervals[:, 0], intervals[:, 1]

    def cdf(x):
        width = np.maximum(hi - lo, 1e-15)
        return float(np.mean(np.clip((x - lo) / width, 0.0, 1.0)))

    a, b = float(lo.min()), float(hi[np.isfinite(hi)].max())
    if cdf(a) >= q:
        return a
    return brentq(lambda x: cdf(x) - q, a, b, xtol=1e-12)


def delay_summary(intervals: np.ndarray) -> dict:
    """Median delay (ms) over the pulses (those that did not switch count as longer than
    their step), the 5-95 % spread and midpoints of the switched ones, how many switched,
    and whether the median is resolved (fitted)."""
    measured = intervals[np.isfinite(intervals[:, 0])]
    switched = measured[np.isfinite(measured[:, 1])]
    summary = {"switched": len(switched), "pulses": len(measured)}
    if 2 * len(switched) <= len(measured):
        return {
            **summary,
            "median": None,
            "p5": None,
            "p95": None,
            "n": len(switched),
            "values": [float(v) for v in switched.mean(axis=1) * 1e3],
            "resolved": False,
            "reason": "half of the pulses or more did not switch within their time-out"
            if len(measured)
            else "no pulse was measured",
        }
    median = interval_quantile(measured, 0.5) * 1e3
    midpoints = switched.mean(axis=1) * 1e3
    p5, p95 = (float(x) for x in np.percentile(midpoints, [5, 95]))
    width = float(np.median(switched[:, 1] - switched[:, 0]))
    return {
        **summary,
        "median": median,
        "p5": p5,
        "p95": p95,
        "n": len(switched),
        "values": [float(v) for v in midpoints],
        "resolved": median * 1e-3 >= RESOLVED_INTERVALS * width,
    }


def _ln_delay(v, ln_tau0, v0, ln_tau_x):
    tau0, tau_x = np.exp(ln_tau0), np.exp(ln_tau_x)
    x = tau_x * np.sinh(v / v0) / tau0
    with np.errstate(all="ignore"):
        return np.where(x > 1, np.log(tau_x * np.log(x / np.maximum(x - 1, 1e-300))), 50.0)


def _ln_delay_sinh(v, ln_tau0, v0):
    return ln_tau0 - np.log(np.sinh(v / v0))


def fit_delay(volts, delays) -> dict | None:
    """Fit the delays (s) at amplitudes (V): V0 and tau0, and tau_x and the DC threshold
    when four or more amplitudes determine them (else None). None with fewer than three
    amplitudes."""
    v = np.asarray(volts, dtype=float)
    ln_t = np.log(np.asarray(delays, dtype=float))
    ok = np.isfinite(v) & np.isfinite(ln_t) & (v > 0)
    v, ln_t = v[ok], ln_t[ok]
    if np.unique(v).size < 3:
        return None
    slope = np.polyfit(v, ln_t, 1)[0]
    v0_guess = -1.0 / slope if slope < 0 else float(np.ptp(v))
    (ln_tau0, v0), _ = curve_fit(
        _ln_delay_sinh,
        v,
        ln_t,
        p0=(ln_t.mean() + math.log(np.sinh(v / v0_guess).mean()), v0_guess),
        bounds=([-80, 1e-4], [20, 10]),
    )
    result = {
        "V0_mV": float(v0 * 1e3),
        "tau0_s": float(math.exp(ln_tau0)),
        "tau_x_s": None,
        "V_th_mV": None,
        "points": int(v.size),
        "form": "sinh",
    }
    if np.unique(v).size < 4:
        return result
    best = None
    for tau_x in TAU_X_STARTS:
        try:
            p, _ = curve_fit(
                _ln_delay,
                v,
                ln_t,
                p0=(ln_tau0, v0, math.log(tau_x)),
                bounds=([-80, 1e-4, -15], [20, 10, 10]),
                maxfev=20_000,
            )
        except (RuntimeError, ValueError):
            continue
        residual = float(np.sum((_ln_delay(v, *p) - ln_t) ** 2))
        if best is None or residual < best[0]:
            best = (residual, p)
    if best is not None and best[1][2] < 9.5:  # tau_x at its bound: not determined
        ln_tau0, v0, ln_tau_x = best[1]
        tau0, tau_x = math.exp(ln_tau0), math.exp(ln_tau_x)
        result.update(
            {
                "V0_mV": float(v0 * 1e3),
                "tau0_s": tau0,
                "tau_x_s": tau_x,
                "V_th_mV": float(v0 * math.asinh(tau0 / tau_x) * 1e3),
                "form": "leaky",
            }
        )
    return result


def summarize_delays(amplitudes, delay_at: float, pulse_amplitudes, intervals) -> dict:
    """The figures from each step's switching interval (``switch_interval``, one per entry of
    ``pulse_amplitudes``): the delay summary at each of ``amplitudes`` (V; keyed by mV), the
    one at ``delay_at`` as the delay figure, and the fit of the resolved medians."""
    pulse_amplitudes = np.asarray(pulse_amplitudes, dtype=float)
    intervals = np.asarray(intervals, dtype=float).reshape(-1, 2)
    by_amplitude, medians = {}, []
    for v in amplitudes:
        summary = delay_summary(intervals[np.isclose(pulse_amplitudes, v)])
        by_amplitude[f"{v * 1e3:g}"] = summary
        medians.append(summary["median"] * 1e-3 if summary["resolved"] else math.nan)
    at = by_amplitude[f"{delay_at * 1e3:g}"]
    return {
        "delay_ms": at["median"],
        "delay_at_mV": delay_at * 1e3,
        "delay_fit": fit_delay(amplitudes, medians),
        "stats": {"delay_ms": at, "delay_by_mV": by_amplitude},
    }
