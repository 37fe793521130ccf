"""The pulse-delay protocol end to end on the simulated station."""

import numpy as np
import pytest

from bmrlab import runner
from bmrlab.errors import BadInput
from bmrlab.procedures import get_protocol
from bmrlab.storage import load_run
from bmrlab.storage.reader import open_file
from bmrlab.storage.stored_run import StoredRun


def run_delay(station, tmp_path, **values):
    procedure = runner.prepare(station, "pulse-delay", values)
    return runner.run(
        station,
        procedure,
        tmp_path / "delay.h5",
        sample="s1",
        device=station.device_preset,
        figures_dir=tmp_path,
    )


def test_protein_nanowire_delay_falls_with_amplitude_and_gives_the_models_v0(station, tmp_path):
    result = run_delay(station, tmp_path)
    assert result.status == "finished", result.reason
    figures = result.figures
    assert figures["delay_ms"] == pytest.approx(13, rel=0.2)
    assert figures["delay_at_mV"] == 100
    by_mv = figures["stats"]["delay_by_mV"]
    medians = [by_mv[k]["median"] for k in ("100", "200", "300", "400")]
    assert medians == sorted(medians, reverse=True)
    assert medians[-1] < 0.5  # ms, at 400 mV
    model_v0 = station.sim.preset.params.V0  # the test may look; the analysis never does
    fit = figures["delay_fit"]
    assert fit["V0_mV"] == pytest.approx(model_v0 * 1e3, rel=0.15)
    assert 0 < fit["V0_mV_se"] < 0.5 * fit["V0_mV"] and fit["tau0_s_se"] > 0
    at = by_mv["100"]
    assert at["ci_low"] < at["median"] < at["ci_high"]
    assert result.figure_files[0].name.endswith("_delay.png")
    stored = load_run(tmp_path / "delay.h5")
    assert set(stored.data["phase"]) == {0, 1}  # HRS reads and steps
    assert stored.parameters["amplitudes"] == [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4]


def test_nonvolatile_device_is_reset_between_steps(bioi_station, tmp_path):
    result = run_delay(bioi_station, tmp_path, amplitudes="100mV,200mV", pulses=4)
    assert result.status == "finished", result.reason
    procedure_values = load_run(tmp_path / "delay.h5").parameters
    assert procedure_values["v_reset"] == 0.2  # nonvolatile: reset by default
    reads = result.data["i_A"][result.data["phase"] == 0]
    assert np.all(np.abs(reads) < 1e-9)  # every step starts from the HRS
    assert result.figures["stats"]["delay_ms"]["switched"] == 4


def test_set_energy_is_bounded_by_the_sampling_of_an_abrupt_switch(station, tmp_path):
    """The simulated filament bridges within microseconds: the rise falls between two
    samples, and the energy until the switched level is the HRS power over the delay plus
    at most one sample interval at the compliance current, an upper bound, flagged."""
    result = run_delay(station, tmp_path, amplitudes="100mV,300mV", pulses=4)
    figures = result.figures
    interval = 0.37e-3  # s: the 2450's fastest sampling at nplc 0.01
    energy = figures["stats"]["set_energy_by_mV"]
    for mv in ("100", "300"):
        bound = float(mv) * 1e-3 * 1e-6 * interval * 1e12  # V x compliance x interval, pJ
        assert 0.3 * bound < energy[mv]["median"] <= 1.1 * bound
        assert energy[mv]["n"] == 4 and energy[mv]["rise_resolved"] == 0
    assert figures["set_energy_pJ"] == energy["100"]["median"]
    assert figures["set_energy_upper_bound"] is True


def test_a_device_that_does_not_switch_gives_not_found(station, tmp_path):
    result = run_delay(
        station, tmp_path, amplitudes="30mV", delay_at="30mV", pulses=2, timeout="50ms"
    )
    assert result.status == "finished"
    assert result.figures["delay_ms"] is None
    assert "did not switch" in result.figures["stats"]["delay_ms"]["reason"]
    assert result.figures["set_energy_pJ"] is None
    assert result.figures["stats"]["set_energy_pJ"]["reason"] == "no step switched"


def test_the_stored_run_is_reanalysed_offline_to_the_same_figures(station, tmp_path, monkeypatch):
    result = run_delay(station, tmp_path, amplitudes="100mV,200mV,300mV", pulses=3)
    assert result.result.delay_ms is not None
    assert result.figures["delay_fit"]["form"] == "sinh"  # three amplitudes: tau_x unknown
    assert result.figures["delay_fit"]["tau_x_s"] is None
    chunks = StoredRun.chunks  # read back 97 rows at a time: steps span several blocks
    monkeypatch.setattr(StoredRun, "chunks", lambda self, names, rows=97: chunks(self, names, rows))
    again = runner.reanalyze(tmp_path / "delay.h5")
    assert again.protocol == "pulse-delay" and not again.changed
    assert again.result == result.result


def test_a_run_without_figures_still_gets_its_plot(station, tmp_path):
    result = run_delay(station, tmp_path, amplitudes="100mV", pulses=1)
    with open_file(result.path) as handle:
        procedure = get_protocol("pulse-delay").build({})
        files = procedure.save_figures(StoredRun(handle[result.run]), None, tmp_path, "x")
    assert [f.name for f in files] == ["x_delay.png"] and files[0].stat().st_size > 0


@pytest.mark.parametrize(
    "values, message",
    [
        ({"amplitudes": "100mV,600mV"}, "amplitudes = 0.6 V"),
        ({"delay_at": "120mV"}, "delay_at = 120 mV"),
        ({"amplitudes": "100mV,x"}, "amplitudes = 100mV,x"),
    ],
)
def test_bad_parameters_are_refused_before_anything_is_sent(station, values, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare(station, "pulse-delay", values)
    assert station.sim.transactions == 0
