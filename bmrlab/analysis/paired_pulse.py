"""Paired-pulse facilitation: the response to a second equal pulse against the interval.

The index of a pair is A2 / A1, the current at the end of the second pulse over that at the
end of the first (in a trace sampled across a generator's pair, the pulses are found in the
current itself) (the state the first pulse leaves raises the second's response, and it
fades as the gap relaxes). Over intervals, the median index of the repeats is fitted by
1 + C1 exp(-dt / tau1) + C2 exp(-dt / tau2), or by one exponential when the second term is
not determined (fewer than five intervals, or a second time constant that merges with the
first).
"""

import math
from collections.abc import Iterator
from enum import IntEnum

import numpy as np
from scipy.optimize import curve_fit


class PairedPulsePhase(IntEnum):
    """Where a sample of a pair is (the ``phase`` column of a paired-pulse run)."""

    INTERVAL = 0
    FIRST_PULSE = 1
    SECOND_PULSE = 2
    TRACE = 3  # a trace across a generator's pair: the pulses are found in the current


PAIR_COLUMNS = ("i_A", "phase", "interval_s")  # what ``pair_currents`` reads of each pair


def ppf_index(a1, a2) -> np.ndarray:
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


def _one(dt, c1, tau1):
    return 1 + c1 * np.exp(-dt / tau1)


def _two(dt, c1, tau1, c2, tau2):
    return 1 + c1 * np.exp(-dt / tau1) + c2 * np.exp(-dt / tau2)


def fit_ppf(intervals, index) -> dict | None:
    """Fit of the PPF index against the interval (s); None with fewer than three points."""
    dt, y = np.asarray(intervals, dtype=float), np.asarray(index, dtype=float)
    ok = np.isfinite(dt) & np.isfinite(y) & (dt > 0)
    dt, y = dt[ok], y[ok]
    if dt.size < 3:
        return None
    span = (float(dt.min()), float(dt.max()))
    c0 = float(y[np.argmin(dt)] - 1)
    try:
        (c1, tau1), _ = curve_fit(
            _one,
            dt,
            y,
            p0=(c0, math.sqrt(span[0] * span[1])),
            bounds=([-10, span[0] / 10], [10, span[1] * 10]),
        )
    except (RuntimeError, ValueError):
        return None
    result = {"C1": float(c1), "tau1_ms": float(tau1 * 1e3), "C2": 0.0, "tau2_ms": None, "terms": 1}
    if dt.size >= 5:
        try:
            p, _ = curve_fit(
                _two,
                dt,
                y,
                p0=(c1 / 2, tau1 / 3, c1 / 2, tau1 * 3),
                bounds=(
                    [-10, span[0] / 10, -10, span[0] / 10],
                    [10, span[1] * 10, 10, span[1] * 10],
                ),
            )
        except (RuntimeError, ValueError):
            return result
        (a, ta), (b, tb) = sorted([(p[0], p[1]), (p[2], p[3])], key=lambda x: x[1])
        one = np.sum((_one(dt, c1, tau1) - y) ** 2)
        two = np.sum((_two(dt, *p) - y) ** 2)
        if tb > 2 * ta and two < 0.5 * one:  # a second, distinct time constant that helps
            result = {
                "C1": float(a),
                "tau1_ms": float(ta * 1e3),
                "C2": float(b),
                "tau2_ms": float(tb * 1e3),
                "terms": 2,
            }
    return result
