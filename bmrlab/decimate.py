"""Min/max decimation of a curve for live display: a million points drawn as a few thousand
that keep every peak (what a live plot needs; the file keeps every point)."""

import warnings

import numpy as np

BINS = 2000  # bins across the curve; two points (min and max) each


def peak_decimate(x, y, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """The minimum and maximum of ``y`` in each of ``bins`` equal slices of the points, in
    order, with the ``x`` of the slice's first point (short curves come back unchanged)."""
    x, y = np.asarray(x), np.asarray(y)
    n = len(y)
    if n <= 2 * bins:
        return x, y
    per = n // bins
    usable = per * bins
    shaped = y[:usable].reshape(bins, per)
    xs = x[:usable:per]
    out_x = np.repeat(xs, 2)
    with warnings.catch_warnings():  # a slice of only NaN (log scale, no data) stays NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        out_y = np.column_stack([np.nanmin(shaped, axis=1), np.nanmax(shaped, axis=1)]).ravel()
    return np.r_[out_x, x[usable:]], np.r_[out_y, y[usable:]]
