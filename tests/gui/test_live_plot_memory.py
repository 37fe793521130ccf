"""Issue 19: the live plot holds a bounded, decimated view, so its memory does not grow with
the run (it kept every batch: about 93 bytes a row, 1.1 GB for 10^7 rows)."""

import numpy as np

from bmrlab.benchmarks.gui import iv_batches
from bmrlab.gui.kept_rows import KeptRows, peak_rows
from bmrlab.gui.live_plot import GROUP_ROWS, GROUPS, LivePlot
from bmrlab.procedures import PROTOCOLS


def feed(plot: LivePlot, batches) -> None:
    for k, batch in enumerate(batches):
        plot.add(batch)
        if k % 10 == 0:  # the window redraws about every ten batches
            plot.refresh()
    plot.refresh()


def drawn_points(plot: LivePlot) -> int:
    return sum(len(curve.getData()[0]) for curve in plot.curves.values())


def test_a_million_rows_take_the_memory_of_a_hundred_thousand(qtbot):
    plot = LivePlot()
    qtbot.addWidget(plot)
    cls = PROTOCOLS["iv-sweep"]
    plot.begin(cls.LIVE_PLOT, cls.COLUMNS)
    batches = iv_batches(1_200_000)
    feed(plot, (next(batches) for _ in range(200)))  # 10^5 rows
    held_short, drawn_short = plot.nbytes(), drawn_points(plot)
    feed(plot, batches)  # 1.1x10^6 rows more
    assert len(plot.groups) <= GROUPS and len(plot.curves) <= GROUPS
    assert plot.nbytes() < 1.3 * held_short  # flat, not 12 times more
    assert drawn_points(plot) < 1.3 * drawn_short
    assert plot.nbytes() / 1_200_000 < 5  # bytes per row received
    cycles = list(plot.groups)
    assert cycles[0] == 1 and cycles[-1] == 1_200_000 // 652 + 1  # the first and the latest
    assert cycles[-GROUPS // 2 :] == list(range(cycles[-1] - GROUPS // 2 + 1, cycles[-1] + 1))


def test_one_long_curve_is_thinned_and_keeps_its_peaks(qtbot):
    plot = LivePlot()
    qtbot.addWidget(plot)
    cls = PROTOCOLS["read-disturb"]
    plot.begin(cls.LIVE_PLOT, cls.COLUMNS)
    rng = np.random.default_rng(5)
    spike_at, rows = 654_321, 1_000_000
    batches = []
    for start in range(0, rows, 5000):
        k = np.arange(start, start + 5000)
        i = 1e-9 * (1 + 0.01 * rng.standard_normal(len(k)))
        i[k == spike_at] = 5e-6  # one read in a million: the one a user must see
        batches.append({"t_trace_s": (k + 1) * 1e-4, "v_V": np.full(len(k), 0.01), "i_A": i})
    feed(plot, batches)
    (kept,) = plot.groups.values()
    assert kept.rows <= 2 * GROUP_ROWS + 5000
    x, y = plot.curves[0].getData()
    assert len(x) <= 2 * GROUP_ROWS + 5000
    assert np.isclose(np.nanmax(y), np.log10(5e-6))  # drawn on log axes
    assert np.isclose(x[np.nanargmax(y)], np.log10((spike_at + 1) * 1e-4))


def test_peak_rows_keep_each_slices_extremes_in_order():
    y = np.array([3.0, 1.0, 2.0, np.nan, 9.0, 0.0, 5.0, 4.0, 7.0])
    assert peak_rows(y, 2).tolist() == [0, 1, 4, 5, 8]  # slices of 4, then the rest
    assert peak_rows(y[:3], 2).tolist() == [0, 1, 2]  # too short to thin


def test_kept_rows_hold_every_column_of_the_rows_kept():
    kept = KeptRows(capacity=10)
    for start in range(0, 100, 7):
        k = np.arange(start, start + 7, dtype=float)
        kept.add({"x": k, "y": np.sin(k), "tag": k.astype(int)}, lambda c: c["y"])
    columns = kept.columns()
    assert kept.rows <= 2 * 10 + 7
    assert np.array_equal(columns["tag"], columns["x"].astype(int))  # rows stay whole
    assert np.all(np.diff(columns["x"]) > 0)  # in arrival order
