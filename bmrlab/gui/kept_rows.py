"""What the live plot keeps of one curve's rows: a bounded sample that holds every peak.

The file keeps every row; the plot needs only what can be seen. Rows are kept whole (every
column, so another column can be chosen later) until there are twice ``capacity`` of them;
then they are thinned to ``capacity`` by min/max over slices of the drawn y, in arrival
order, as :func:`bmrlab.decimate.peak_decimate` does for a drawing. Older rows are thinned
again and again, the newest ones least, so the memory is the same for any run length.
"""

import numpy as np


def peak_rows(y: np.ndarray, bins: int) -> np.ndarray:
    """Indices, in order, of the smallest and the largest ``y`` in each of ``bins`` equal
    slices (NaN counts as neither), and every row after the last whole slice."""
    n = len(y)
    per = n // bins
    if per < 2:
        return np.arange(n)
    shaped = y[: per * bins].reshape(bins, per)
    starts = np.arange(bins) * per
    low = starts + np.argmin(np.where(np.isnan(shaped), np.inf, shaped), axis=1)
    high = starts + np.argmax(np.where(np.isnan(shaped), -np.inf, shaped), axis=1)
    return np.unique(np.r_[low, high, np.arange(per * bins, n)])


class KeptRows:
    """The rows of one group (a cycle, a pulse, a trace), thinned to at most about twice
    ``capacity``."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.parts: list[dict] = []  # column -> values, in arrival order
        self.rows = 0

    def add(self, rows: dict, thin_by) -> None:
        """Keep ``rows`` (column -> array of one length); ``thin_by(columns)`` gives the
        values whose peaks must survive thinning (the drawn y)."""
        self.parts.append(rows)
        self.rows += len(next(iter(rows.values())))
        if self.rows > 2 * self.capacity:
            columns = self.columns()
            kept = peak_rows(thin_by(columns), self.capacity // 2)
            self.parts = [{name: values[kept] for name, values in columns.items()}]
            self.rows = len(kept)

    def columns(self) -> dict:
        """Every column of the kept rows, as one array each."""
        if len(self.parts) > 1:
            names = [name for name in self.parts[0] if all(name in p for p in self.parts)]
            self.parts = [{name: np.concatenate([p[name] for p in self.parts]) for name in names}]
        return self.parts[0] if self.parts else {}

    def nbytes(self) -> int:
        return sum(values.nbytes for part in self.parts for values in part.values())
