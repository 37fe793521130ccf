"""The I-V sweep end to end on the simulated station, as a user runs it."""

import numpy as np
import pytest

from bmrlab import runner
from bmrlab.errors import BadInput
from bmrlab.procedures.iv_sweep import HOLD_READS, control_levels
from bmrlab.storage import load_run


def run_iv(station, tmp_path, **values):
    procedure = runner.prepare(station, "iv-sweep", values)
    return runner.run(
        station, procedure, tmp_path / "run.h5", sample="s1", device=station.device_preset
    )


def test_volatile_protein_nanowire_device_gives_its_set_voltage(station, tmp_path):
    result = run_iv(station, tmp_path)
    assert result.status == "finished", result.reason
    vset = result.figures["stats"]["vset_mV"]
    assert vset["n"] == 20
    assert result.figures["vset_mV"] == pytest.approx(60, rel=0.15)
    assert 35 <= vset["p5"] < vset["p95"] <= 90  # the 40-80 mV spread of the device
    assert result.figures["vreset_mV"] is None  # unipolar sweep of a volatile device
    assert 5e5 <= result.figures["on_off_ratio"] <= 2e6
    # 20 mV x G_on (1e-5 S) x 20 mV, with its 95 % interval
    power = result.figures["stats"]["lrs_power_nW"]
    assert result.figures["lrs_power_nW"] == pytest.approx(4.0, rel=0.1)
    assert power["ci_low"] <= result.figures["lrs_power_nW"] <= power["ci_high"]


def test_with_a_precision_cycles_follow_until_the_vset_is_known_that_well(tmp_path):
    """ag-pnw-pd's Vset moves about 20 mV a cycle: 5 cycles leave its median uncertain by
    more than 10 %, so more follow, one at a time, until its 95 % interval is within 10 % or
    the limit; without a precision, exactly the cycles asked for."""
    from bmrlab.station import Station

    with Station.load(device="ag-pnw-pd") as station:
        fixed = run_iv(station, tmp_path / "a", cycles=5)
        more = run_iv(station, tmp_path / "b", cycles=5, precision=0.1, max_cycles=40)
    assert fixed.figures["stats"]["vset_mV"]["n"] == fixed.figures["stats"]["cycles"] == 5
    vset = more.figures["stats"]["vset_mV"]
    assert 5 < vset["n"] == more.figures["stats"]["cycles"] <= 40
    half = max(vset["ci_high"] - vset["median"], vset["median"] - vset["ci_low"])
    assert half <= 0.1 * vset["median"] or vset["n"] == 40
    cycles = load_run(more.path, more.run).data["cycle"]
    assert sorted(set(cycles)) == list(range(1, vset["n"] + 1))  # numbered on, no gap


def test_nonvolatile_device_is_cycled_bipolar_and_gives_set_reset_and_on_off(
    bioi_station, tmp_path
):
    result = run_iv(bioi_station, tmp_path)
    assert result.status == "finished", result.reason
    assert np.min(result.data["v_src_V"]) < 0  # bipolar by default
    assert result.figures["vset_mV"] == pytest.approx(50, rel=0.15)
    assert result.figures["vreset_mV"] == pytest.approx(50, rel=0.15)
    assert 0.5e5 <= result.figures["on_off_ratio"] <= 2e5
    assert result.figures["stats"]["resets"]["field_driven"] == 20  # every cycle
    assert result.figures["stats"]["zero_bias_hold"]["held_through"] is True  # the control


def test_a_volatile_device_swept_bipolar_relaxes_and_gets_no_vreset(station, tmp_path):
    """ag-pnw-ag has no reset mechanism: its filament dissolves by itself a few mV into
    the negative branch, which the old definition reported as a reset at 13 mV."""
    result = run_iv(station, tmp_path, v_neg=0.2, cycles=5)
    figures = result.figures
    assert figures["vreset_mV"] is None
    assert figures["stats"]["resets"]["relaxed_near_zero"] == 5
    reason = figures["stats"]["vreset_mV"]["reason"]
    assert reason.startswith("no field-driven reset") and "near 0 V" in reason


def test_a_volatile_filament_that_snaps_beyond_v_read_is_caught_by_the_control_cycle(tmp_path):
    """ag-cspbi3-ag's filament outlives the down branch and snaps 46 mV into the negative
    branch, abruptly, as a reset would; held at 0 V in the control cycle it is gone as soon."""
    from bmrlab.station import Station

    with Station.load(device="ag-cspbi3-ag") as station:
        result = run_iv(station, tmp_path, v_neg=0.2, cycles=4)
    figures = result.figures
    assert figures["vreset_mV"] is None
    assert figures["stats"]["resets"]["relaxed_at_zero_bias"] == 4
    assert figures["stats"]["zero_bias_hold"]["held_through"] is False
    assert np.asarray(result.data["cycle"])[-1] == 0  # the control runs last, numbered 0
    control = result.data["cycle"] == 0
    assert set(result.data["phase"][control]) == {0, 1, 2, 3, 4}
    assert np.all(result.data["v_src_V"][control] >= 0)  # no negative bias in the control


def test_the_stored_run_is_reanalysed_offline_to_the_same_figures_and_plots(bioi_station, tmp_path):
    procedure = runner.prepare(bioi_station, "iv-sweep", {"cycles": 3})
    result = runner.run(
        bioi_station,
        procedure,
        tmp_path / "run.h5",
        sample="s1",
        device=bioi_station.device_preset,
        figures_dir=tmp_path,
    )
    again = runner.reanalyze(tmp_path / "run.h5")
    assert again.protocol == "iv-sweep" and not again.changed
    assert again.result == result.result
    assert [f.name.rsplit("_", 1)[1] for f in result.figure_files] == ["iv.png", "vset.png"]
    assert all(f.stat().st_size > 0 for f in result.figure_files)


def test_the_run_is_in_the_file_as_measured(station, tmp_path):
    result = run_iv(station, tmp_path, cycles=2)
    stored = load_run(tmp_path / "run.h5")
    assert stored.status == "finished"
    assert stored.protocol == "iv-sweep"
    assert len(stored.data) == len(result.data["i_A"])
    assert list(stored.data.columns) == [
        "t_s",
        "v_V",
        "v_src_V",
        "i_A",
        "cycle",
        "phase",
        "limit_hit",
        "overflow",
    ]
    assert stored.units["i_A"] == "A" and stored.units["v_max"] == "V"
    assert stored.parameters["cycles"] == 2
    assert stored.figures["vset_mV"] == result.figures["vset_mV"]
    assert stored.station["instruments"]["smu"]["idn"].startswith("KEITHLEY")
    assert stored.station["instruments"]["smu"]["settings"]["source_range_V"] == 0.2
    assert np.all(np.diff(stored.data["t_s"]) > 0)
    assert set(stored.data["limit_hit"]) <= {0, 1}


def test_compliance_is_flagged_per_point(station, tmp_path):
    result = run_iv(station, tmp_path, cycles=2)
    limited = result.data["limit_hit"] == 1
    assert limited.any()
    assert np.all(np.abs(result.data["i_A"][limited]) > 0.9e-6)


def test_a_2000_point_sweep_needs_fewer_than_005_visa_transactions_per_point(station, tmp_path):
    # 0 -> 0.5 V -> 0 in 0.5 mV steps: 2001 sweep points plus one read per cycle
    result = run_iv(station, tmp_path, v_max=0.5, step=0.5e-3, cycles=1, rest=0)
    points = len(result.data["i_A"])
    assert points >= 2000
    assert station.sim.transactions / points < 0.05


def test_the_device_never_sees_more_than_the_sweep_and_no_glitch(station, tmp_path):
    run_iv(station, tmp_path, v_max=0.15, cycles=2)
    watchdog = station.sim.devices["dut"].watchdog
    assert watchdog.max_abs_v <= 0.15 + 1e-9
    assert watchdog.overshoots == []


def test_output_is_off_at_zero_volts_after_the_run(station, tmp_path):
    run_iv(station, tmp_path, cycles=1)
    smu = station.sim.by_name("smu")
    assert smu.output is False and smu.level == 0.0


def test_beyond_the_station_limit_is_refused_before_any_command(station):
    with pytest.raises(BadInput) as refused:
        runner.prepare(station, "iv-sweep", {"v_max": "0.8"})
    (line,) = refused.value.problems
    assert "v_max" in line and "0.8 V" in line and "0.5 V" in line
    assert station.sim.transactions == 0


def test_too_short_a_dwell_for_the_aperture_is_refused_before_any_command(station):
    with pytest.raises(BadInput, match="dwell"):
        runner.prepare(station, "iv-sweep", {"dwell": "0.5ms", "nplc": 1})
    assert station.sim.transactions == 0


@pytest.mark.parametrize("station_file, lower_bound", [("sim-2450", False), ("sim-2400", True)])
def test_the_same_sweep_runs_on_each_simulated_station(station_file, lower_bound, tmp_path):
    from bmrlab.station import Station

    with Station.load(station_file) as station:
        result = run_iv(station, tmp_path, cycles=10)
    assert result.status == "finished", result.reason
    assert result.figures["vset_mV"] == pytest.approx(60, rel=0.15)
    # the 2400 cannot see a pA high-resistance state: its On/Off is a flagged lower bound
    assert result.figures["on_off_lower_bound"] is lower_bound


def test_the_control_cycle_holds_0_v_as_long_as_the_negative_branch_with_sparse_reads():
    levels, phases = control_levels(0.2, 0.2, 1e-3, 0.02, rest_points=3)
    hold = np.flatnonzero(phases >= 3)
    assert hold.size == 200  # the steps from 0 V out to -0.2 V
    reads = hold[phases[hold] == 4]
    assert reads.size == HOLD_READS and reads[-1] == levels.size - 1
    assert np.all(levels[reads] == 0.02) and np.all(levels[hold[phases[hold] == 3]] == 0)
    assert np.all(phases[: hold[0]] <= 2) and levels[: hold[0]].min() == 0  # no negative branch
