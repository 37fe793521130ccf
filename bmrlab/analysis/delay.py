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
midpoints would stick to the grid. Its 95 % confidence interval is the bootstrap over pulses
of that same interval median. The 5-95 % spread is that of the midpoints, as for the other
figures.

The energy of a set event is what the step delivered (the voltage recorded with each sample
times the current) from its start until the current reached 90 % of its switched level, each
sample's power held over the interval that ends at it: an upper bound that becomes the
integral of V I as the sampling gets finer (a recorded voltage that is the programmed level,
not a readback, is above what the device sees in compliance: still a bound). When the rise
is not resolved (fewer than two samples between the switching threshold and 90 %), the last
interval at the switched current dominates: the figure is then an upper bound set by the
sampling, and says so. Over the pulses that switched: median, its 95 % confidence interval
and the 5-95 % spread, in pJ.

Over amplitudes, ln t_d against V is fitted by the delay of a leaky integrating switch,
t_d = tau_x ln[x / (x - 1)] with x = tau_x sinh(V / V0) / tau0 (the gap closes at
sinh(V / V0) / tau0 and relaxes with tau_x; far above the DC threshold
V_th = V0 asinh(tau0 / tau_x) this is t_d = tau0 / sinh(V / V0)). With three amplitudes or
fewer, or when tau_x is not determined, the pure sinh form is fitted (tau_x infinite: the
fit reports tau_x and V_th as not determined). Each fitted parameter carries its standard
error from the fit's covariance.
"""

import math
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from .summary import no_median, spread
from .uncertainty import bootstrap_interval

THRESHOLD = 0.1  # a sample above this fraction of the switched current is switched
MIN_RISE = 3.0  # the switched current must exceed the baseline by this factor
SWITCHED_LEVEL = 0.9  # the set ends at the first sample at this fraction of the switched current
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
    switched = _switched_current(i, compliance)
    before = float(np.median(i[:2])) if baseline is None else baseline
    if not switched > MIN_RISE * before:
        return float(t[-1]), math.inf
    threshold = max(THRESHOLD * switched, math.sqrt(before * switched))
    k = int(np.flatnonzero(i > threshold)[0])
    return (float(t[k - 1]) if k else 0.0), float(t[k])


def _switched_current(i: np.ndarray, compliance: float | None) -> float:
    """The current a step switched to: the median of its last samples, at most the
    compliance."""
    switched = float(np.median(i[-TAIL:]))
    return min(switched, compliance) if compliance else switched


def set_energy(t, v, i, compliance: float | None, switched_by: float) -> tuple[float | None, bool]:
    """(energy in J, whether the rise was resolved) of one step. The energy is the sum over
    the samples, from the step's start to the first at ``SWITCHED_LEVEL`` of the switched
    current, of each sample's power v |i| held over the interval that ends at it: as the
    current only rises during a set, an upper bound of the integral of V I until the device
    reached its switched level, exact as the sampling gets finer. The rise is resolved if
    two or more samples lie between the switching threshold and that level (one alone may
    be a reading whose aperture straddles an abrupt jump). ``switched_by``: the end of
    the step's switching interval (``switch_interval``); (None, False) for a step that did
    not switch (inf) or had too few samples (nan)."""
    if not math.isfinite(switched_by):
        return None, False
    t, v, i = (np.asarray(x, dtype=float) for x in (t, v, i))
    ok = np.isfinite(t) & np.isfinite(v) & np.isfinite(i)
    t, v, i = t[ok], v[ok], np.abs(i[ok])
    level = SWITCHED_LEVEL * _switched_current(i, compliance)
    end = int(np.flatnonzero(i >= level)[0])
    held = np.diff(np.r_[0.0, t[: end + 1]])
    crossed = int(np.searchsorted(t, switched_by))  # the first sample above the threshold
    return float(np.sum(np.abs(v[: end + 1]) * i[: end + 1] * held)), end - crossed >= 2


def interval_quantile(intervals: np.ndarray, q: float) -> float:
    """The q-quantile of delays known to lie within intervals, each taken as uniform (a
    right-censored interval adds nothing below its start); inf if fewer than a fraction q
    of the delays are known to be finite. The distribution is piecewise linear between the
    intervals' ends, so the quantile is found exactly on the segment that crosses q."""
    lo, hi = intervals[:, 0], intervals[:, 1]
    width = np.maximum(hi - lo, 1e-15)
    ends = np.unique(np.concatenate([lo, (lo + width)[np.isfinite(hi)]]))
    cdf = np.mean(np.clip((ends[:, None] - lo) / width, 0.0, 1.0), axis=1)
    k = int(np.searchsorted(cdf, q - 1e-12))
    if k == ends.size:
        return math.inf
    if k == 0:
        return float(ends[0])
    fraction = (q - cdf[k - 1]) / (cdf[k] - cdf[k - 1])
    return float(ends[k - 1] + fraction * (ends[k] - ends[k - 1]))


def median_delay_ms(intervals: np.ndarray) -> float:
    """The interval median (``interval_quantile``) in ms: the delay figure."""
    return interval_quantile(intervals, 0.5) * 1e3


def median_interval_ms(intervals: np.ndarray) -> tuple[float | None, float | None]:
    """The bootstrap 95 % interval of ``median_delay_ms`` over the pulses. A resample whose
    median is censored (half of it did not switch) counts as longer than every step; an
    end of the interval beyond the longest step is not determined (None)."""
    longest = float(np.max(intervals[np.isfinite(intervals)])) * 1e3
    low, high = bootstrap_interval(intervals, lambda rows: min(median_delay_ms(rows), 2 * longest))
    return (
        None if low is None or low > longest else low,
        None if high is None or high > longest else high,
    )


def delay_summary(intervals: np.ndarray) -> dict:
    """Median delay (ms) over the pulses (those that did not switch count as longer than
    their step), the 5-95 % spread and midpoints of the switched ones, how many switched,
    and whether the median is resolved (fitted)."""
    measured = intervals[np.isfinite(intervals[:, 0])]
    switched = measured[np.isfinite(measured[:, 1])]
    summary = {"switched": len(switched), "pulses": len(measured)}
    if 2 * len(switched) <= len(measured):
        reason = (
            "half of the pulses or more did not switch within their time-out"
            if len(measured)
            else "no pulse was measured"
        )
        return {**summary, **no_median(reason, switched.mean(axis=1) * 1e3), "resolved": False}
    median = median_delay_ms(measured)
    ci_low, ci_high = median_interval_ms(measured)
    midpoints = switched.mean(axis=1) * 1e3
    p5, p95 = (float(x) for x in np.percentile(midpoints, [5, 95]))
    width = float(np.median(switched[:, 1] - switched[:, 0]))
    return {
        **summary,
        "median": median,
        "ci_low": ci_low,
        "ci_high": ci_high,
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


def _standard_error(covariance: np.ndarray, gradient) -> float | None:
    """The standard error of a function of the fitted parameters whose gradient with
    respect to them is ``gradient`` (delta method); None where the covariance is not
    determined (as many amplitudes as parameters)."""
    g = np.asarray(gradient, dtype=float)
    variance = float(g @ covariance @ g)
    return math.sqrt(variance) if math.isfinite(variance) and variance >= 0 else None


def fit_delay(volts, delays) -> dict | None:
    """Fit the delays (s) at amplitudes (V): V0 and tau0, and tau_x and the DC threshold
    when four or more amplitudes determine them (else None), each with its standard error
    (``<name>_se``, from the fit's covariance: the scatter of the medians about the model).
    None with fewer than three amplitudes."""
    v = np.asarray(volts, dtype=float)
    ln_t = np.log(np.asarray(delays, dtype=float))
    ok = np.isfinite(v) & np.isfinite(ln_t) & (v > 0)
    v, ln_t = v[ok], ln_t[ok]
    if np.unique(v).size < 3:
        return None
    slope = np.polyfit(v, ln_t, 1)[0]
    v0_guess = -1.0 / slope if slope < 0 else float(np.ptp(v))
    with warnings.catch_warnings():  # as many amplitudes as parameters: no covariance
        warnings.simplefilter("ignore", OptimizeWarning)
        (ln_tau0, v0), cov = curve_fit(
            _ln_delay_sinh,
            v,
            ln_t,
            p0=(ln_t.mean() + math.log(np.sinh(v / v0_guess).mean()), v0_guess),
            bounds=([-80, 1e-4], [20, 10]),
        )
    tau0 = math.exp(ln_tau0)
    result = {
        "V0_mV": float(v0 * 1e3),
        "V0_mV_se": _se_scaled(_standard_error(cov, [0, 1]), 1e3),
        "tau0_s": tau0,
        "tau0_s_se": _se_scaled(_standard_error(cov, [1, 0]), tau0),
        "tau_x_s": None,
        "tau_x_s_se": None,
        "V_th_mV": None,
        "V_th_mV_se": None,
        "points": int(v.size),
        "form": "sinh",
    }
    if np.unique(v).size < 4:
        return result
    best = None
    for tau_x in TAU_X_STARTS:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", OptimizeWarning)
                p, cov = curve_fit(
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
            best = (residual, p, cov)
    if best is not None and best[1][2] < 9.5:  # tau_x at its bound: not determined
        (ln_tau0, v0, ln_tau_x), cov = best[1], best[2]
        tau0, tau_x = math.exp(ln_tau0), math.exp(ln_tau_x)
        ratio = tau0 / tau_x
        slope = v0 * ratio / math.sqrt(1 + ratio**2)  # d V_th / d ln tau0
        result.update(
            {
                "V0_mV": float(v0 * 1e3),
                "V0_mV_se": _se_scaled(_standard_error(cov, [0, 1, 0]), 1e3),
                "tau0_s": tau0,
                "tau0_s_se": _se_scaled(_standard_error(cov, [1, 0, 0]), tau0),
                "tau_x_s": tau_x,
                "tau_x_s_se": _se_scaled(_standard_error(cov, [0, 0, 1]), tau_x),
                "V_th_mV": float(v0 * math.asinh(ratio) * 1e3),
                "V_th_mV_se": _se_scaled(
                    _standard_error(cov, [slope, math.asinh(ratio), -slope]), 1e3
                ),
                "form": "leaky",
            }
        )
    return result


def _se_scaled(se: float | None, scale: float) -> float | None:
    """A standard error in the units of its figure (a log-parameter's times the value)."""
    return None if se is None else se * scale


def energy_summary(energies: list[tuple[float | None, bool]]) -> dict:
    """The set energies (pJ) of the steps at one amplitude (``set_energy`` of each): the
    spread of those that switched, and in how many the rise was resolved."""
    summary = spread([e for e, _ in energies], 1e12, missing="no step switched")
    return {**summary, "rise_resolved": sum(1 for e, ok in energies if e is not None and ok)}


def summarize_delays(
    amplitudes, delay_at: float, pulse_amplitudes, intervals, energies=None
) -> dict:
    """The figures from each step's switching interval (``switch_interval``) and set energy
    (``set_energy``: J or None, rise resolved), one per entry of ``pulse_amplitudes``: the
    delay and energy summaries at each of ``amplitudes`` (V; keyed by mV), those at
    ``delay_at`` as the figures, and the fit of the resolved medians."""
    pulse_amplitudes = np.asarray(pulse_amplitudes, dtype=float)
    intervals = np.asarray(intervals, dtype=float).reshape(-1, 2)
    if energies is None:
        energies = [(None, False)] * len(pulse_amplitudes)
    by_amplitude, energy_by_amplitude, medians = {}, {}, []
    for v in amplitudes:
        here = np.isclose(pulse_amplitudes, v)
        summary = delay_summary(intervals[here])
        key = f"{v * 1e3:g}"
        by_amplitude[key] = summary
        energy_by_amplitude[key] = energy_summary(
            [e for e, h in zip(energies, here, strict=True) if h]
        )
        medians.append(summary["median"] * 1e-3 if summary["resolved"] else math.nan)
    at = f"{delay_at * 1e3:g}"
    return {
        "delay_ms": by_amplitude[at]["median"],
        "delay_at_mV": delay_at * 1e3,
        "set_energy_pJ": energy_by_amplitude[at]["median"],
        "set_energy_upper_bound": energy_by_amplitude[at]["median"] is not None
        and 2 * energy_by_amplitude[at]["rise_resolved"] < energy_by_amplitude[at]["n"],
        "delay_fit": fit_delay(amplitudes, medians),
        "stats": {
            "delay_ms": by_amplitude[at],
            "delay_by_mV": by_amplitude,
            "set_energy_pJ": energy_by_amplitude[at],
            "set_energy_by_mV": energy_by_amplitude,
        },
    }
