"""Two contracts between the drivers and the rest of bmrlab: an NPLC the station's SMU model
does not take is refused before any instrument is touched (exit 2), and a reading above the
fixed measure range is stored as an ``overflow`` flag, never as a current, and left out of
analysis."""

import numpy as np
import pytest

from bmrlab.cli import main
from bmrlab.paths import CONFIG_DIR
from bmrlab.storage import Store, StoredRun, load_run


@pytest.mark.parametrize(
    "station, nplc, allowed",
    [
        ("sim-2450", "0.005", "Keithley 2450 takes nplc 0.01 .. 10"),
        ("sim-2400", "0.001", "Keithley 2400 takes nplc 0.01 .. 10"),
    ],
)
def test_an_nplc_the_model_does_not_take_is_refused_before_anything_is_sent(
    station, nplc, allowed, tmp_path, capsys, commands
):
    station_file = str(CONFIG_DIR / "stations" / f"{station}.yaml")
    status = main(
        [
            "run",
            "endurance",
            "--station",
            station_file,
            "--set",
            f"nplc={nplc}",
            "--out",
            str(tmp_path / "out.h5"),
        ]
    )
    err = capsys.readouterr().err
    assert status == 2, err
    (line,) = err.strip().splitlines()
    assert f"nplc = {nplc} is not allowed" in line and allowed in line
    assert commands == []
    assert not (tmp_path / "out.h5").exists()


def test_overflow_is_stored_beside_limit_hit_and_left_out_of_analysis(tmp_path):
    writer = Store(tmp_path / "s.h5").begin_run(
        sample="s", device="d", protocol="probe", parameters={}, units={}, station={}
    )
    writer.declare({"t_s": "s", "i_A": "A", "limit_hit": ""})
    writer.append(
        {
            "t_s": np.arange(3.0),
            "i_A": np.array([1e-9, np.nan, 2e-9]),
            "limit_hit": np.zeros(3, np.int8),
        }
    )
    writer.flush()
    kept = StoredRun(writer.group).columns(["t_s", "i_A"])  # what analysis sees
    writer.finish("finished")
    assert load_run(tmp_path / "s.h5").data["overflow"].tolist() == [0, 1, 0]
    assert kept["t_s"].tolist() == [0.0, 2.0] and kept["i_A"].tolist() == [1e-9, 2e-9]
