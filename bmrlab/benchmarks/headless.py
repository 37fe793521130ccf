"""The benchmarks that draw nothing: bus transactions, host throughput, characterize speed,
HDF5 write and reload, CLI start-up. None of them imports Qt."""

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from pymeasure.experiment import Procedure, Results
from pymeasure.instruments.keithley import Keithley2450 as StockKeithley2450

from ..characterize import characterize
from ..station import Station
from ..storage import Store, load_run

SWEEP_POINTS = 2000
HOST_POINTS = 1_000_000
HOST_CHUNK = 500
HDF5_ROWS = 1_000_000
CSV_ROWS = 200_000  # pymeasure's CSV writer is timed on fewer rows, and its rate compared


def _timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def transactions_per_point() -> dict:
    """VISA messages per measured point of a 2000-point sweep on the simulated 2450."""
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
    k = np.arange(HOST_CHUNK)
    reply = ",".join(
        f"{t:.9e},{v:.7e},{i:.7e},128" for t, v, i in zip(k * 2e-3, k * 1e-4, k * 1e-9, strict=True)
    )
    with tempfile.TemporaryDirectory() as folder:
        writer = Store(Path(folder) / "h.h5").begin_run(
            sample="s", device="d", protocol="bench", parameters={}, units={}, station={}
        )
        writer.declare({"t_s": "s", "v_V": "V", "i_A": "A", "limit_hit": ""})
        plot_x = np.empty(HOST_POINTS)
        plot_y = np.empty(HOST_POINTS)

        def pipeline():
            for n in range(0, HOST_POINTS, HOST_CHUNK):
                values = np.array(reply.split(","), dtype=float).reshape(-1, 4)  # parse
                limit = (values[:, 3].astype(int) & 32) > 0
                writer.append(
                    {
                        "t_s": values[:, 0] + n,
                        "v_V": values[:, 1],
                        "i_A": values[:, 2],
                        "limit_hit": limit.astype(np.int8),
                    }
                )
                plot_x[n : n + HOST_CHUNK] = values[:, 1]  # the live curve's feed
                plot_y[n : n + HOST_CHUNK] = np.abs(values[:, 2])
            writer.finish("finished", "", {})

        seconds, _ = _timed(pipeline)
    return {"bmrlab": HOST_POINTS / seconds}


def characterize_speed() -> dict:
    """Wall time of `characterize` on ag-pnw-ag, and the virtual time it represents."""
    with tempfile.TemporaryDirectory() as folder, Station.load() as station:
        seconds, _ = _timed(
            lambda: characterize(station, Path(folder) / "c.h5", sample="s", device="ag-pnw-ag")
        )
        virtual = station.clock.now()
    return {"characterize_wall_s": seconds, "characterize_speedup": virtual / seconds}


def hdf5_speed() -> dict:
    """Appending 10^6 rows of 4 columns and reloading them, against pymeasure's CSV Results
    (timed on 2x10^5 rows; its rate is per value, its reload scaled to 10^6 rows)."""
    rows = np.random.default_rng(1).standard_normal((HDF5_ROWS, 4))
    columns = ["t_s", "v_V", "i_A", "x"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "b.h5"

        def write_hdf5():
            writer = Store(path).begin_run(
                sample="s", device="d", protocol="bench", parameters={}, units={}, station={}
            )
            writer.declare(dict.fromkeys(columns, ""))
            for n in range(0, HDF5_ROWS, 1000):
                writer.append({c: rows[n : n + 1000, j] for j, c in enumerate(columns)})
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
    return {
        "hdf5_values_per_s": {"bmrlab": 4 * HDF5_ROWS / write_s, "baseline": 4 * CSV_ROWS / csv_s},
        "hdf5_reload_s": {"bmrlab": reload_s, "baseline": csv_reload_s * HDF5_ROWS / CSV_ROWS},
    }


def cli_startup_s() -> dict:
    """`bmrlab --help` (the fastest of five), and whether Qt was imported."""
    times = []
    for _ in range(5):
        seconds, _ = _timed(
            lambda: subprocess.run(
                [sys.executable, "-m", "bmrlab.cli", "--help"], capture_output=True, check=True
            )
        )
        times.append(seconds)
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            ("import sys, bmrlab.cli; print(any(m.startswith('PyQt') for m in sys.modules))"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return {"cli_startup_s": min(times), "qt_imported": probe.stdout.strip() == "True"}
