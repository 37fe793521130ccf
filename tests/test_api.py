"""The Python API driven the way a notebook would: run, look at the DataFrame and figures,
reuse a station, load the file back, handle a refusal."""

import pytest

import bmrlab


def test_a_notebook_runs_protocols_and_reads_them_back(tmp_path):
    out = tmp_path / "notebook.h5"
    result = bmrlab.run_protocol("iv-sweep", device="ag-bioi-pt", out=out, cycles=3, v_max="150mV")
    assert result.status == "finished"
    frame = result.dataframe()
    assert {"v_V", "i_A", "cycle", "limit_hit"} <= set(frame.columns)
    assert frame["cycle"].max() == 3
    assert result.figures["vset_mV"] == pytest.approx(50, rel=0.15)
    assert result.path == out and out.exists()

    with bmrlab.Station.load(device="ag-pnw-ag") as station:  # one station, two runs
        first = bmrlab.run_protocol("read-disturb", station=station, out=out, reads=200)
        second = bmrlab.run_protocol(
            "paired-pulse",
            station=station,
            out=out,
            intervals=[1e-3, 0.1],
            repeats=2,
            device_id="A2",
        )
    assert first.status == second.status == "finished"
    assert list(bmrlab.list_runs(out)["protocol"]) == ["iv-sweep", "read-disturb", "paired-pulse"]
    stored = bmrlab.load_run(out, second.run)
    assert stored.parameters["repeats"] == 2 and len(stored.data) == len(second.dataframe())
    assert "pulse-delay" in bmrlab.protocols


def test_a_refused_parameter_raises_before_anything_is_sent(tmp_path):
    with bmrlab.Station.load() as station:
        with pytest.raises(bmrlab.BadInput, match=r"v_max = 0\.9"):
            bmrlab.run_protocol("iv-sweep", station=station, out=tmp_path / "x.h5", v_max=0.9)
        assert station.sim.transactions == 0
    assert not (tmp_path / "x.h5").exists()
