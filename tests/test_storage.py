"""HDF5 storage: append while measuring, read back, interrupted runs, CSV."""

import subprocess
import sys

import h5py
import numpy as np
import pytest

from bmrlab.errors import BadInput, RunFailed
from bmrlab.results import RESULT_SCHEMA_VERSION, ProtocolResult, figure
from bmrlab.storage import Store, list_runs, load_run
from bmrlab.storage import writer as writer_module


def begin(path, **kw):
    return Store(path).begin_run(
        sample="chip 7",
        device="d/3",
        protocol="iv-sweep",
        parameters={"v_max": 0.2, "cycles": 3},
        units={"v_max": "V"},
        station={"name": "sim"},
        **kw,
    )


class VsetOnly(ProtocolResult):
    vset_mV: float | None = figure("mV", "median set voltage")


def test_appended_chunks_read_back_as_one_dataframe(tmp_path):
    writer = begin(tmp_path / "s.h5")
    writer.declare({"t_s": "s", "i_A": "A", "cycle": ""})
    for k in range(3):
        writer.append(
            {
                "t_s": np.arange(5) + 5.0 * k,
                "i_A": np.full(5, 1e-9),
                "cycle": np.full(5, k + 1, dtype=np.int32),
            }
        )
    writer.finish("finished", result=VsetOnly(vset_mV=60.0))
    run = load_run(tmp_path / "s.h5")
    assert run.run.startswith("/chip 7/d_3/")
    assert list(run.data.columns) == ["t_s", "i_A", "cycle"]
    assert run.data["t_s"].tolist() == list(np.arange(15.0))
    assert run.units == {"t_s": "s", "i_A": "A", "cycle": "", "v_max": "V", "cycles": ""}
    assert run.parameters == {"v_max": 0.2, "cycles": 3}
    assert run.figures == {"vset_mV": 60.0}
    with h5py.File(tmp_path / "s.h5") as f:
        assert f.attrs["schema_version"] == 1
        assert f[run.run].attrs["result_schema"] == RESULT_SCHEMA_VERSION
        assert f[run.run]["i_A"].chunks is not None


def test_a_long_run_reopens_its_file_and_keeps_every_row_and_the_lock(tmp_path, monkeypatch):
    """HDF5 holds memory per chunk written while a file is open: the writer reopens it."""
    monkeypatch.setattr(writer_module, "REOPEN_ROWS", 1000)
    writer = begin(tmp_path / "s.h5")
    writer.declare({"t_s": "s"})
    first = writer.file
    for k in range(5):
        writer.append({"t_s": np.arange(600) + 600.0 * k})
        writer.flush()
    assert writer.file is not first
    other = subprocess.run(  # another process is refused after the reopens
        [sys.executable, "-c", "import h5py, sys; h5py.File(sys.argv[1], 'a')", writer.path],
        capture_output=True,
        text=True,
    )
    assert other.returncode != 0 and "lock" in other.stderr
    writer.finish("finished")
    run = load_run(tmp_path / "s.h5")
    assert run.status == "finished"
    assert run.data["t_s"].tolist() == list(np.arange(3000.0))


def test_a_file_taken_while_it_is_reopened_fails_the_run_and_keeps_its_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "REOPEN_ROWS", 1000)
    writer = begin(tmp_path / "s.h5")
    writer.declare({"t_s": "s"})
    writer.append({"t_s": np.arange(600.0)})
    writer.flush()

    def taken(*args, **kwargs):
        raise BlockingIOError("unable to lock file")

    monkeypatch.setattr(writer_module.h5py, "File", taken)
    with pytest.raises(RunFailed, match="another process opened the file"):
        writer.append({"t_s": np.arange(600.0, 1200.0)})
        writer.flush()
    writer.append({"t_s": np.arange(3.0)})  # counted, not kept
    writer.record_station({"name": "sim"})
    writer.finish("failed", "RunFailed: taken")
    monkeypatch.undo()
    assert writer.rows == 1203
    assert load_run(tmp_path / "s.h5").data["t_s"].tolist() == list(np.arange(1200.0))


def test_a_run_left_running_reads_back_as_interrupted(tmp_path):
    writer = begin(tmp_path / "s.h5")
    writer.declare({"i_A": "A"})
    writer.append({"i_A": np.ones(3)})
    writer.flush()
    writer.file.close()  # the process died before finish()
    assert load_run(tmp_path / "s.h5").status == "interrupted"
    assert list_runs(tmp_path / "s.h5")["status"].tolist() == ["interrupted"]


def test_runs_are_found_by_id(tmp_path):
    for _ in range(2):
        begin(tmp_path / "s.h5").finish("finished")
    runs = list_runs(tmp_path / "s.h5")["run"].tolist()
    assert len(runs) == 2
    assert load_run(tmp_path / "s.h5", runs[0].rsplit("/", 1)[1]).run == runs[0]
    with pytest.raises(BadInput, match="no run"):
        load_run(tmp_path / "s.h5", "nosuch")


def test_a_run_named_by_its_group_path_is_found_without_listing_the_file(tmp_path, monkeypatch):
    """``analyze --catalog`` and the browser name runs by group path: looked up directly,
    not by visiting every object of a file holding hundreds of runs."""
    from bmrlab.storage import reader

    for _ in range(2):
        begin(tmp_path / "s.h5").finish("finished")
    first, second = list_runs(tmp_path / "s.h5")["run"].tolist()
    monkeypatch.setattr(reader, "_runs", lambda handle: pytest.fail("the file was listed"))
    assert load_run(tmp_path / "s.h5", first).run == first
    assert load_run(tmp_path / "s.h5", second).run == second


def test_unwritable_output_is_bad_input(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BadInput, match="cannot be written"):
        begin(blocker / "x.h5")


def test_not_an_hdf5_file_is_bad_input(tmp_path):
    (tmp_path / "x.h5").write_text("hello")
    with pytest.raises(BadInput):
        load_run(tmp_path / "x.h5")
