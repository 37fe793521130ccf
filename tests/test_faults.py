"""Instrument faults injected by the simulator at pseudo-random points of every protocol:
the run fails with the reason, the source is left at 0 V and off where the instrument still
answers, the points measured before the fault are in the file, and the next run works after
reconnecting."""

import numpy as np
import pytest
import yaml

from bmrlab import runner
from bmrlab.cli import main
from bmrlab.paths import CONFIG_DIR
from bmrlab.procedures import PROTOCOLS
from bmrlab.station import Station
from bmrlab.storage import list_runs, load_run

KINDS = ["timeout", "disconnect", "garbled", "error", "stuck-compliance"]
ANSWERS = {"garbled", "error", "stuck-compliance"}  # the instrument still takes commands
SMALL = {
    "iv-sweep": {"cycles": 2},
    "pulse-delay": {"amplitudes": "100mV,200mV", "pulses": 3},
    "retention": {"traces": 3},
    "endurance": {"max_cycles": 30},
    "paired-pulse": {"intervals": "1ms,10ms", "repeats": 2},
    "stp-ltp": {"spacings": "2s", "pulses": 3, "hold": "5s"},
    "neuron": {"spacings": "2ms", "repeats": 1, "max_spikes": 30},
    "read-disturb": {"reads": 2000},
    "multilevel": {"compliances": "1uA", "repeats": 2},
    "forming": {"start": "20mV"},
}
RNG = np.random.default_rng(2026)
CASES = [
    (protocol, kind, int(RNG.integers(4, 20))) for protocol in sorted(PROTOCOLS) for kind in KINDS
]


def faulty_station(tmp_path, kind, after):
    config = yaml.safe_load((CONFIG_DIR / "stations" / "sim-2450.yaml").read_text())
    config["simulation"]["faults"] = [
        {"instrument": "smu", "kind": kind, "after": after, "error": '-113,"Undefined header"'}
    ]
    path = tmp_path / f"faulty-{kind}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_every_protocol_is_covered():
    assert set(SMALL) == set(PROTOCOLS)


@pytest.mark.parametrize("protocol, kind, after", CASES)
def test_a_fault_fails_the_run_safely_and_keeps_the_data(protocol, kind, after, tmp_path):
    path = faulty_station(tmp_path, kind, after)
    out = tmp_path / "f.h5"
    with Station.load(path) as station:
        procedure = runner.prepare(station, protocol, SMALL[protocol])
        result = runner.run(station, procedure, out, sample="s", device="d")
        smu = station.sim.by_name("smu")
        dog = station.sim.device_of(smu).watchdog
    assert dog.max_abs_v <= 0.5 + 1e-9 and dog.overshoots == []
    if kind != "stuck-compliance":  # a stuck flag is a data fault, not a failure
        assert result.status == "failed" and result.reason
    if kind in ANSWERS:
        assert not smu.output and smu.level == 0.0
    stored = load_run(out)
    assert len(stored.data) == len(next(iter(result.data.values()), []))
    assert stored.status == result.status
    with Station.load(CONFIG_DIR / "stations" / "sim-2450.yaml") as again:  # reconnected
        retry = runner.run(
            again, runner.prepare(again, "iv-sweep", {"cycles": 1}), out, sample="s", device="d"
        )
    assert retry.status == "finished"


def test_a_fault_exits_1_from_the_command_line(tmp_path, capsys):
    path = faulty_station(tmp_path, "timeout", 30)
    status = main(["run", "iv-sweep", "--station", str(path), "--out", str(tmp_path / "c.h5")])
    assert status == 1
    assert "failed" in capsys.readouterr().out
    assert list(list_runs(tmp_path / "c.h5")["status"]) == ["failed"]
