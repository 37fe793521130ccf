"""Every protocol estimates its duration from its parameters before it starts (the window
shows it beside Start and in the run strip): checked against the station time a short run
really takes on the simulated station."""

import pytest

from bmrlab import runner
from bmrlab.procedures import PROTOCOLS
from bmrlab.station import Station

# a short run of each protocol; each runs to its end (forming: a target no read meets)
SHORT = {
    "iv-sweep": {"cycles": "2"},
    "pulse-delay": {"pulses": "2"},
    "retention": {"traces": "2"},
    "endurance": {"max_cycles": "30"},
    "paired-pulse": {"repeats": "1"},
    "forming": {"target": "1", "stop": "0.2"},
    "multilevel": {"repeats": "1"},
    "neuron": {"repeats": "1", "max_spikes": "20"},
    "read-disturb": {"reads": "2000"},
    "stp-ltp": {"pulses": "3", "hold": "10", "spacings": "2, 5"},
}


def test_every_protocol_has_a_short_run_here():
    assert set(SHORT) == set(PROTOCOLS)


@pytest.mark.parametrize("protocol", sorted(SHORT))
def test_the_estimate_is_the_station_time_the_run_takes(protocol, tmp_path):
    with Station.load() as station:
        procedure = runner.prepare(station, protocol, SHORT[protocol])
        estimate = procedure.estimated_duration()
        start = station.clock.now()
        result = runner.run(station, procedure, tmp_path / "run.h5", sample="s", device="d")
        took = station.clock.now() - start
    assert result.status == "finished", result.reason
    # "at most" estimates (time-outs, rests that double) may be long; none is short
    assert 0.5 * estimate <= took <= 1.3 * estimate, (estimate, took)


@pytest.mark.parametrize("protocol", sorted(SHORT))
def test_the_estimate_grows_with_the_run_length(protocol):
    with Station.load() as station:
        procedure = runner.prepare(station, protocol, SHORT[protocol])
        name, value = next(
            (name, value) for name, value in SHORT[protocol].items() if name != "target"
        )
        longer = {**SHORT[protocol], name: _doubled(value)}
        assert runner.prepare(station, protocol, longer).estimated_duration() > (
            procedure.estimated_duration()
        )


def _doubled(value: str) -> str:
    """A count, a time or a list twice as long (a list: each value repeated)."""
    if "," in value:
        return ", ".join(value.split(", ") * 2)
    return str(2 * float(value)) if "." in value else str(2 * int(value))


def test_the_window_shows_every_protocols_estimate(qtbot, window):
    for protocol in PROTOCOLS:
        window.protocol_box.setCurrentText(protocol)
        window.form.check()
        assert window.estimate_label.text().startswith("estimated duration: "), protocol
        assert "not known" not in window.estimate_label.text(), protocol
