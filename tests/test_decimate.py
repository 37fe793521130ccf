"""Min/max decimation keeps every peak of a long curve."""

import numpy as np

from bmrlab.decimate import peak_decimate


def test_a_long_curve_keeps_its_extremes_in_few_points():
    y = np.zeros(1_000_000)
    y[123_457] = 5.0
    y[876_543] = -3.0
    x = np.arange(y.size, dtype=float)
    dx, dy = peak_decimate(x, y, bins=1000)
    assert len(dy) <= 2000 + 1000
    assert dy.max() == 5.0 and dy.min() == -3.0
    assert np.all(np.diff(dx) >= 0)


def test_a_short_curve_is_unchanged():
    x, y = np.arange(10.0), np.arange(10.0) ** 2
    dx, dy = peak_decimate(x, y, bins=100)
    assert np.array_equal(dx, x) and np.array_equal(dy, y)
