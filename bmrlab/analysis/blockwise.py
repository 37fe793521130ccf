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


def median(blocks: Blocks, count: int | None = None) -> float:
    """The median of every value (the mean of the two middle ones for an even ``count``, as
    ``np.median`` gives it for the whole series); NaN without values. ``count``: how many
    values there are, if known (saves a pass)."""
    if count is None:
        count = sum(np.size(block) for block in blocks())
    if count == 0:
        return float("nan")
    low, high = middle_pair(blocks, (count - 1) // 2, count // 2)
    return (low + high) / 2


def middle_pair(blocks: Blocks, first: int, second: int) -> tuple[float, float]:
    """The values of 0-based ranks ``first`` and ``second`` (equal, or ``first`` + 1) in the
    sorted series: a histogram of the range that holds them narrows it pass by pass, until
    its values fit in ``HELD``."""
    low, high, below = -np.inf, np.inf, 0  # the range [low, high]; ``below`` values under it
    while True:
        count, smallest, largest = extent(blocks, low, high)
        if smallest == largest:
            return smallest, smallest
        if count <= HELD:
            held = np.sort(np.concatenate([_within(block, low, high) for block in blocks()]))
            return float(held[first - below]), float(held[second - below])
        low, high = smallest, largest
        counts = sum(
            np.histogram(_within(block, low, high), BINS, (low, high))[0] for block in blocks()
        )
        edges = np.linspace(low, high, BINS + 1)  # the bins np.histogram used
        cumulative = np.cumsum(counts)
        j, k = np.searchsorted(cumulative, [first - below, second - below], side="right")
        if j != k:  # ``first`` is the largest of its bin, ``second`` the smallest of the next
            return (
                extent(blocks, *_bin_range(edges, j))[2],
                extent(blocks, *_bin_range(edges, k))[1],
            )
        below += int(cumulative[j - 1]) if j else 0
        low, high = _bin_range(edges, j)


def _bin_range(edges: np.ndarray, b: int) -> tuple[float, float]:
    """The closed range of bin ``b`` as np.histogram fills it: [edge, next edge), the last
    bin [edge, last edge]."""
    last = b == len(edges) - 2
    return edges[b], edges[-1] if last else np.nextafter(edges[b + 1], -np.inf)


def extent(blocks: Blocks, low: float, high: float) -> tuple[int, float, float]:
    """How many values lie in [low, high], the smallest and the largest of them."""
    count, smallest, largest = 0, np.inf, -np.inf
    for block in blocks():
        values = _within(block, low, high)
        if values.size:
            count += values.size
            smallest, largest = min(smallest, values.min()), max(largest, values.max())
    return count, float(smallest), float(largest)


def _within(block, low: float, high: float) -> np.ndarray:
    block = np.asarray(block, dtype=float)
    return block[(block >= low) & (block <= high)]


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
