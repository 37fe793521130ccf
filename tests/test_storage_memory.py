"""Runs of any length: the writer holds no rows once they are written, compressed columns read
back as written (by plain h5py too) and stop in time at a full disk, and a run ten times
longer needs hardly more memory."""

import gc
import subprocess
import sys
import weakref

import h5py
import numpy as np
import pytest

import bmrlab
from bmrlab import runner
from bmrlab.benchmarks.memory import measure_in_subprocess
from bmrlab.cli import main
from bmrlab.errors import BadInput
from bmrlab.instruments.smu import plan_segments
from bmrlab.paths import CONFIG_DIR, DEFAULT_STATION
from bmrlab.station import Station
from bmrlab.storage import Store, load_run
from bmrlab.storage.writer import WRITE_ROWS

COLUMNS = {"t_s": "s", "i_A": "A", "cycle": "", "limit_hit": ""}


def begin(path, compression="none"):
    writer = Store(path, compression).begin_run(
        sample="s", device="d", protocol="p", parameters={}, units={}, station={}
    )
    writer.declare(COLUMNS)
    return writer


def block(first: int, rows: int) -> dict:
    k = np.arange(first, first + rows)
    return {
        "t_s": k * 1e-3,
        "i_A": 1e-6 + 1e-9 * np.sin(k),
        "cycle": k // 652,
        "limit_hit": (k % 97 == 0).astype(np.int8),
    }


def test_the_writer_holds_no_rows_once_they_are_written(tmp_path):
    writer = begin(tmp_path / "w.h5")

    def append_and_watch(first, rows):  # the caller keeps no reference to what it appended
        columns = block(first, rows)
        writer.append(columns)
        return [weakref.ref(values) for values in columns.values()]

    held = append_and_watch(0, 1000)
    assert writer.pending_rows == 1000  # a chunk waits for the next write ...
    writer.flush()
    gc.collect()
    assert writer.pending_rows == 0 and writer.stored_rows == 1000
    assert all(ref() is None for ref in held)  # ... and is let go once written
    held = append_and_watch(1000, WRITE_ROWS)  # a block of WRITE_ROWS is written at once
    gc.collect()
    assert writer.pending_rows == 0 and all(ref() is None for ref in held)
    writer.finish("finished")
    assert len(load_run(tmp_path / "w.h5").data) == 1000 + WRITE_ROWS


@pytest.mark.parametrize("compression", ["lzf", "gzip"])
def test_compressed_columns_read_back_as_written_by_plain_h5py(tmp_path, compression):
    path = tmp_path / f"{compression}.h5"
    writer = begin(path, compression)
    for first in range(0, 20_000, 500):
        writer.append(block(first, 500))
    writer.finish("finished")
    expected = block(0, 20_000)
    run = load_run(path)
    with h5py.File(path, "r") as handle:
        for name, values in expected.items():
            dataset = handle[run.run][name]
            assert dataset.compression == compression and dataset.shuffle
            np.testing.assert_array_equal(dataset[:], values)
            np.testing.assert_array_equal(run.data[name], values)
    plain = tmp_path / "none.h5"
    writer = begin(plain)
    writer.append(expected)
    writer.finish("finished")
    assert path.stat().st_size < plain.stat().st_size / 2


def test_the_station_file_chooses_the_compression(tmp_path):
    yaml = tmp_path / "station.yaml"
    yaml.write_text(DEFAULT_STATION.read_text() + "storage: {compression: gzip}\n")
    with Station.load(yaml) as station:
        procedure = runner.prepare(station, "iv-sweep", {"cycles": 1})
        result = runner.run(station, procedure, tmp_path / "g.h5", sample="s", device="d")
    assert result.status == "finished"
    with h5py.File(tmp_path / "g.h5", "r") as handle:
        assert {handle[result.run][name].compression for name in handle[result.run]} == {"gzip"}


def test_a_run_can_choose_its_own_compression(tmp_path):
    out = tmp_path / "per-run.h5"
    argv = ["run", "iv-sweep", "--set", "cycles=1", "--out", str(out), "--compression", "lzf"]
    assert main(argv) == 0
    plain = bmrlab.run_protocol("iv-sweep", out=out, cycles=1)  # the station's: none
    with h5py.File(out, "r") as handle:
        device = handle["sample/ag-pnw-ag"]
        filters = {
            run.name: {column.compression for column in run.values()} for run in device.values()
        }
    assert filters.pop(plain.run) == {None}
    assert list(filters.values()) == [{"lzf"}]


def test_an_unknown_compression_for_a_run_is_refused_before_any_instrument(tmp_path, capsys):
    out = tmp_path / "refused.h5"
    with pytest.raises(BadInput, match="compression = zip: one of none, lzf, gzip"):
        bmrlab.run_protocol("iv-sweep", out=out, cycles=1, compression="zip")
    assert not out.exists()
    with pytest.raises(SystemExit) as refused:
        main(["run", "iv-sweep", "--out", str(out), "--compression", "zip"])
    assert refused.value.code == 2
    assert "--compression: invalid choice: 'zip'" in capsys.readouterr().err
    assert not out.exists()


def test_an_unknown_compression_is_refused_by_its_path(tmp_path):
    yaml = tmp_path / "station.yaml"
    yaml.write_text(DEFAULT_STATION.read_text() + "storage: {compression: zip}\n")
    with pytest.raises(BadInput, match=r"storage\.compression"):
        Station.load(yaml)


FILL = """
import resource, signal, sys
import numpy as np
from bmrlab.errors import DiskFull
from bmrlab.storage import Store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (6_000_000, resource.RLIM_INFINITY))
writer = Store(sys.argv[1], sys.argv[2]).begin_run(sample="s", device="d", protocol="p",
                                                   parameters={}, units={}, station={})
writer.declare({"x": "", "y": ""})
rng = np.random.default_rng(1)
try:
    while True:  # random bits do not compress: every chunk is stored at its full size
        writer.append({"x": rng.random(1000), "y": rng.random(1000)})
except DiskFull as error:
    writer.finish("failed", str(error))
    print(writer.stored_rows)
"""


@pytest.mark.parametrize("compression", ["lzf", "gzip"])
def test_compressed_columns_stop_before_a_full_disk_with_the_file_intact(tmp_path, compression):
    """The room check must bound a compressed chunk too (a partly filled last chunk is
    written anew when it grows): a write that failed for lack of space would leave a file
    that cannot be opened."""
    path = tmp_path / "full.h5"
    done = subprocess.run(
        [sys.executable, "-c", FILL, str(path), compression],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    stored = int(done.stdout)
    run = load_run(path)
    assert run.status == "failed" and run.reason.startswith("disk full: ")
    assert len(run.data) == stored > 100_000
    assert (run.data["x"] > 0).all()  # rows, not the zeros of a chunk never written


def test_a_run_ten_times_longer_needs_hardly_more_memory():
    """Peak memory of 2*10^5 rows against 2*10^4, each run in a fresh process. Holding the
    rows, as the writer once did (160 bytes a row), would add about 29 MB. On the 2400,
    whose buffer holds 2500 readings: the simulated 2450's holds 10^5 readings as Python
    objects (about 20 MB), bounded by its capacity but in the way of this comparison."""
    station = CONFIG_DIR / "stations" / "sim-2400.yaml"
    short = measure_in_subprocess("iv-sweep", 20_000, station)
    long = measure_in_subprocess("iv-sweep", 200_000, station)
    for run in (short, long):
        assert run.get("status") == "finished", run
        assert run["rows_written"] == run["rows_measured"]
    assert long["rows_written"] > 9 * short["rows_written"]
    assert long["peak_rss_mb"] - short["peak_rss_mb"] < 15


@pytest.mark.parametrize("compression", ["none", "lzf", "gzip"])
def test_the_room_a_write_needs_is_not_underestimated(tmp_path, compression):
    """Each write grows the file by at most ``pending_bytes()`` and a B-tree node or two
    (the reserve's share). A compressed chunk that grows moves: counting only new chunks
    missed up to two chunks a write here."""
    writer = begin(tmp_path / "room.h5", compression)
    rng = np.random.default_rng(1)
    for _ in range(100):
        rows = int(rng.integers(100, 3000))
        writer.append(
            {
                "t_s": rng.random(rows),
                "i_A": rng.random(rows),
                "cycle": rng.integers(0, 2**31, rows),
                "limit_hit": np.zeros(rows),
            }
        )
        if writer.pending_rows == 0:
            continue  # written at once (a second had passed): nothing to compare
        needed = writer.pending_bytes()
        before = writer.file.id.get_filesize()
        writer.flush()
        assert writer.file.id.get_filesize() - before <= needed + 16_384
    writer.finish("finished")


def test_csv_is_exported_block_by_block_as_the_whole_run_would_be(tmp_path, monkeypatch):
    from bmrlab.storage import export_csv, reader

    path = tmp_path / "e.h5"
    writer = begin(path)
    writer.append(block(0, 10_000))
    writer.finish("finished")
    whole = tmp_path / "whole.csv"
    load_run(path).data.to_csv(whole, index=False)
    monkeypatch.setattr(reader, "BLOCK_ROWS", 999)  # eleven blocks
    assert export_csv(path, None, tmp_path / "blocks.csv").read_text() == whole.read_text()


def test_a_long_sweep_is_planned_one_segment_at_a_time():
    levels = np.linspace(0.0, 0.1, 3000)  # longer than one list: two pieces per pass
    plan = plan_segments(levels, repeat=10**9, max_list=2500, max_buffer=100_000)
    first = [next(plan) for _ in range(4)]
    assert [len(s.levels) for s in first] == [2500, 500, 2500, 500]
    assert [s.first_index for s in first] == [0, 2500, 3000, 5500]
    short = list(plan_segments(levels[:10], repeat=25_001, max_list=2500, max_buffer=100_000))
    assert [s.count for s in short] == [10_000, 10_000, 5_001]
    assert short[-1].first_index == 200_000
