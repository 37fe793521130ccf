"""Statistics of long series from their blocks: exact against numpy on the whole series,
whatever the block boundaries and however little is held at once."""

import numpy as np
import pytest

from bmrlab.analysis import blockwise
from bmrlab.analysis.stimulus_response import read_drift


def split(values, size):
    return lambda: (values[k : k + size] for k in range(0, len(values), size))


@pytest.fixture
def little_held(monkeypatch):
    """Hold at most 50 values and narrow by 8 bins a pass: many passes on small data."""
    monkeypatch.setattr(blockwise, "HELD", 50)
    monkeypatch.setattr(blockwise, "BINS", 8)


@pytest.mark.parametrize("n", [1, 2, 999, 1000])
def test_the_median_is_numpys_in_few_values_held(little_held, n):
    values = np.random.default_rng(n).lognormal(-25, 3, n)
    assert blockwise.median(split(values, 37)) == np.median(values)


def test_the_median_of_repeated_and_quantized_values(little_held):
    values = np.round(np.random.default_rng(1).normal(0, 3, 2001)) * 1e-12
    values[:700] = 5e-12  # many equal values straddle the middle
    assert blockwise.median(split(values, 100)) == np.median(values)
    assert blockwise.median(split(np.full(300, 2.5), 7)) == 2.5
    two_states = np.r_[np.zeros(100), np.ones(100)]  # the middle pair in different bins
    assert blockwise.median(split(two_states, 30)) == 0.5
    assert np.isnan(blockwise.median(split(np.empty(0), 10)))


def test_the_line_slope_is_the_least_squares_one_in_blocks():
    rng = np.random.default_rng(2)
    x = np.log10(np.arange(1, 5001) * 1e-3)
    y = -0.3 * x + 2 + rng.normal(0, 0.1, x.size)
    line = blockwise.Line()
    for k in range(0, x.size, 333):
        line.add(x[k : k + 333], y[k : k + 333])
    assert line.slope == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-10)
    short = blockwise.Line()
    short.add([1.0, 2.0], [1.0, 2.0])
    assert short.slope is None  # fewer than three points


def test_read_drift_does_not_depend_on_the_blocks(little_held):
    """A disturbance found by the running median across block boundaries, the floor from
    the exact median of the reads."""
    rng = np.random.default_rng(3)
    t = np.arange(1, 3001) * 1e-3
    g = np.abs(rng.normal(1e-11, 2e-12, t.size))
    g[1203:] = 1e-6
    g[600] = 1e-6  # one noisy read is not a disturbance
    whole = read_drift(lambda: [(t, g)])
    assert whole["disturbed_after_s"] == pytest.approx(t[1203])
    for size in (4, 5, 97):
        pieces = read_drift(
            lambda size=size: ((t[k : k + size], g[k : k + size]) for k in range(0, t.size, size))
        )
        assert pieces["disturbed_after_s"] == whole["disturbed_after_s"]
        assert pieces["G_start_S"] == whole["G_start_S"]
        assert pieces["G_end_S"] == whole["G_end_S"]
        assert pieces["decades_per_decade"] == pytest.approx(whole["decades_per_decade"])
