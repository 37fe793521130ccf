"""The switch matrix on the simulated station: the simulated Keithley 707B answers the manual's
own examples, closes its relays break before make in virtual time, connects the SMU to exactly
the wafer device whose crosspoint is closed, moves only with the SMU at 0 V; characterize,
recipes, station check and ``sim serve`` reach the devices through it.

[M]: Models 707B and 708B Switching Matrix Reference Manual (707B-901-01), by page.
"""

import json
import socket
import subprocess
import sys

import pytest
import pyvisa

from bmrlab.cli import main
from bmrlab.errors import BadInput
from bmrlab.paths import CONFIG_DIR
from bmrlab.recipe import Recipe, execute, plan
from bmrlab.safety import SafetyViolation
from bmrlab.sim.keithley707b import CLOSE_SETTLE_S, OPEN_SETTLE_S
from bmrlab.station import Station
from bmrlab.storage import list_runs, load_run
from bmrlab.switch import NoSwitch

STATION = CONFIG_DIR / "stations" / "sim-wafer-matrix.yaml"
SWITCH = "USB0::0x05E6::0x707B::SIM0707001::INSTR"
SHORTED, NEVER_SETS = "c1r0d1", "c1r0d2"  # demo-10x10-matrix, seed 7 (checked below)


@pytest.fixture
def raw():
    """A plain pyvisa session to the simulated 707B: TSP as a user's script writes it."""
    manager = pyvisa.ResourceManager(f"{STATION}@bmrsim")
    session = manager.open_resource(SWITCH, read_termination="\n")
    yield session
    session.close()
    manager.close()


def errors(session) -> list[str]:
    found = []
    while (entry := session.query("print(errorqueue.next())")).split("\t")[0] != "0":
        found.append(entry.split("\t")[1])
    return found


def test_the_manual_s_examples_give_the_manual_s_output(raw):
    assert raw.query("*IDN?").startswith("Keithley Instruments, Model 707B, SIM0707001")
    assert raw.query('print(channel.getclose("allslots"))') == "nil"  # [M] 7-27
    # [M] 7-27 example 1
    raw.write('channelList = "1A01:1H12"')
    raw.write('channel.close("1A01")')
    assert raw.query("print(channel.getclose(channelList))") == "1A01"
    raw.write('channel.close("1C03")')
    assert raw.query("print(channel.getclose(channelList))") == "1A01;1C03"
    # [M] 7-27 example 2 (from nothing closed)
    raw.write('channel.open("allslots")')
    raw.write('channel.close("1B03:1B05")')
    assert raw.query('print(channel.getclose("allslots"))') == "1B03;1B04;1B05"
    # [M] 7-24 (Rev. B 7-22), without the channel pattern: the others open, sorted output
    raw.write('channel.exclusiveclose("")')
    raw.write('channel.close("1D01,1E12")')
    assert raw.query('print(channel.getclose("slot1"))') == "1D01;1E12"
    raw.write('channel.exclusiveclose("1A01:1A05, 1C03")')
    assert raw.query('print(channel.getclose("slot1"))') == "1A01;1A02;1A03;1A04;1A05;1C03"
    # [M] 7-44 examples 1 and 2, read back with channel.getdelay ([M] 7-29)
    raw.write('channel.setdelay("1A03, 1A05", 50e-6)')
    delays = raw.query('print(channel.getdelay("1A03:1A05"))').split(",")
    assert [float(d) for d in delays] == [50e-6, 0.0, 50e-6]
    raw.write('channel.setdelay("slot1", 0)')
    assert float(raw.query('print(channel.getdelay("1A03"))')) == 0.0
    # [M] 7-21 example; the default is break-before-make ([M] 2-82)
    assert float(raw.query("print(channel.connectrule)")) == 1
    raw.write("channel.connectrule = channel.BREAK_BEFORE_MAKE")
    assert errors(raw) == []
    raw.write("reset()")
    assert raw.query('print(channel.getclose("allslots"))') == "nil"


def test_what_the_manual_says_is_an_error_is_refused_and_changes_nothing(raw):
    raw.write('channel.close("1A01")')
    raw.write('channel.close("allslots")')  # [M] 7-17: slotX / allslots are errors
    raw.write('channel.exclusiveclose("slot1")')  # [M] 7-24
    raw.write('channel.close("1A02, 2A01")')  # an empty slot: nothing closes ([M] 7-17)
    raw.write('channel.close("1A13")')  # strict: no such column
    raw.write('channel.close("1A05:1A02")')  # [M] 2-89: the lowest channel first
    raw.write("channel.connectrule = 3")
    assert len(errors(raw)) == 6
    assert raw.query('print(channel.getclose("allslots"))') == "1A01"


def test_break_before_make_opens_first_and_every_relay_settles_in_virtual_time():
    with Station.load("sim-wafer-matrix") as station:
        wafer, bench = station.sentio_sim.wafer, station.sim
        seen = []
        switch = wafer.switch
        wafer.switch = lambda bench, closed: (seen.append(sorted(closed)), switch(bench, closed))

        def timed(message):
            start = station.clock.now()
            assert bench.handle(SWITCH, message) is None
            return station.clock.now() - start - 0.5e-3  # less the bus transaction

        bench.handle(SWITCH, 'channel.setdelay("1A02", 0.01)')
        assert timed('channel.close("1A01")') == pytest.approx(CLOSE_SETTLE_S)
        # [M] 7-29: open settling + close settling + the user delay of the closed channel
        assert timed('channel.exclusiveclose("1A02")') == pytest.approx(
            OPEN_SETTLE_S + CLOSE_SETTLE_S + 0.01
        )
        assert seen == [["1A01"], [], ["1A02"]]  # nothing connected between the two
        assert timed('channel.open("allslots")') == pytest.approx(OPEN_SETTLE_S)  # [M] 7-35
        bench.handle(SWITCH, 'channel.close("1A01")')
        bench.handle(SWITCH, "channel.connectrule = channel.MAKE_BEFORE_BREAK")
        bench.handle(SWITCH, 'channel.exclusiveclose("1A02")')  # two devices at once
        bench.handle(SWITCH, 'channel.close("1B01")')  # rows A and B shorted through column 1
        first = bench.handle(SWITCH, "print(errorqueue.next())").decode()
        second = bench.handle(SWITCH, "print(errorqueue.next())").decode()
        assert first.split("\t")[:2] == [
            "-221",
            "Settings conflict: 1A01 and 1A02 would connect two devices at once "
            "(simulated wafer; strict)",
        ]
        assert "1A01 and 1B01 would short two rows" in second
        assert bench.handle(SWITCH, 'print(channel.getclose("allslots"))') == b"1A01"


def test_the_smu_reaches_exactly_the_device_whose_crosspoint_is_closed():
    with Station.load("sim-wafer-matrix") as station:
        wafer, bench = station.sentio_sim.wafer, station.sim
        assert [wafer.kind_of(a) for a in map(_parse, (SHORTED, NEVER_SETS))] == [
            "shorted",
            "never_sets",
        ]
        station.connect()
        smu = station.smu
        smu.configure(max_abs_v=0.1, compliance=1e-4, nplc=1)

        def current() -> float:
            return float(smu.read(0.02).i[0])

        assert abs(current()) < 1e-11  # at contact on c0r0, nothing closed: open circuit
        assert station.reach(SHORTED) == SHORTED
        assert bench.handle(SWITCH, 'print(channel.getclose("allslots"))') == b"1A02"
        assert current() == pytest.approx(0.02 / 1000.0, rel=0.1)  # 1 kOhm
        bench.handle(SWITCH, 'channel.open("allslots")')
        assert abs(current()) < 1e-11
        assert station.reach("c1r0d3") == "c1r0d3"  # same landing: no chuck move
        assert abs(current()) < 1e-9 and station.sim.devices["dut"].p == wafer.params_of(
            _parse("c1r0d3")
        )
        assert [station.reach() for _ in range(2)] == ["c2r0", "c2r0d1"]
        smu.safe_off()


def _parse(device_id):
    from bmrlab.die_address import DieAddress

    return DieAddress.parse(device_id)


def test_the_switch_moves_only_with_the_smu_at_0v():
    with Station.load("sim-wafer-matrix") as station:
        station.connect()
        station.smu.configure(max_abs_v=0.1, compliance=1e-4, nplc=1)
        station.reach("c0r0d1")
        station.smu.set_bias(0.05)
        with pytest.raises(SafetyViolation, match="at 50 mV: a relay moves only at 0 V"):
            station.reach("c0r0d2")
        assert station.sim.handle(SWITCH, 'print(channel.getclose("allslots"))') == b"1A02"
        station.smu.set_bias(0.0)
        assert station.reach("c0r0d2") == "c0r0d2"
        station.smu.safe_off()


def test_a_station_without_a_matrix_reaches_d0_only_and_a_matrix_wafer_needs_a_switch(tmp_path):
    with Station.load("sim-wafer") as station:
        assert isinstance(station.switch, NoSwitch)
        with pytest.raises(BadInput, match=r"device c3r4d1: .* d0 only: the station has no switch"):
            station.reach("c3r4d1")
    no_switch = tmp_path / "s.yaml"
    no_switch.write_text(
        (CONFIG_DIR / "stations" / "sim-wafer.yaml")
        .read_text()
        .replace("wafer: demo-10x10 ", "wafer: demo-10x10-matrix ")
    )
    with pytest.raises(BadInput, match=r"instruments.switch: missing: the wafer .* reaches 4"):
        Station.load(no_switch)
    wrong = tmp_path / "w.yaml"
    wrong.write_text(STATION.read_text().replace("close_delay: 5ms", "channels: [1A01, 1B01]"))
    with pytest.raises(BadInput, match=r"channels = \['1A01', '1B01'\] .* leave channels out"):
        Station.load(wrong)


def test_characterize_on_a_matrix_device_measures_that_device(tmp_path, capsys):
    status = main(
        ["characterize", "--station", "sim-wafer-matrix", "--device-id", SHORTED]
        + ["--sample", "w", "--out", str(tmp_path), "--json"]
        + ["--set", "endurance.max_cycles=10", "--set", "pulse-delay.pulses=2"]
    )
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert status == 0
    first = summary["runs"][0]
    assert first["protocol"] == "iv-sweep" and first["run"].startswith(f"/w/{SHORTED}/")
    run = load_run(tmp_path / "w.h5", first["run"])
    data = run.data
    beyond = data["v_V"].abs() > 0.002  # 1 kOhm reaches the 1 µA limit at 1 mV
    assert beyond.any() and data.loc[beyond, "limit_hit"].all()
    # a short is a resistor: it reaches the compliance at the conductance it started with,
    # so it never set and has neither a Vset nor an On/Off
    assert summary["figures"]["vset_mV"] is None and summary["figures"]["on_off_ratio"] is None
    switch = run.station["instruments"]["switch"]
    assert "Model 707B" in switch["idn"] and switch["settings"]["closed"] == "1A02"
    closed = {  # on a wafer every protocol measures the one device (no neighbour stands in)
        load_run(tmp_path / "w.h5", r["run"]).station["instruments"]["switch"]["settings"]["closed"]
        for r in summary["runs"]
    }
    assert len(summary["runs"]) > 1 and closed == {"1A02"}


def test_a_recipe_reaches_every_listed_device_through_the_matrix(tmp_path):
    ids = [f"c{c}r0d{d}" for c in (0, 1) for d in range(4)]
    recipe = Recipe.model_validate(
        {
            "sample": "wafer7",
            "devices": [{"id": i} for i in ids],
            "steps": [{"protocol": "iv-sweep", "set": {"cycles": 1}}],
        }
    )

    def station_for(device):
        return Station.load("sim-wafer-matrix")

    out = tmp_path / "wafer7.h5"
    outcomes = execute(recipe, plan(recipe, station_for), station_for, out)
    assert [o.status for o in outcomes] == ["finished"] * 8
    assert [r.split("/")[2] for r in list_runs(out)["run"]] == ids
    by_id = dict(zip(ids, outcomes, strict=True))
    for device_id, outcome in by_id.items():
        if device_id in (NEVER_SETS, SHORTED):  # no set, so no low-resistance state
            assert outcome.figures["vset_mV"] is None and outcome.figures["on_off_ratio"] is None
        else:
            assert 20 < outcome.figures["vset_mV"] < 120, device_id
    hrs = [by_id[i].figures["stats"]["hrs_A"]["median"] for i in ids]
    assert len(set(hrs)) == len(hrs)  # eight devices, eight HRS currents (a Vset is on a 1 mV grid)
    shorted = load_run(out, by_id[SHORTED].run).data
    beyond = shorted["v_V"] > 0.002  # 1 kOhm reaches the 1 µA limit at 1 mV
    assert beyond.any() and shorted.loc[beyond, "limit_hit"].all()


def test_station_check_lists_the_707b_and_its_break_before_make_rule(tmp_path, capsys):
    status = main(
        ["station", "check", "--station", "sim-wafer-matrix", "--out", str(tmp_path), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    found = {f"{r['instrument']}: {r['check']}": r for r in report["checks"]}
    assert found["switch: identity"]["result"] == "pass"
    assert "Model 707B" in found["switch: identity"]["measured"]
    assert found["switch: connect rule"]["measured"] == "break-before-make"
    assert found["switch: error queue after the check"]["result"] == "pass"
    assert status == 0


def test_sim_serve_serves_the_707b_beside_the_smu_and_the_prober():
    process = subprocess.Popen(
        [sys.executable, "-m", "bmrlab.cli", "sim", "serve", "--station", "sim-wafer-matrix"]
        + ["--port", "0", "--prober-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        switch = next(line for line in lines if "707B (switch)" in line)
        host, port = switch.split("::")[1:3]
        with socket.create_connection((host, int(port)), timeout=10) as link:
            reader = link.makefile("r")
            link.sendall(b'channel.close("1A03")\nprint(channel.getclose("allslots"))\n')
            assert reader.readline().strip() == "1A03"
        assert any("MPI SENTIO" in line for line in lines)
    finally:
        process.terminate()
        process.wait(timeout=30)
