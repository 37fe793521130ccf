"""The protocols beyond the product card end to end on the simulated station: read
disturb, integrate and fire, STP to LTP, multilevel states, forming."""

import numpy as np
import pytest

from bmrlab import runner
from bmrlab.analysis.stimulus_response import (
    consolidated,
    forming_voltage,
    levels,
    read_drift,
    spikes_to_fire,
)
from bmrlab.station import Station


def run(station, tmp_path, protocol, **values):
    procedure = runner.prepare(station, protocol, values)
    result = runner.run(
        station, procedure, tmp_path / "r.h5", sample="s1", device=station.device_preset
    )
    assert result.status == "finished", result.reason
    assert not runner.reanalyze(tmp_path / "r.h5").changed  # the stored run alone gives them
    return result.figures


def test_reads_at_20mV_neither_set_the_hrs_nor_lose_the_lrs(station, bioi_station, tmp_path):
    hrs = run(station, tmp_path, "read-disturb", reads=2000)["read_disturb"]
    assert hrs["disturbed_after_s"] is None and hrs["G_start_S"] < 1e-10
    lrs = run(bioi_station, tmp_path, "read-disturb", reads=2000, lrs="true")["read_disturb"]
    assert lrs["disturbed_after_s"] is None and lrs["G_start_S"] > 5e-6
    assert abs(lrs["change"] - 1) < 0.05
    assert lrs["G_start_S_ci_low"] <= lrs["G_start_S"] <= lrs["G_start_S_ci_high"]
    assert lrs["G_end_S_ci_low"] <= lrs["G_end_S"] <= lrs["G_end_S_ci_high"]
    assert abs(lrs["decades_per_decade"]) < 3 * lrs["decades_per_decade_se"] + 0.01


def test_closer_spikes_fire_sooner_and_sparse_ones_never(station, tmp_path):
    neuron = run(station, tmp_path, "neuron", spacings="1.5ms,2ms,4ms", repeats=3)["neuron"]
    fast, medium, slow = neuron["spikes_to_fire"]
    assert fast is not None and medium is not None and fast <= medium
    assert slow is None  # 4 ms apart the gap relaxes between spikes
    assert neuron["n"] == [3, 3, 3]
    assert neuron["spikes_to_fire_ci_low"][0] <= fast <= neuron["spikes_to_fire_ci_high"][0]


def test_frequent_pulses_consolidate_the_atomic_switch_and_sparse_ones_do_not(tmp_path):
    with Station.load(device="ag-ag2s-gap-pt") as station:
        rows = run(station, tmp_path, "stp-ltp", spacings="2s,20s", hold="60s")["stp_ltp"]
    assert rows[0]["long_term"] and not rows[1]["long_term"]
    kept = rows[0]  # a consolidated state is not forgotten over the hold
    assert abs(kept["forgetting"]) < 3 * kept["forgetting_se"] + 0.01


def test_the_model_filament_has_one_level_whatever_the_compliance(bioi_station, tmp_path):
    result = run(bioi_station, tmp_path, "multilevel", compliances="100nA,1uA,10uA", repeats=2)[
        "multilevel"
    ]
    assert result["distinct_levels"] == 1
    assert np.allclose(result["state_S"], 1e-5, rtol=0.1)
    assert abs(result["slope"]) < 3 * result["slope_se"] + 0.01  # one level: no slope


def test_forming_stops_at_the_first_pulse_that_reaches_the_target(bioi_station, tmp_path):
    figures = run(bioi_station, tmp_path, "forming", start="20mV", increment="10mV")
    assert 0.03 <= figures["forming_V"] <= 0.1
    assert figures["forming"]["pulses"] == pytest.approx(figures["forming_V"] / 0.01 - 1, abs=0.5)


def test_analyses_on_synthetic_data():
    t = np.arange(1, 201) * 1e-3
    g = np.full(200, 1e-11)
    g[120:] = 1e-6
    assert read_drift(lambda: [(t, g)])["disturbed_after_s"] == pytest.approx(0.121)
    assert read_drift(lambda: [(t[:5], g[:5])])["reason"] == "fewer than 10 reads"
    drift = 1e-9 * t**0.5 * 10 ** np.random.default_rng(2).normal(0, 0.02, t.size)
    found = read_drift(lambda: [(t[:77], drift[:77]), (t[77:], drift[77:])])
    error = found["decades_per_decade_se"]
    assert abs(found["decades_per_decade"] - 0.5) < 3 * error and 0 < error < 0.01
    assert (
        spikes_to_fire([1, 1, 2, 2, 3, 3], [1, 1, 1, 1, 1, 1], [0, 0, 1e-8, 1e-8, 5e-7, 9e-7], 1e-6)
        == 3
    )
    assert spikes_to_fire([1, 2], [1, 1], [0, 0], 1e-6) is None
    assert consolidated(9e-6, 1e-5, 1e-9) and not consolidated(1e-8, 1e-5, 1e-9)
    assert not consolidated(1e-9, 1.5e-9, 1e-9)  # never set
    assert levels([1e-7, 1e-6, 1e-5], [1e-6, 1e-5, 1e-4])["distinct_levels"] == 3
    assert levels([1e-7, 1e-6, 1e-5], [1e-6, 1e-5, 1e-4])["slope"] == pytest.approx(1.0)
    assert forming_voltage([0.1, 0.2, 0.3], [1e9, 1e5, 1e4], 1e6) == 0.2
    assert forming_voltage([0.1, 0.2], [1e9, 1e9], 1e6) is None


def test_medians_over_repeats_have_intervals_and_slopes_standard_errors():
    from bmrlab.analysis.stimulus_response import fire_counts, log_slope

    counts = fire_counts([12, 14, 15, 13, 16], max_spikes=100)
    assert counts["median"] == 14 and counts["ci_low"] <= 14 <= counts["ci_high"]
    assert counts["n"] == 5
    never = fire_counts([12, np.inf, np.inf], max_spikes=100)
    assert never["median"] is None and never["ci_high"] is None  # not bounded
    assert fire_counts([12, 13, np.inf], max_spikes=100)["ci_high"] is None
    rng = np.random.default_rng(1)
    c = np.repeat([1e-7, 1e-6, 1e-5], 4)
    g = 1e-3 * c**0.5 * 10 ** rng.normal(0, 0.05, c.size)
    slope, error = log_slope(c, g)
    assert abs(slope - 0.5) < 3 * error and 0 < error < 0.05
    assert log_slope([1e-7, 1e-6], [1e-6, 1e-5]) == (None, None)
    result = levels(c, g)
    assert result["slope"] == slope and result["slope_se"] == error
    assert result["n"] == [4, 4, 4]
    low, median, high = (
        result["state_S_ci_low"][0],
        result["state_S"][0],
        result["state_S_ci_high"][0],
    )
    assert low <= median <= high
