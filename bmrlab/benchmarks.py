"""Benchmarks, each against the alternative a user would pick instead (a PyMeasure
point-by-point procedure with CSV Results and ResultsCurve plots), in one process.

``bmrlab bench [--json]`` runs them all; docs/performance.md holds the figures and the
machine. Nothing here is asserted in tests: speed is measured, never required, in the suite.
"""

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SWEEP_POINTS = 2000
HOST_POINTS = 1_000_000
HOST_CHUNK = 500
HDF5_ROWS = 1_000_000
CSV_ROWS = 200_000  # pymeasure's CSV writer is timed on fewer rows, and its rate compared
PLOT_POINTS = 1_000_000
TARGETS = {"transactions_per_point": ("<", 0.05), "host_points_per_s": (">", 50_000),
           "characterize_wall_s": ("<", 60), "characterize_speedup": (">", 100),
           "hdf5_values_per_s": (">", 5e6), "hdf5_reload_s": ("<", 0.5),
           "cli_startup_s": ("<", 0.5), "plot_frame_ms": ("<", 50),
           "gui_event_latency_ms": ("<", 50)}


def _timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def transactions_per_point() -> dict:
    """VISA messages per measured point of a 2000-point sweep on the simulated 2450."""
    from pymeasure.instruments.keithley import Keithley2450 as StockKeithley2450

    from .station import Station
    levels = np.linspace(0, 0.2, SWEEP_POINTS)
    with Station.load() as station:
        station.connect()
        smu = station.smu
        smu.configure(max_abs_v=0.2, compliance=1e-6, nplc=0.05)
        before = station.sim.transactions
        smu.sweep(levels, 2e-3, 1, lambda r: None, station.clock.sleep)
        ours = (station.sim.transactions - before) / SWEEP_POINTS
        smu.safe_off()
        resource = station.config.instruments["smu"].resource
        stock = StockKeithley2450(resource, visa_library=station.visa_library("smu"))
        stock.apply_voltage(voltage_range=0.2, compliance_current=1e-6)
        stock.measure_current(nplc=0.05)
        stock.enable_source()
        before = station.sim.transactions
        for v in levels:  # what a point-by-point PyMeasure procedure does
            stock.source_voltage = v
            stock.current  # noqa: B018 - the query is the measurement
        baseline = (station.sim.transactions - before) / SWEEP_POINTS
        stock.shutdown()
    return {"bmrlab": ours, "baseline": baseline}


def host_points_per_s() -> dict:
    """Instrument replies parsed, rows stored in HDF5 and fed to a live curve, per second."""
    from .storage import Store
    k = np.arange(HOST_CHUNK)
    reply = ",".join(f"{t:.9e},{v:.7e},{i:.7e},128" for t, v, i in
                     zip(k * 2e-3, k * 1e-4, k * 1e-9, strict=True))
    with tempfile.TemporaryDirectory() as folder:
        writer = Store(Path(folder) / "h.h5").begin_run(
            sample="s", device="d", protocol="bench", parameters={}, units={}, station={})
        writer.declare({"t_s": "s", "v_V": "V", "i_A": "A", "limit_hit": ""})
        plot_x = np.empty(HOST_POINTS)
        plot_y = np.empty(HOST_POINTS)

        def pipeline():
            for n in range(0, HOST_POINTS, HOST_CHUNK):
                values = np.array(reply.split(","), dtype=float).reshape(-1, 4)  # parse
                limit = (values[:, 3].astype(int) & 32) > 0
                writer.append({"t_s": values[:, 0] + n, "v_V": values[:, 1],
                               "i_A": values[:, 2], "limit_hit": limit.astype(np.int8)})
                plot_x[n:n + HOST_CHUNK] = values[:, 1]  # the live curve's feed
                plot_y[n:n + HOST_CHUNK] = np.abs(values[:, 2])
            writer.finish("finished", "", {})
        seconds, _ = _timed(pipeline)
    return {"bmrlab": HOST_POINTS / seconds}


def characterize_speed() -> dict:
    """Wall time of `characterize` on ag-pnw-ag, and the virtual time it represents."""
    from .characterize import characterize
    from .station import Station
    with tempfile.TemporaryDirectory() as folder, Station.load() as station:
        seconds, _ = _timed(lambda: characterize(station, Path(folder) / "c.h5", sample="s",
                                                 device="ag-pnw-ag"))
        virtual = station.clock.now()
    return {"characterize_wall_s": seconds, "characterize_speedup": virtual / seconds}


def hdf5_speed() -> dict:
    """Appending 10^6 rows of 4 columns and reloading them, against pymeasure's CSV Results
    (timed on 2x10^5 rows; its rate is per value, its reload scaled to 10^6 rows)."""
    from pymeasure.experiment import Procedure, Results

    from .storage import Store, load_run
    rows = np.random.default_rng(1).standard_normal((HDF5_ROWS, 4))
    columns = ["t_s", "v_V", "i_A", "x"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.h5"

        def write_hdf5():
            writer = Store(path).begin_run(sample="s", device="d", protocol="bench",
                                           parameters={}, units={}, station={})
            writer.declare(dict.fromkeys(columns, ""))
            for n in range(0, HDF5_ROWS, 1000):
                writer.append({c: rows[n:n + 1000, j] for j, c in enumerate(columns)})
            writer.finish("finished", "", {})
        write_s, _ = _timed(write_hdf5)
        reload_s, _ = _timed(lambda: load_run(path).data)

        class BenchProcedure(Procedure):
            DATA_COLUMNS = columns
        csv = Path(folder) / "b.csv"

        def write_csv():
            results = Results(BenchProcedure(), str(csv))
            with open(csv, "a") as handle:  # what pymeasure's Recorder does per row
                for row in rows[:CSV_ROWS]:
                    handle.write(results.format(dict(zip(columns, row, strict=True))) + "\n")
        csv_s, _ = _timed(write_csv)
        csv_reload_s, _ = _timed(lambda: Results.load(str(csv)).data)
    return {"hdf5_values_per_s": {"bmrlab": 4 * HDF5_ROWS / write_s,
                                  "baseline": 4 * CSV_ROWS / csv_s},
            "hdf5_reload_s": {"bmrlab": reload_s,
                              "baseline": csv_reload_s * HDF5_ROWS / CSV_ROWS}}


def plot_frame_ms() -> dict:
    """One frame of a 10^6-point live curve: bmrlab's min/max decimation to 4000 points then
    pyqtgraph, against pymeasure's ResultsCurve (setData of the whole data each frame)."""
    from .decimate import peak_decimate
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PyQt6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
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
    """How late a 10 ms timer of the window fires (median, 95th percentile) while a
    10^4-cycle endurance runs on the simulated station in the window's run thread."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QElapsedTimer, QSettings, QTimer
    from PyQt6.QtWidgets import QApplication

    from .gui.window import MainWindow
    from .station import Station
    app = QApplication.instance() or QApplication([])
    lateness = []
    with tempfile.TemporaryDirectory() as folder, Station.load() as station:
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
    return {"median": float(np.median(values)), "p95": float(np.percentile(values, 95)),
            "ticks": int(values.size)}


def cli_startup_s() -> dict:
    """`bmrlab --help` (the fastest of five), and whether Qt was imported."""
    times = []
    for _ in range(5):
        seconds, _ = _timed(lambda: subprocess.run([sys.executable, "-m", "bmrlab.cli",
                                                    "--help"], capture_output=True, check=True))
        times.append(seconds)
    probe = subprocess.run([sys.executable, "-c", "import sys, bmrlab.cli; "
                            "print(any(m.startswith('PyQt') for m in sys.modules))"],
                           capture_output=True, text=True, check=True)
    return {"cli_startup_s": min(times), "qt_imported": probe.stdout.strip() == "True"}


def run_all(progress=None) -> dict:
    results = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                           "python": platform.python_version()}}
    for name, bench in (("transactions_per_point", transactions_per_point),
                        ("host_points_per_s", host_points_per_s),
                        ("characterize", characterize_speed), ("hdf5", hdf5_speed),
                        ("plot_frame_ms", plot_frame_ms),
                        ("gui_event_latency_ms", gui_event_latency_ms), ("cli", cli_startup_s)):
        if progress:
            progress(name)
        value = bench()
        if name in ("characterize", "hdf5", "cli"):
            results.update(value)
        else:
            results[name] = value
    return results


def verdicts(results: dict) -> dict:
    """Whether each target is met (bmrlab's figure)."""
    out = {}
    for key, (sense, target) in TARGETS.items():
        value = results.get(key)
        if isinstance(value, dict):
            value = value.get("bmrlab", value.get("median"))
        out[key] = value < target if sense == "<" else value > target
    return out
