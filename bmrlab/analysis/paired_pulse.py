"""Paired-pulse facilitation: the response to a second equal pulse against the interval.

The index of a pair is A2 / A1, the current at the end of the second pulse over that at the
end of the first (in a trace sampled across a generator's pair, the pulses are found in the
current itself) (the state the first pulse leaves raises the second's response, and it
fades as the gap relaxes). At each interval the median index of the pairs is reported with
its bootstrap 95 % confidence interval. The pairs themselves, weighted by the spread at their
interval, are fitted by 1 + C1 exp(-dt / tau1) + C2 exp(-dt / tau2), or by one exponential
when the second term is not determined (fewer than five intervals, a second time constant
that merges with the first, or one the data do not call for); each parameter comes with its
standard error.
"""

import math
from collections.abc import Iterator
from enum import IntEnum

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit

from .uncertainty import median_interval


class PairedPulsePhase(IntEnum):
    """Where a sample of a pair is (the ``phase`` column of a paired-pulse run)."""

    INTERVAL = 0
    FIRST_PULSE = 1
    SECOND_PULSE = 2
    TRACE = 3  # a trace across a generator's pair: the pulses are found in the current


PAIR_COLUMNS = ("i_A", "phase", "interval_s")  # what ``pair_currents`` reads of each pair


def ppf_index(a1, a2) -> np.ndarray:
    """A2 / A1 of each pair; NaN where A1 is zero or a current is missing."""
    a1, a2 = np.abs(np.asarray(a1, dtype=float)), np.abs(np.asarray(a2, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a2 / a1
    return np.where(np.isfinite(ratio) & (a1 > 0), ratio, np.nan)


def pulse_ends(i, fraction: float = 0.5) -> list[int]:
    """Indices of the last sample of each pulse in a trace sampled across pulses (a pulse:
    consecutive samples above ``fraction`` of the largest |I|)."""
    i = np.abs(np.asarray(i, dtype=float))
    if not np.isfinite(i).any() or np.nanmax(i) <= 0:
        return []
    high = np.nan_to_num(i) > fraction * np.nanmax(i)
    edges = np.flatnonzero(high[:-1] & ~high[1:])
    return [int(k) for k in edges] + ([len(i) - 1] if high[-1] else [])


def pulse_currents(i, phase) -> tuple[float, float]:
    """(A1, A2) of one pair: the current at the end of each pulse (the last sample of phase
    ``FIRST_PULSE`` and ``SECOND_PULSE``, or of the two pulses found in a ``TRACE``); NaN
    where a pulse has no sample (its readings were above the measure range) or the pulses
    of a trace cannot be told apart (they merged)."""
    i, phase = np.asarray(i, dtype=float), np.asarray(phase)
    if phase[0] != PairedPulsePhase.TRACE:
        pulses = (
            i[phase == pulse]
            for pulse in (PairedPulsePhase.FIRST_PULSE, PairedPulsePhase.SECOND_PULSE)
        )
        first, second = (float(pulse[-1]) if len(pulse) else math.nan for pulse in pulses)
        return first, second
    ends = pulse_ends(i)
    return (float(i[ends[0]]), float(i[ends[1]])) if len(ends) == 2 else (math.nan, math.nan)


def pair_currents(pairs) -> Iterator[tuple[float, float, float]]:
    """(A1, A2, interval in s) of each pair; ``pairs`` gives (pair number, its
    ``PAIR_COLUMNS``) one pair at a time, as ``StoredRun.groups`` reads them."""
    for _, pair in pairs:
        a1, a2 = pulse_currents(pair["i_A"], pair["phase"])
        yield a1, a2, float(pair["interval_s"][0])


def median_with_interval(index) -> tuple[float | None, float | None, float | None, int]:
    """(median, 95 % CI low, high, n) of the finite indices of the pairs at one interval;
    (None, None, None, 0) when no pair gave one."""
    finite = np.asarray(index, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not finite.size:
        return None, None, None, 0
    low, high = median_interval(finite)
    return float(np.median(finite)), low, high, int(finite.size)


def _one(dt, c1, tau1):
    return 1 + c1 * np.exp(-dt / tau1)


def _two(dt, c1, tau1, c2, tau2):
    return 1 + c1 * np.exp(-dt / tau1) + c2 * np.exp(-dt / tau2)


SECOND_TERM_P = 0.01  # an F-test must reject one exponential at this level for a second term
UNEQUAL_SPREAD_P = 0.01  # Levene's test: the pairs are weighted by their interval's spread


def interval_sigmas(dt: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """The standard deviation of the pairs at each point's interval (the weight of the
    point in the fit), where the spread differs between the intervals (Levene's test at
    ``UNEQUAL_SPREAD_P``; weights estimated from a few pairs only add noise where it does
    not). An interval with one pair, or pairs that all agree, takes the median of the
    others. None (equal weights) when the spreads agree or no interval has two pairs."""
    groups = {float(interval): y[dt == interval] for interval in np.unique(dt)}
    varying = {x: group for x, group in groups.items() if group.size >= 2 and np.std(group) > 0}
    if len(varying) < 2 or stats.levene(*varying.values()).pvalue >= UNEQUAL_SPREAD_P:
        return None
    spread = {x: float(np.std(group, ddof=1)) for x, group in varying.items()}
    typical = float(np.median(list(spread.values())))
    return np.array([spread.get(float(interval), typical) for interval in dt])


def _fit(model, dt, y, sigma, p0, bounds):
    """(parameters, standard errors or None each, weighted residual sum of squares); None
    when the fit does not converge."""
    try:
        p, pcov = curve_fit(model, dt, y, p0=p0, sigma=sigma, bounds=bounds)
    except (RuntimeError, ValueError):
        return None
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.diag(pcov))
    errors = [float(e) if np.isfinite(e) else None for e in se]
    return p, errors, float(np.sum(_weights(y, sigma) * (model(dt, *p) - y) ** 2))


def _weights(y: np.ndarray, sigma: np.ndarray | None) -> np.ndarray:
    return np.ones_like(y) if sigma is None else 1 / sigma**2


def _determined(values, errors) -> bool:
    """Every parameter at least twice its standard error."""
    return all(e is not None and abs(v) > 2 * e for v, e in zip(values, errors, strict=True))


def fit_ppf(intervals, index) -> dict | None:
    """Fit of the PPF index against the interval (s), with the standard error of each
    parameter (``<name>_se``, from the covariance of the fit); None with fewer than three
    distinct intervals.

    The points are the pairs themselves (or one median per interval): each is weighted by the
    spread of the pairs at its interval (:func:`interval_sigmas`), so a noisy interval counts
    less. A second exponential is kept only when it is distinct (tau2 > 2 tau1), an F-test
    rejects one exponential at ``SECOND_TERM_P`` and every parameter is determined."""
    dt, y = np.asarray(intervals, dtype=float), np.asarray(index, dtype=float)
    ok = np.isfinite(dt) & np.isfinite(y) & (dt > 0)
    dt, y = dt[ok], y[ok]
    distinct = np.unique(dt).size
    if distinct < 3:
        return None
    sigma = interval_sigmas(dt, y)
    span = (float(dt.min()), float(dt.max()))
    c0 = float(np.median(y[dt == span[0]]) - 1)
    one = _fit(
        _one,
        dt,
        y,
        sigma,
        (c0, math.sqrt(span[0] * span[1])),
        ([-10, span[0] / 10], [10, span[1] * 10]),
    )
    if one is None:
        return None
    (c1, tau1), (c1_se, tau1_se), rss1 = one
    result = {
        "C1": float(c1),
        "C1_se": c1_se,
        "tau1_ms": float(tau1 * 1e3),
        "tau1_ms_se": None if tau1_se is None else tau1_se * 1e3,
        "C2": 0.0,
        "C2_se": None,
        "tau2_ms": None,
        "tau2_ms_se": None,
        "terms": 1,
    }
    if distinct < 5:
        return result
    two = _fit(
        _two,
        dt,
        y,
        sigma,
        (c1 / 2, tau1 / 3, c1 / 2, tau1 * 3),
        ([-10, span[0] / 10, -10, span[0] / 10], [10, span[1] * 10, 10, span[1] * 10]),
    )
    if two is None:
        return result
    p, se, rss2 = two
    (a, ta, a_se, ta_se), (b, tb, b_se, tb_se) = sorted(
        [(p[0], p[1], se[0], se[1]), (p[2], p[3], se[2], se[3])], key=lambda term: term[1]
    )
    weights = _weights(y, sigma)
    total = float(np.sum(weights * (y - np.average(y, weights=weights)) ** 2))
    improvement = rss1 - rss2
    if improvement <= 1e-10 * total:  # no better than rounding: one exponential describes it
        return result
    f_value = (improvement / 2) / (rss2 / (dt.size - 4)) if rss2 > 0 else math.inf
    if (
        tb > 2 * ta
        and stats.f.sf(f_value, 2, dt.size - 4) < SECOND_TERM_P
        and _determined((a, ta, b, tb), (a_se, ta_se, b_se, tb_se))
    ):
        result = {
            "C1": float(a),
            "C1_se": a_se,
            "tau1_ms": float(ta * 1e3),
            "tau1_ms_se": ta_se * 1e3,
            "C2": float(b),
            "C2_se": b_se,
            "tau2_ms": float(tb * 1e3),
            "tau2_ms_se": tb_se * 1e3,
            "terms": 2,
        }
    return result
