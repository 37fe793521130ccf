"""Statistics of a series too long to hold in memory, from its blocks: the exact median in a
few passes, and a least-squares line from running sums.

``blocks`` is a function that returns a fresh iterable of 1-D arrays each time it is called
(a file read again from the start), so a 10^7-value series is summarised in memory that does
not grow with its length. The values must be finite.
"""

from collections.abc import Callable, Iterable

import numpy as np

Blocks = Callable[[], Iterable[np.ndarray]]

HELD = 1 << 20  # values held at once: the range holding a rank is narrowed until it fits
BINS = 4096  # bins of the histogram that narrows that range, per pass


def median(blocks: Blocks) -> float:
    """The median of every value (the mean of the two middle ones for an even count), as
    ``np.median`` would give it for the whole series; NaN without values."""
    n = sum(np.size(block) for block in blocks())
    if n == 0:
        return float("nan")
    low = select(blocks, (n - 1) // 2)
    return low if n % 2 else (low + select(blocks, n // 2)) / 2


def select(blocks: Blocks, rank: int) -> float:
    """The value of 0-based ``rank`` in the sorted series: a histogram of the values in the
    range that holds it narrows that range pass by pass, until its values fit in ``HELD``."""
    low, high, below = -np.inf, np.inf, 0  # the range [low, high]; ``below`` values under it

    def inside(block):
        block = np.asarray(block, dtype=float)
        return block[(block >= low) & (block <= high)]

    while True:
        count, smallest, largest = 0, np.inf, -np.inf
        for block in blocks():
            values = inside(block)
            if values.size:
                count += values.size
                smallest, largest = min(smallest, values.min()), max(largest, values.max())
        if smallest == largest:
            return float(smallest)
        if count <= HELD:
            held = np.concatenate([inside(block) for block in blocks()])
            return float(np.partition(held, rank - below)[rank - below])
        low, high = smallest, largest
        edges = np.linspace(low, high, BINS + 1)
        counts = np.zeros(BINS, np.int64)
        for block in blocks():
            where = np.searchsorted(edges, inside(block), side="right") - 1
            counts += np.bincount(np.minimum(where, BINS - 1), minlength=BINS)
        cumulative = np.cumsum(counts)
        j = int(np.searchsorted(cumulative, rank - below, side="right"))
        below += int(cumulative[j - 1]) if j else 0
        low = edges[j]
        high = largest if j == BINS - 1 else np.nextafter(edges[j + 1], -np.inf)


class Line:
    """A least-squares straight line y = a + b x fitted to points added block by block
    (means and co-moments merged per block, so long series keep their precision)."""

    def __init__(self):
        self.n, self.mean_x, self.mean_y, self.sxx, self.sxy = 0, 0.0, 0.0, 0.0, 0.0

    def add(self, x, y) -> None:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        m = x.size
        if m == 0:
            return
        mean_x, mean_y = float(x.mean()), float(y.mean())
        sxx = float(np.sum((x - mean_x) ** 2))
        sxy = float(np.sum((x - mean_x) * (y - mean_y)))
        n = self.n + m
        dx, dy = mean_x - self.mean_x, mean_y - self.mean_y
        self.sxx += sxx + dx * dx * self.n * m / n
        self.sxy += sxy + dx * dy * self.n * m / n
        self.mean_x += dx * m / n
        self.mean_y += dy * m / n
        self.n = n

    @property
    def slope(self) -> float | None:
        """b, or None with fewer than 3 points or no spread in x."""
        return self.sxy / self.sxx if self.n >= 3 and self.sxx > 0 else None
