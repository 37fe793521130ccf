"""Responses to trains of stimuli: read disturbance, spikes to fire, consolidation and
forgetting, levels against compliance, and the forming voltage. Each takes measured arrays
and returns numbers, or None with a reason where the data do not show the feature; a median
over repeats comes with its bootstrap 95 % confidence interval and a fitted slope with its
standard error."""

import math
from collections.abc import Callable, Iterable

import numpy as np
from scipy import stats

from . import blockwise
from .uncertainty import median_interval

FIRE_FRACTION = 0.1  # a spike whose current passes this fraction of compliance fired
DISTURB_FACTOR = 10.0  # a read this far from the first reads is a disturbed state
LEVEL_FACTOR = 2.0  # states closer than this are one level


def read_drift(blocks: Callable[[], Iterable[tuple]]) -> dict:
    """Conductance at the start and end of a series of reads, its drift per decade of time,
    and the time (s) from which the state stayed more than tenfold away from the starting
    one (a running median of five reads, so single noisy reads do not count; a state at the
    noise floor, three robust standard deviations of the reads, counts as the floor).

    ``blocks()`` gives the reads as (t, g) arrays block by block, afresh at each call: the
    series is read a few times (exact medians) and never held whole."""

    def finite():
        for t, g in blocks():
            t, g = np.asarray(t, dtype=float), np.abs(np.asarray(g, dtype=float))
            ok = np.isfinite(t) & np.isfinite(g)
            yield t[ok], g[ok]

    n, head, tail, line = 0, np.empty(0), np.empty(0), blockwise.Line()
    for t, g in finite():
        n += g.size
        head = np.r_[head, g[: 5 - head.size]] if head.size < 5 else head
        tail = np.r_[tail, g][-5:]
        positive = (t > 0) & (g > 0)
        line.add(np.log10(t[positive]), np.log10(g[positive]))
    if n < 10:
        return {"reason": "fewer than 10 reads"}
    start, end = float(np.median(head)), float(np.median(tail))
    center = blockwise.median(lambda: (g for _, g in finite()), n)
    floor = 3 * 1.4826 * blockwise.median(lambda: (np.abs(g - center) for _, g in finite()), n)
    reference = max(start, floor)
    (start_low, start_high), (end_low, end_high) = median_interval(head), median_interval(tail)
    return {
        "G_start_S": start,
        "G_start_S_ci_low": start_low,
        "G_start_S_ci_high": start_high,
        "G_end_S": end,
        "G_end_S_ci_low": end_low,
        "G_end_S_ci_high": end_high,
        "change": end / start if start else None,
        "decades_per_decade": line.slope,
        "decades_per_decade_se": _slope_error(finite(), line),
        "disturbed_after_s": _first_moved(finite(), start, reference, floor),
    }


def _slope_error(series, line: blockwise.Line) -> float | None:
    """The standard error of the slope of ``line`` (log G against log t), from one more pass
    over the reads for the residuals. It takes the reads as independent: a slow drift that
    correlates neighbouring reads makes the true error larger."""
    if line.slope is None or line.n < 3:
        return None
    residual = 0.0
    for t, g in series:
        positive = (t > 0) & (g > 0)
        x, y = np.log10(t[positive]), np.log10(g[positive])
        residual += float(np.sum((y - line.mean_y - line.slope * (x - line.mean_x)) ** 2))
    return math.sqrt(residual / (line.n - 2) / line.sxx)


def _first_moved(series, start: float, reference: float, floor: float) -> float | None:
    """The time of the middle read of the first five whose median is more than tenfold above
    ``reference`` (or tenfold below ``start``, when the start is above the floor)."""
    held_t, held_g = np.empty(0), np.empty(0)  # the last four reads of the previous block
    for t, g in series:
        held_t, held_g = np.r_[held_t, t], np.r_[held_g, g]
        if held_g.size >= 5:
            smooth = np.median(np.lib.stride_tricks.sliding_window_view(held_g, 5), axis=1)
            moved = np.flatnonzero(
                (smooth > DISTURB_FACTOR * reference)
                | ((smooth < start / DISTURB_FACTOR) & (start > DISTURB_FACTOR * floor))
            )
            if moved.size:
                return float(held_t[moved[0] + 2])
        held_t, held_g = held_t[-4:], held_g[-4:]
    return None


def spikes_to_fire(pulse, inside, i, compliance: float) -> int | None:
    """The number of the first spike during which the current passed 10 % of compliance."""
    pulse, inside = np.asarray(pulse), np.asarray(inside, dtype=bool)
    fired = inside & (np.abs(np.asarray(i, dtype=float)) >= FIRE_FRACTION * compliance)
    return int(pulse[fired][0]) if fired.any() else None


def fire_counts(counts, max_spikes: int) -> dict:
    """Median spikes to fire over trains (``inf``: the train never fired, counted as more than
    ``max_spikes``) with its 95 % confidence interval and the number of trains. The median, or
    a bound, is None where it lies beyond ``max_spikes`` (half the trains or more never
    fired: it is not bounded)."""
    counts = np.asarray(counts, dtype=float)
    never = 1e12  # beyond any count: a median or bound touching it is not bounded
    censored = np.where(np.isinf(counts), never, counts)

    def bounded(value):
        return None if value is None or value > max_spikes else float(value)

    low, high = median_interval(censored)
    median = float(np.median(censored)) if counts.size else None
    return {
        "median": bounded(median),
        "ci_low": bounded(low),
        "ci_high": bounded(high),
        "n": int(counts.size),
    }


SET_RISE = 3.0  # a state this far above the HRS was set


def consolidated(g_end: float, g_on: float, g_off: float) -> bool:
    """Whether a set state (``g_on`` above ``SET_RISE`` times ``g_off``) read at the end of
    the hold is still on (above sqrt(G_on G_off))."""
    return bool(g_on > SET_RISE * g_off and g_end > math.sqrt(max(g_on, 1e-30) * max(g_off, 1e-30)))


def log_slope(x, y) -> tuple[float | None, float | None]:
    """(slope, its standard error) of log10 y against log10 x over the positive finite
    points; (None, None) with fewer than three (the error needs a residual)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if ok.sum() < 3 or np.unique(x[ok]).size < 2:
        return None, None
    line = stats.linregress(np.log10(x[ok]), np.log10(y[ok]))
    return float(line.slope), float(line.stderr)


def levels(compliances, conductances) -> dict:
    """Median state per compliance with its 95 % confidence interval and count, the number
    of distinct levels (median states at least twofold apart) and the log-log slope of the
    state against the compliance, fitted to every read, with its standard error."""
    c = np.asarray(compliances, dtype=float)
    g = np.asarray(conductances, dtype=float)
    per_level = {float(x): g[(c == x) & np.isfinite(g)] for x in np.unique(c)}
    medians = {x: float(np.median(v)) if v.size else math.nan for x, v in per_level.items()}
    intervals = {x: median_interval(v) for x, v in per_level.items()}
    states = [v for v in medians.values() if np.isfinite(v) and v > 0]
    distinct = 0
    last = None
    for state in sorted(states):
        if last is None or state >= LEVEL_FACTOR * last:
            distinct, last = distinct + 1, state
    slope, slope_se = log_slope(c, g)
    return {
        "compliance_A": list(medians),
        "state_S": [v if np.isfinite(v) else None for v in medians.values()],
        "state_S_ci_low": [intervals[x][0] for x in medians],
        "state_S_ci_high": [intervals[x][1] for x in medians],
        "n": [int(v.size) for v in per_level.values()],
        "distinct_levels": distinct,
        "slope": slope,
        "slope_se": slope_se,
    }


def forming_voltage(amplitudes, read_resistance, target: float) -> float | None:
    """The first amplitude after which the read resistance was below ``target``."""
    r = np.asarray(read_resistance, dtype=float)
    below = np.flatnonzero(np.isfinite(r) & (r < target))
    return float(np.asarray(amplitudes)[below[0]]) if below.size else None
