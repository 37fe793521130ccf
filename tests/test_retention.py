"""The retention protocol end to end on the simulated station."""

import numpy as np
import pytest

from bmrlab import runner
from bmrlab.errors import BadInput
from bmrlab.procedures import get_protocol
from bmrlab.procedures.retention import Retention
from bmrlab.station import Station
from bmrlab.storage.reader import open_file
from bmrlab.storage.stored_run import StoredRun


def run_retention(station, tmp_path, **values):
    procedure = runner.prepare(station, "retention", values)
    return runner.run(
        station,
        procedure,
        tmp_path / "ret.h5",
        sample="s1",
        device=station.device_preset,
        figures_dir=tmp_path,
    )


def test_volatile_device_gives_its_retention(station, tmp_path):
    result = run_retention(station, tmp_path)
    assert result.status == "finished", result.reason
    figures = result.figures
    assert figures["retention_ms"] == pytest.approx(29, rel=0.25)
    assert (figures["retention_pulse_mV"], figures["retention_pulse_ms"]) == (100, 20)
    assert not figures["retention_censored"]
    assert figures["stats"]["retention_ms"]["traces"] == 20
    assert figures["retention_fit"]["tau_ms"] > 0
    stats = figures["stats"]["retention_ms"]
    assert stats["ci_low"] < figures["retention_ms"] < stats["ci_high"]
    assert stats["set_traces"] + stats["failed_sets"] == 20
    assert figures["set_probability"]["value"] == stats["set_traces"] / 20
    assert figures["volatile"] is True  # measured: every set state decayed within the window
    # the read scheme as measured: a 2450 read step (0.417 ms) every 4 steps
    assert figures["retention_read"] == pytest.approx(
        {"v_read_mV": 20, "read_ms": 0.4167, "period_ms": 1.667, "duty": 0.25}, rel=1e-3
    )
    threshold = figures["retention_threshold"]
    assert threshold["hrs_at_floor"]  # a 1e-11 S HRS, read on the fixed 1 uA range
    assert threshold["g_off_S"] == threshold["floor_S"] == pytest.approx(1e-9 / 0.02)
    assert threshold["threshold_S"] == pytest.approx((threshold["g_on_S"] * 5e-8) ** 0.5, rel=0.05)
    reads = result.data["phase"] == 2
    assert np.allclose(result.data["v_V"][reads], 0.02, atol=2e-3)
    assert result.figure_files[0].name.endswith("_retention.png")


def test_nonvolatile_device_is_read_at_log_spaced_times_and_censored(bioi_station, tmp_path):
    result = run_retention(bioi_station, tmp_path, window="100s")
    assert result.status == "finished", result.reason
    assert result.figures["retention_censored"]
    assert result.figures["retention_ms"] == pytest.approx(100e3, rel=0.01)
    t_after = result.data["t_after_s"][result.data["phase"] == 2]
    assert t_after.min() < 5e-3 and t_after.max() == pytest.approx(100, rel=0.01)
    assert abs(result.figures["retention_fit"]["nu"]) < 0.01  # no drift
    assert result.figures["volatile"] is False  # measured: no decay within the window
    assert result.figures["retention_read"]["period_ms"] is None  # log-spaced reads


def test_a_pulse_below_the_switching_threshold_gives_no_retention(bioi_station, tmp_path):
    result = run_retention(bioi_station, tmp_path, pulse_v="20mV", window="10s")
    assert result.status == "finished", result.reason
    figures = result.figures
    assert figures["retention_ms"] is None  # not "retention 0.0 ms"
    assert "did not set the device" in figures["stats"]["retention_ms"]["reason"]
    assert figures["stats"]["retention_ms"]["failed_sets"] == 1
    assert figures["set_probability"]["value"] == 0.0
    assert figures["volatile"] is None and figures["retention_threshold"] is None


@pytest.mark.parametrize(
    "device, values", [(None, {"traces": 4}), ("ag-bioi-pt", {"window": "10s"})]
)
def test_the_stored_run_is_reanalysed_offline_to_the_same_figures(
    device, values, tmp_path, monkeypatch
):
    with Station.load(**({"device": device} if device else {})) as station:
        result = run_retention(station, tmp_path, **values)
    assert result.result.retention_ms is not None and result.result.retention_fit is not None
    chunks = StoredRun.chunks  # read back 97 rows at a time: traces span several blocks
    monkeypatch.setattr(StoredRun, "chunks", lambda self, names, rows=97: chunks(self, names, rows))
    again = runner.reanalyze(tmp_path / "ret.h5")
    assert again.protocol == "retention" and not again.changed
    assert again.result == result.result


def test_a_run_without_figures_still_gets_its_plot(station, tmp_path):
    result = run_retention(station, tmp_path, traces=2)
    with open_file(result.path) as handle:
        procedure = get_protocol("retention").build({})
        files = procedure.save_figures(StoredRun(handle[result.run]), None, tmp_path, "x")
    assert [f.name for f in files] == ["x_retention.png"] and files[0].stat().st_size > 0


def test_read_period_too_short_for_the_smu_is_refused(station):
    with pytest.raises(BadInput, match="read_period"):
        runner.prepare(station, "retention", {"read_period": "0.5ms"})
    assert station.sim.transactions == 0


def test_the_figure_depends_on_the_read_period_within_the_tolerance():
    """Reads at 20 mV feed the filament a quarter of the time, so a sparser scheme shortens
    the retention; on the bare model (no cycle-to-cycle spread) by less than the 25 %
    tolerance from a read every 1.6 ms to one every 8 ms (29.0, 24.9 and 24.0 ms;
    docs/standard-conditions.md)."""
    from bmrlab.sim.calibration import Protocols, retention
    from bmrlab.sim.library import load_device

    device = load_device("ag-pnw-ag")
    protocols = Protocols(device.spec.test_conditions())
    found = [
        retention(device.params, protocols.configured(Retention, read_period=period))
        for period in (1.6e-3, 4e-3, 8e-3)
    ]
    assert found[0] == pytest.approx(29e-3, rel=0.1)
    assert found[0] > found[1] > 0.75 * found[0] and found[2] > 0.75 * found[0]
