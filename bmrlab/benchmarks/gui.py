"""The benchmarks that draw: a live-plot frame, the window's event latency and the live
plot's memory. The only benchmark module that imports Qt, so only these benchmarks load it."""

import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QElapsedTimer, QSettings, QTimer
from PyQt6.QtWidgets import QApplication

from ..decimate import peak_decimate
from ..gui.window import MainWindow
from ..station import Station

PLOT_POINTS = 1_000_000


def _application() -> QApplication:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # read when the application starts
    return QApplication.instance() or QApplication([])


def plot_frame_ms() -> dict:
    """One frame of a 10^6-point live curve: bmrlab's min/max decimation to 4000 points then
    pyqtgraph, against pymeasure's ResultsCurve (setData of the whole data each frame)."""
    app = _application()
    x = np.arange(PLOT_POINTS, dtype=float)
    y = np.abs(np.random.default_rng(2).standard_normal(PLOT_POINTS)) * 1e-9
    frames = {}
    for name, prepare in (("bmrlab", peak_decimate), ("baseline", lambda a, b: (a, b))):
        widget = pg.PlotWidget()
        widget.resize(800, 500)
        curve = pg.PlotDataItem()
        widget.addItem(curve)
        widget.show()
        app.processEvents()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            curve.setData(*prepare(x, y))
            widget.grab()  # render the frame
            times.append(time.perf_counter() - start)
        frames[name] = 1e3 * float(np.median(times[1:]))
        widget.close()
    return frames


def gui_event_latency_ms() -> dict:
    """How late a 10 ms timer of the window fires (95th percentile; median too) while a
    10^4-cycle endurance runs on the simulated station in the window's run thread: with the
    simulated instruments in their own process, as `bmrlab gui` has them, against the
    simulator in the window's process (the baseline)."""
    ours, baseline = window_lateness(sim_process=True), window_lateness(sim_process=False)
    return {
        "bmrlab": ours["p95"],
        "baseline": baseline["p95"],
        "median": ours["median"],
        "baseline_median": baseline["median"],
        "ticks": ours["ticks"],
    }


def window_lateness(sim_process: bool) -> dict:
    """Lateness of a 10 ms timer during the endurance, ``sim_process`` as for Station.load."""
    app = _application()
    lateness = []
    with (
        tempfile.TemporaryDirectory() as folder,
        Station.load(sim_process=sim_process) as station,
    ):
        settings = QSettings(str(Path(folder) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(station, Path(folder) / "g.h5", settings)
        window.show()
        window.protocol_box.setCurrentText("endurance")
        window.edits["max_cycles"].setText("10000")
        window.start()
        clock = QElapsedTimer()
        clock.start()
        last = [0]

        def tick():
            now = clock.elapsed()
            lateness.append(max(0, now - last[0] - 10))
            last[0] = now
            if not window.worker.running and window.worker.events.empty():
                app.quit()

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        app.exec()
        timer.stop()
        window.close()
    values = np.array(lateness[1:], dtype=float)
    return {
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
        "ticks": int(values.size),
    }


def iv_batches(rows: int, cycle_rows: int = 652, batch_rows: int = 500):
    """``rows`` rows of an I-V sweep as the SMU engine hands them over (batches of 500, cycles
    of 652 levels: 0 -> +v -> 0 -> -v -> 0), for the live plot."""
    levels = np.concatenate(
        [np.linspace(0, 0.2, 163), np.linspace(0.2, 0, 163), np.linspace(0, -0.2, 163)]
    )
    levels = np.resize(np.r_[levels, np.linspace(-0.2, 0, cycle_rows - len(levels))], cycle_rows)
    phases = np.repeat(np.arange(1, 5, dtype=np.int8), cycle_rows // 4 + 1)[:cycle_rows]
    noise = np.random.default_rng(3)
    for start in range(0, rows, batch_rows):
        k = np.arange(start, min(rows, start + batch_rows))
        v = levels[k % cycle_rows]
        yield {
            "t_s": k * 1e-3,
            "v_V": v,
            "v_src_V": v,
            "i_A": v * 1e-6 * (1 + 0.02 * noise.standard_normal(len(k))),
            "cycle": (k // cycle_rows + 1).astype(np.int64),
            "phase": phases[k % cycle_rows],
            "limit_hit": np.zeros(len(k), np.int8),
        }


def live_plot_bytes_per_row(rows: int = 1_000_000) -> dict:
    """Memory the window's live plot holds (Python and numpy allocations, tracemalloc) after
    ``rows`` rows of an I-V sweep, redrawn 15 times a second's worth of batches, per row."""
    import tracemalloc

    from ..gui.live_plot import LivePlot
    from ..procedures import PROTOCOLS

    app = _application()  # kept: the plot needs it alive
    plot = LivePlot()
    cls = PROTOCOLS["iv-sweep"]
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    plot.begin(cls.LIVE_PLOT, cls.COLUMNS)
    for k, batch in enumerate(iv_batches(rows)):
        plot.add(batch)
        if k % 10 == 0:
            plot.refresh()
    plot.refresh()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    plot.close()
    app.processEvents()
    return {"live_plot_held_mb": held / 1e6, "live_plot_bytes_per_row": held / rows}
