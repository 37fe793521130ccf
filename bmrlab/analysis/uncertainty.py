"""Uncertainty of a figure: bootstrap 95 % confidence intervals.

A median over cycles, pulses or traces is reported with the interval a referee asks for
(Lanza et al., ACS Nano 15, 17214 (2021): report the spread and the statistics behind every
figure). The interval is a percentile bootstrap (scipy.stats.bootstrap), resampled with a
fixed seed so re-analysing a stored run gives the same interval as the run did.
"""

from collections.abc import Callable

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 2000
BLOCK_VALUES = 2**20  # resampled values held at once
SEED = 20211217  # fixed: an interval is a function of the data, re-analysis reproduces it


def bootstrap_interval(
    data: np.ndarray, statistic: Callable[[np.ndarray], float]
) -> tuple[float | None, float | None]:
    """The 95 % percentile-bootstrap interval of ``statistic`` over the rows of ``data``
    (a 1-D array of values, or 2-D rows such as a delay's [low, high] interval); ``(None,
    None)`` with fewer than two rows, where no interval can be estimated."""
    data = np.asarray(data, dtype=float)
    if len(data) < 2:
        return None, None
    rows = np.arange(len(data))
    result = stats.bootstrap(
        (rows,),
        lambda index: statistic(data[index]),
        vectorized=False,
        n_resamples=RESAMPLES,
        confidence_level=CONFIDENCE,
        method="percentile",
        rng=np.random.default_rng(SEED),
    )
    low, high = result.confidence_interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return None, None
    return float(low), float(high)


def median_interval(values: np.ndarray) -> tuple[float | None, float | None]:
    """The 95 % bootstrap interval of the median of ``values`` (finite), resampled in
    blocks so that memory stays small for long runs."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return None, None
    rng = np.random.default_rng(SEED)
    per_block = max(1, BLOCK_VALUES // len(values))
    medians = np.concatenate(
        [
            np.median(rng.choice(values, size=(min(per_block, RESAMPLES - done), len(values))), 1)
            for done in range(0, RESAMPLES, per_block)
        ]
    )
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)


PRECISION = 0.1  # characterize extends pulses or traces until a figure's interval is this tight


def known_within(median: float | None, low: float | None, high: float | None, precision: float):
    """Whether a median's 95 % interval [low, high] lies within +-``precision`` of it (a
    run's stopping rule: measure until the figure is known that well)."""
    if median is None or low is None or high is None or not median > 0:
        return False
    return high - median <= precision * median and median - low <= precision * median
