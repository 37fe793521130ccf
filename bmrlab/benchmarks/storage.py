"""Write speed, file size and read speed of the data columns per compression filter.

The columns are those of a measured run (an I-V sweep on the simulated station: times,
levels, currents with their noise, cycle and phase counters), appended again through the
run writer in the 500-row chunks the SMU engine hands over, once per filter, and read back
block by block as analysis does. Random numbers would not compress and constant ones would
compress too well: only measured columns say what a filter saves.
"""

import tempfile
import time
from pathlib import Path

import h5py

from ..config import COMPRESSIONS
from ..storage.writer import Store

SOURCE_ROWS = 100_000
CHUNK = 500  # rows per append, as the SMU engine hands them over
REPEATS = 5  # runs written per filter: about 5 * 10^5 rows


def measured_columns(rows: int = SOURCE_ROWS) -> dict:
    """The columns of an I-V run of about ``rows`` rows on the default simulated station."""
    from .. import runner
    from ..station import Station
    from ..storage.stored_run import StoredRun
    from .memory import length_parameters

    with tempfile.TemporaryDirectory() as folder, Station.load() as station:
        procedure = runner.prepare(station, "iv-sweep", {})
        procedure = runner.prepare(station, "iv-sweep", length_parameters(procedure, rows))
        out = Path(folder) / "source.h5"
        result = runner.run(station, procedure, out, sample="bench", device="dut")
        with h5py.File(out, "r") as handle:
            group = handle[result.run]
            stored = StoredRun(group)
            return {name: group[name][: stored.rows] for name in group}


def write_and_read(columns: dict, compression: str, folder: Path) -> dict:
    """Append ``columns`` REPEATS times as runs of one file with ``compression``, then read
    every run back in blocks; rates in rows per second, size in bytes per row."""
    path = folder / f"{compression}.h5"
    rows = len(next(iter(columns.values())))
    start = time.perf_counter()
    for _ in range(REPEATS):
        writer = Store(path, compression).begin_run(
            sample="s", device="d", protocol="bench", parameters={}, units={}, station={}
        )
        writer.declare(dict.fromkeys(columns, ""))
        for first in range(0, rows, CHUNK):
            writer.append({name: values[first : first + CHUNK] for name, values in columns.items()})
        writer.finish("finished")
    write_s = time.perf_counter() - start
    start = time.perf_counter()
    with h5py.File(path, "r") as handle:
        runs = []
        handle.visititems(
            lambda name, item: (
                runs.append(item)
                if isinstance(item, h5py.Group) and "protocol" in item.attrs
                else None
            )
        )
        for group in runs:
            for name in columns:
                group[name][:]
    read_s = time.perf_counter() - start
    total = REPEATS * rows
    return {
        "write_rows_per_s": round(total / write_s),
        "read_rows_per_s": round(total / read_s),
        "bytes_per_row": round(path.stat().st_size / total, 2),
    }


def compression() -> dict:
    """``{filter: {write_rows_per_s, read_rows_per_s, bytes_per_row}}`` on measured columns."""
    columns = measured_columns()
    with tempfile.TemporaryDirectory() as folder:
        table = {name: write_and_read(columns, name, Path(folder)) for name in COMPRESSIONS}
    return {
        "storage_compression": table,
        "storage_rows": len(next(iter(columns.values()))) * REPEATS,
    }
