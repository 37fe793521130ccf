"""Device files on any station, the prober that moves between devices, and characterize's
measured-beside-published report."""

import io
import json
import sys

import h5py
import pytest
import yaml

from bmrlab import runner
from bmrlab.characterize import Characterization, characterize, comparison
from bmrlab.device import DeviceFile, load_device_file
from bmrlab.errors import BadInput
from bmrlab.paths import CONFIG_DIR, DEFAULT_STATION
from bmrlab.prober import ManualProber, SimulatedProber
from bmrlab.recipe import Recipe, execute, plan
from bmrlab.station import Station
from bmrlab.storage import Store, load_run

HARDWARE = CONFIG_DIR / "stations" / "k2450-33500b.yaml"  # nothing listens at its addresses
QUICK = {
    "endurance": {"max_cycles": 30},
    "pulse-delay": {"pulses": 3},
    "retention": {"traces": 3, "window": 5.0},
    "paired-pulse": {"repeats": 1},
}


def station_file(tmp_path, source=DEFAULT_STATION, **entries):
    data = {**yaml.safe_load(source.read_text()), **entries}
    path = tmp_path / "station.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


# --- the device file ---------------------------------------------------------------------------
def test_conditions_and_published_figures_are_apart():
    spec = load_device_file("ag-pnw-ag")
    conditions = spec.test_conditions()
    assert conditions["volatile"] is True
    assert conditions["retention_pulse_ms"] == 20 and conditions["delay_at_mV"] == 100
    assert not set(conditions) & set(spec.published_figures())
    assert spec.published_figures()["retention_ms"] == 29


def test_a_file_in_the_earlier_layout_is_told_where_its_keys_went(tmp_path):
    path = tmp_path / "old.yaml"
    path.write_text("name: old\nsweep_rate: 0.1\nfigures: {vset_mV: 60, delay_at_mV: 100}\n")
    with pytest.raises(BadInput) as refused:
        load_device_file(str(path))
    assert "figures, sweep_rate" in str(refused.value)
    assert "published:" in str(refused.value) and "conditions:" in str(refused.value)


def test_conditions_not_given_are_the_standard_ones():
    conditions = DeviceFile(name="d").test_conditions()
    assert conditions == {
        "volatile": True,
        "compliance": 1e-6,
        "sweep_dwell_s": 2e-3,
        "delay_at_mV": 100.0,
        "retention_pulse_mV": 100.0,
        "retention_pulse_ms": 20.0,
        "sweep_v_max": 0.2,
    }


# --- a device file on a station -----------------------------------------------------------------
def test_on_a_hardware_station_the_device_file_gives_the_conditions_without_connecting():
    with Station.load(HARDWARE, device_file="ag-bioi-pt") as station:
        assert station.conditions()["volatile"] is False
        assert station.published() == load_device_file("ag-bioi-pt").published_figures()
        assert station.device_preset == "ag-bioi-pt"
        iv = runner.prepare(station, "iv-sweep", {})
        retention = runner.prepare(station, "retention", {})
        assert iv.v_neg == iv.v_max  # nonvolatile: bipolar
        assert retention.volatile is False and retention.window == 3600.0
        assert isinstance(station.prober, ManualProber)
        assert station.snapshot()["device_file"] == "ag-bioi-pt"
        assert station.smu is None and station.generator is None  # nothing was touched


def test_without_a_device_file_a_hardware_station_knows_no_conditions():
    with Station.load(HARDWARE) as station:
        assert station.conditions() == {} and station.published() == {}
        assert station.device_preset is None
        assert runner.prepare(station, "iv-sweep", {}).v_neg == 0.0  # the standard: unipolar


def test_device_selects_a_simulated_device_only_and_names_the_device_file_option():
    with pytest.raises(BadInput, match="--device-file"):
        Station.load(HARDWARE, device="ag-bioi-pt")


def test_on_the_simulator_the_device_file_is_also_the_simulated_device():
    with Station.load(device_file="ag-bioi-pt") as station:
        assert station.device_preset == "ag-bioi-pt"
        assert station.sim.preset.key == "ag-bioi-pt"
        assert station.conditions()["volatile"] is False
    # a simulated device chosen apart: the conditions still come from the device file
    with Station.load(device="ag-pnw-ag", device_file="ag-bioi-pt") as station:
        assert station.sim.preset.key == "ag-pnw-ag"
        assert station.conditions()["volatile"] is False


def test_a_reference_part_has_no_device_file():
    with Station.load(device="open") as station:
        assert station.conditions() == {} and station.published() == {}


def test_runs_store_the_published_figures_apart_from_the_conditions(tmp_path):
    with Station.load(device="ag-pnw-ag") as station:
        writer = Store(tmp_path / "r.h5").begin_run(
            sample="s",
            device="d",
            protocol="iv-sweep",
            parameters={"cycles": 1},
            units={"cycles": ""},
            station=station.snapshot(),
            conditions=station.conditions(),
            published=station.published(),
        )
        writer.finish("finished", "")
    with h5py.File(tmp_path / "r.h5") as handle:
        attrs = handle[writer.run_path].attrs
        assert json.loads(attrs["published"]) == {
            "vset_mV": 60,
            "on_off_ratio": 1e6,
            "endurance_cycles": 1e4,
            "delay_ms": 13,
            "retention_ms": 29,
        }
        assert "retention_ms" not in json.loads(attrs["conditions"])
    assert load_run(tmp_path / "r.h5").parameters == {"cycles": 1}


# --- the prober -------------------------------------------------------------------------------
def test_a_station_gets_its_prober_from_the_station_file(tmp_path):
    with Station.load() as station:
        assert isinstance(station.prober, SimulatedProber) and station.prober.unattended
    with Station.load(station_file(tmp_path, prober="manual")) as station:
        assert isinstance(station.prober, ManualProber) and not station.prober.unattended
    with pytest.raises(BadInput, match="prober: simulated needs simulated instruments"):
        Station.load(station_file(tmp_path, HARDWARE, prober="simulated"))


def test_the_simulated_prober_gives_a_pristine_device_of_the_same_kind(tmp_path):
    with Station.load() as station:
        procedure = runner.prepare(station, "iv-sweep", {"cycles": 2})
        runner.run(station, procedure, tmp_path / "r.h5", sample="s", device="d")
        worn = station.sim.devices["dut"]
        assert worn.sets >= 2 and worn.watchdog.max_abs_v > 0
        station.prober.next_device("A2", "chip")
        fresh = station.sim.devices["dut"]
    assert fresh is not worn and fresh.p == worn.p and fresh.seed != worn.seed
    assert fresh.sets == 0 and not fresh.bridged and fresh.watchdog.max_abs_v == 0
    assert fresh.t == pytest.approx(worn.t)  # the chip's clock goes on


def test_the_manual_prober_asks_a_person_to_move_the_probes(monkeypatch):
    asked = []
    prober = ManualProber(ask=asked.append)
    prober.next_device("A2", "chip7")
    prober.next_device()
    assert asked == [
        "Move the probes to device A2 of chip7, then press Enter: ",
        "Move the probes to a pristine device of the same kind, then press Enter: ",
    ]
    assert prober.check() == ""
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal
    assert "not a terminal" in ManualProber().check()


def recipe(**entries) -> Recipe:
    return Recipe.model_validate(
        {
            "sample": "chip7",
            "devices": [{"id": "A1"}, {"id": "A2"}],
            "steps": [{"protocol": "iv-sweep", "set": {"cycles": 1}}],
            **entries,
        }
    )


def test_a_recipe_moves_with_the_stations_prober_before_each_device(tmp_path):
    path = station_file(tmp_path, prober="manual")
    with pytest.raises(BadInput, match=r"prompt: hardware: a person is asked .* not a terminal"):
        plan(recipe(), lambda device: Station.load(path))
    events = []

    def station_for(device):
        station = Station.load(path)
        station.prober = ManualProber(ask=events.append)
        return station

    def on_run(k, planned):
        events.append(f"run {planned.device.id}")

    runs = plan(recipe(), station_for)
    outcomes = execute(recipe(), runs, station_for, tmp_path / "r.h5", on_run=on_run)
    assert [o.status for o in outcomes] == ["finished", "finished"]
    assert events == [
        ManualProber.prompt("A1", "chip7"),
        "run A1",
        ManualProber.prompt("A2", "chip7"),
        "run A2",
    ]
    events.clear()
    execute(recipe(prompt="never"), runs, station_for, tmp_path / "r.h5", on_run=on_run)
    assert events == ["run A1", "run A2"]  # nobody is asked; the prober does not move


# --- characterize -----------------------------------------------------------------------------
def test_characterize_with_a_manual_prober_stays_on_the_probed_device(tmp_path):
    asked = []
    with Station.load(station_file(tmp_path, prober="manual")) as station:
        station.prober = ManualProber(ask=asked.append)
        first = station.sim.devices["dut"]
        result = characterize(station, tmp_path / "c.h5", sample="s", device="d", overrides=QUICK)
        assert station.sim.devices["dut"] is first
    assert asked == []  # a person is not asked between the protocols
    assert [r.status for r in result.results] == ["finished"] * 5
    assert result.extra["fresh_device_per_protocol"] is False
    assert result.extra["cycles_before_endurance"] > 0


def test_characterize_summary_and_report_carry_the_published_figures(tmp_path):
    with Station.load(device="ag-pnw-ag") as station:
        result = characterize(station, tmp_path / "c.h5", sample="s", device="d", overrides=QUICK)
    summary = result.summary()
    assert summary["published"] == load_device_file("ag-pnw-ag").published_figures()
    assert summary["conditions"]["retention_pulse_ms"] == 20
    report = comparison(result).splitlines()
    assert report[0] == "measured beside published (device file):"
    assert [line.split("  ")[0] for line in report[2:]] == [
        "Vset (mV)",
        "On/Off",
        "Endurance (cycles)",
        "Delay (ms)",
        "Retention (ms)",
    ]


def test_the_comparison_shows_each_published_figure_beside_the_measured_one():
    c = Characterization(
        "d",
        figures={
            "vset_mV": 66.0,
            "vreset_mV": None,
            "on_off_ratio": 2e5,
            "endurance_cycles": 50,
            "delay_ms": 10.0,
            "delay_at_mV": 100.0,
            "retention_ms": None,
        },
        published={"vset_mV": 60, "vreset_mV": 40, "endurance_cycles": 100, "delay_ms": 8},
        conditions={"delay_at_mV": 100.0},
        extra={"endurance_censored": True},
    )
    header, *rows = comparison(c).splitlines()[1:]
    cells = {row.split("  ")[0]: row.split() for row in rows}
    assert header.split() == ["figure", "measured", "published", "ratio"]
    assert set(cells) == {"Vset (mV)", "Vreset (mV)", "Endurance (cycles)", "Delay (ms)"}
    assert cells["Vset (mV)"][-3:] == ["66", "60", "1.10"]
    assert cells["Vreset (mV)"][-3:] == ["-", "40", "-"]  # published, not found
    assert cells["Endurance (cycles)"][-3:] == [">=50", "100", ">=0.50"]  # censored: a bound
    assert cells["Delay (ms)"][2:] == ["10", "@", "100", "mV", "8", "@", "100", "mV", "1.25"]
    assert comparison(Characterization("d", figures=c.figures)) == ""
