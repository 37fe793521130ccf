"""`characterize` gives every library device its published Table 1 figures back, within the
tolerances of DESIGN.md, from measured arrays only (the slowest tests of the suite: one full
characterization per device)."""

import json
from pathlib import Path

import pytest

from bmrlab.benchmarks.figure_space import ON_OFF_FACTOR
from bmrlab.benchmarks.figure_space import RELATIVE_TOLERANCE as RELATIVE
from bmrlab.characterize import (
    TABLE1,
    adapt,
    characterize,
    retention_pulse,
    set_pulse,
    stimuli_budget,
    table_row,
)
from bmrlab.cli import main
from bmrlab.device import load_device_file, preset_names
from bmrlab.procedures.pulse_delay import PulseDelayResult
from bmrlab.station import Station

USER_DEVICE = Path(__file__).parent / "data" / "user-device.yaml"


def assert_within_tolerance(measured: dict, published: dict):
    misses = []
    for key, tolerance in RELATIVE.items():
        if key in published:
            got = measured[key]
            if got is None or abs(got / published[key] - 1) > tolerance:
                misses.append(f"{key}: {got} vs {published[key]} (+-{tolerance:.0%})")
    if "on_off_ratio" in published:
        ratio = measured["on_off_ratio"] / published["on_off_ratio"]
        if not 1 / ON_OFF_FACTOR <= ratio <= ON_OFF_FACTOR:
            misses.append(
                f"on_off_ratio: {measured['on_off_ratio']:.3g} vs "
                f"{published['on_off_ratio']:.3g} (x2)"
            )
    assert not misses, "; ".join(misses)


@pytest.mark.parametrize("device", [*preset_names(), str(USER_DEVICE)])
def test_characterize_gives_the_published_figures(device, tmp_path):
    with Station.load(device=device) as station:
        result = characterize(station, tmp_path / "c.h5", sample="s", device="d")
    assert [r.status for r in result.results] == ["finished"] * 5, [
        r.reason for r in result.results
    ]
    spec = load_device_file(device)
    assert set(result.figures) == set(TABLE1)
    assert result.figures["volatile"] == spec.volatile
    assert_within_tolerance(result.figures, spec.published_figures())
    assert result.figures["delay_at_mV"] == pytest.approx(spec.conditions.delay_at_mV)
    pulse = [result.figures[key] for key in ("retention_pulse_mV", "retention_pulse_ms")]
    table1 = [spec.conditions.retention_pulse_mV, spec.conditions.retention_pulse_ms]
    if "retention_ms" in spec.published_figures():  # measured under its published pulse
        assert result.extra["retention_pulse_choice"] == "table1"
    if result.extra["retention_pulse_choice"] == "table1":
        assert pulse == pytest.approx(table1)
    else:  # the Table 1 pulse would not set it (cu-rdnaj-pt: 100 mV against a 120 mV Vset)
        assert pulse[0] >= 1.5 * result.figures["vset_mV"] * 0.999
        assert result.figures["retention_ms"] is not None


def test_characterize_cli_json_table_and_figures(tmp_path, capsys):
    status = main(
        [
            "characterize",
            "--device",
            "ag-bioi-pt",
            "--out",
            str(tmp_path),
            "--json",
            "--set",
            "endurance.max_cycles=100",
            "--set",
            "pulse-delay.pulses=5",
            "--set",
            "retention.window=10s",
        ]
    )
    summary = json.loads(capsys.readouterr().out)
    assert status == 0
    assert set(summary["figures"]) == set(TABLE1)
    assert summary["figures"]["volatile"] is False
    assert summary["retention_censored"] is True  # nonvolatile: the state outlasts 10 s
    names = {Path(f).name.split("_")[-1] for f in summary["files"]}
    assert names == {"iv.png", "vset.png", "delay.png", "retention.png", "endurance.png", "ppf.png"}
    assert (tmp_path / "sample_summary.json").exists()
    assert [r["protocol"] for r in summary["runs"]] == [
        "iv-sweep",
        "pulse-delay",
        "retention",
        "endurance",
        "paired-pulse",
    ]


def test_table_row_reads_like_table_1(tmp_path):
    with Station.load() as station:
        result = characterize(
            station,
            tmp_path / "c.h5",
            sample="s",
            device="ag-pnw-ag",
            overrides={
                "endurance": {"max_cycles": 50},
                "pulse-delay": {"pulses": 3, "precision": 0},
                "retention": {"traces": 3, "precision": 0},
                "paired-pulse": {"repeats": 1},
            },
        )
    header, _rule, row = table_row(result).splitlines()
    assert header.split(" | ")[0].strip() == "Device" and "Vset (mV)" in header
    assert row.startswith("ag-pnw-ag") and "volatile" in row
    assert ">=50" in row  # the window was still open after 50 cycles: censored, survived 50


def delays(by_mV: dict) -> PulseDelayResult:
    """A pulse-delay result with (median, p95) ms at each amplitude (None: did not switch)."""
    summaries = {
        f"{mv:g}": {"median": m, "p95": p, "pulses": 20, "switched": 20 if m else 0}
        for mv, (m, p) in by_mV.items()
    }
    first = next(iter(summaries.values()))
    return PulseDelayResult.model_validate(
        {
            "delay_ms": first["median"],
            "delay_at_mV": 100,
            "stats": {
                "delay_ms": first,
                "delay_by_mV": summaries,
                "set_energy_pJ": {},
                "set_energy_by_mV": {},
            },
        }
    )


def test_the_endurance_set_pulse_fits_three_delays_or_lasts_three_at_the_fastest_amplitude():
    fast = delays({60: (None, None), 90: (2.0, 4.0), 120: (0.5, 1.0)})
    assert set_pulse(fast, 10e-3) == {"set_v": 0.12}  # 3 x 4 ms does not fit 10 ms
    slow = delays({100: (30.0, 41.0), 150: (12.0, 20.0)})  # no amplitude fits 10 ms
    assert set_pulse(slow, 10e-3) == {"set_v": 0.15, "set_width": 0.06}
    assert set_pulse(delays({100: (None, None)}), 10e-3) == {}


def test_the_retention_pulse_is_the_table_1_one_only_where_it_sets_the_device():
    table1 = {"retention_pulse_mV": 100, "retention_pulse_ms": 20}
    kept, kind, why = retention_pulse(delays({100: (13.0, 19.0)}), 60, table1)
    assert (kept, kind) == ({"pulse_v": 0.1, "pulse_width": 0.02}, "table1")
    assert "13 ms" in why and "shorter than its width" in why
    # a nonvolatile device with Vset 120 mV: 100 mV does not switch it
    slow = delays({100: (None, None), 180: (1.5, 2.1), 240: (0.2, 0.3)})
    adapted, kind, why = retention_pulse(slow, 120, table1)
    assert kind == "adapted" and adapted == {"pulse_v": 0.18, "pulse_width": 3.2e-3}
    assert "1.5 x the measured Vset" in why and "did not switch" in why
    too_slow = delays({100: (25.0, 40.0), 180: (1.5, 2.1)})
    assert "is not shorter than its width" in retention_pulse(too_slow, 120, table1)[2]
    # nothing measured that sets it: the Table 1 pulse, and the reason
    kept, kind, why = retention_pulse(delays({100: (None, None)}), 120, table1)
    assert kind == "table1" and "no amplitude above it switched" in why


def test_the_type_is_measured_and_a_conflict_with_the_declared_one_flagged(tmp_path):
    declared = tmp_path / "declared-nonvolatile.yaml"  # the volatile device, declared otherwise
    declared.write_text("name: mislabelled\nreference: a test\nvolatile: false\n")
    with Station.load(device="ag-pnw-ag", device_file=str(declared)) as station:
        result = characterize(
            station,
            tmp_path / "c.h5",
            sample="s",
            device="d",
            overrides={
                "iv-sweep": {"cycles": 3},
                "endurance": {"max_cycles": 20},
                "pulse-delay": {"pulses": 3},
                "paired-pulse": {"repeats": 1},
            },
        )
    retention = result.results[2]
    assert retention.status == "finished", retention.reason
    assert retention.figures["retention_ms"] < 100  # the state decayed after ms
    assert result.figures["volatile"] is True and result.extra["type_conflict"]
    assert any("declare it nonvolatile" in note for note in result.notes)
    assert "volatile (declared not)" in table_row(result)


def test_characterize_refuses_a_bad_protocol_parameter_before_sending(capsys):
    assert main(["characterize", "--set", "endurance.set_v=2V"]) == 2
    assert "set_v" in capsys.readouterr().err


def test_figures_are_measured_to_a_precision_within_the_device_s_endurance():
    """Delay and retention go on until their intervals are within 10 %, but a device
    published to last 46 cycles is not set more than 23 times for it; the endurance run
    goes on to twice the published endurance."""
    assert stimuli_budget({}) == 60
    assert stimuli_budget({"endurance_cycles": 46}) == 23
    assert stimuli_budget({"endurance_cycles": 1e4}) == 60
    values, _ = adapt("pulse-delay", {}, {"endurance_cycles": 46}, 1.0)
    assert values["precision"] == 0.1 and values["max_pulses"] == 23
    values, _ = adapt("endurance", {}, {"endurance_cycles": 300}, 1.0)
    assert values["max_cycles"] == 600
