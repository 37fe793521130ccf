"""The forming protocol: its figures from the stored run, offline."""

from bmrlab import runner
from bmrlab.storage.stored_run import StoredRun


def run_forming(station, tmp_path, **values):
    procedure = runner.prepare(station, "forming", values)
    result = runner.run(
        station, procedure, tmp_path / "forming.h5", sample="s1", device=station.device_preset
    )
    assert result.status == "finished", result.reason
    return result


def test_the_stored_run_is_reanalysed_offline_to_the_same_figures(
    bioi_station, tmp_path, monkeypatch
):
    result = run_forming(bioi_station, tmp_path, start="20mV", increment="5mV")
    assert result.result.forming_V is not None and result.result.forming.pulses > 3
    chunks = StoredRun.chunks  # read back 3 rows at a time: the forming read in a later block
    monkeypatch.setattr(StoredRun, "chunks", lambda self, names, rows=3: chunks(self, names, rows))
    again = runner.reanalyze(tmp_path / "forming.h5")
    assert again.protocol == "forming" and not again.changed
    assert again.result == result.result


def test_no_read_below_the_target_is_no_forming_voltage_with_its_reason(station, tmp_path):
    result = run_forming(
        station, tmp_path, start="20mV", stop="40mV", increment="10mV", target="1ohm"
    )
    assert result.figures == {
        "forming_V": None,
        "forming": {"pulses": 3, "reason": "no read fell below the target"},
    }
