"""The endurance and paired-pulse protocols end to end on the simulated station."""

import threading

import numpy as np
import pytest

from bmrlab import runner
from bmrlab.procedures.endurance import Endurance
from bmrlab.procedures.paired_pulse import PairedPulse
from bmrlab.storage.stored_run import StoredRun


def run(station, tmp_path, protocol, **values):
    """A finished run whose figures the stored run alone reproduces exactly, offline."""
    procedure = runner.prepare(station, protocol, values)
    result = runner.run(
        station,
        procedure,
        tmp_path / "r.h5",
        sample="s1",
        device=station.device_preset,
        figures_dir=tmp_path,
    )
    assert result.status == "finished", result.reason
    again = runner.reanalyze(tmp_path / "r.h5")
    assert not again.changed and again.stored == result.figures
    return result


def test_nonvolatile_endurance_runs_to_the_closed_window(bioi_station, tmp_path):
    done = run(bioi_station, tmp_path, "endurance")
    assert done.figure_files[0].name.endswith("_endurance.png")
    result = done.result
    assert result.endurance_cycles == pytest.approx(50, rel=0.3)
    assert not result.endurance_censored
    ratios = result.stats.endurance_cycles.on_off
    assert ratios[0] > 100 and ratios[-1] < 10  # open (at the 1 uA range floor), then closed
    (mark,) = Endurance.result_plot(result).marks
    assert mark.x == result.endurance_cycles and mark.label.endswith(" cycles")


def test_endurance_stops_at_max_cycles_censored(station, tmp_path):
    result = run(station, tmp_path, "endurance", max_cycles=30)
    assert result.result.endurance_cycles == 30 and result.result.endurance_censored
    assert result.result.flags() == {"endurance_censored": True}
    cycles = result.data["cycle"]
    assert cycles.max() == 30 and np.all(np.isin([1, 2, 30], cycles))


def test_paired_pulse_facilitation_fades_with_the_interval(station, tmp_path):
    result = run(
        station, tmp_path, "paired-pulse", intervals="1ms,3ms,10ms,30ms,100ms,1s", repeats=6
    )
    ppf = result.result.ppf
    assert ppf.index[0] > 1.15  # facilitation at 1 ms
    assert abs(ppf.index[-1] - 1) < 0.1  # none left after 1 s
    assert 5 < ppf.fit.tau1_ms < 100
    assert result.figure_files[0].name.endswith("_ppf.png")
    curve = PairedPulse.result_plot(result.result).curve  # the window's plot when it ends
    assert curve.columns == {"interval_ms": ppf.interval_ms, "index": ppf.index}
    dt, fitted, text = curve.fit
    assert fitted[0] == pytest.approx(ppf.fit.index(dt[0])) and text.startswith("fit: 1 + ")


def test_paired_pulse_from_the_generator_into_an_smu_trace(tmp_path):
    from bmrlab.paths import CONFIG_DIR
    from bmrlab.station import Station

    with Station.load(CONFIG_DIR / "stations" / "sim-2450.yaml") as station:
        result = run(
            station,
            tmp_path,
            "paired-pulse",
            source="generator",
            width="2ms",
            intervals="2ms,10ms,300ms",
            repeats=4,
        )
        dog = station.sim.device_of(station.sim.by_name("smu")).watchdog
    index = result.result.ppf.index
    assert index[0] > 1.2 and index[0] > index[-1]
    assert dog.overshoots == [] and dog.max_abs_v == pytest.approx(0.1, abs=1e-3)


def test_generator_source_needs_a_generator(station):
    from bmrlab.errors import BadInput

    with pytest.raises(BadInput, match="source = generator"):
        runner.prepare(station, "paired-pulse", {"source": "generator"})


@pytest.mark.parametrize(
    "protocol, values",
    [
        ("paired-pulse", {"intervals": "1ms,10ms,100ms", "repeats": 2}),
        ("endurance", {"max_cycles": 20}),
        ("neuron", {"spacings": "1.5ms,4ms", "repeats": 2, "max_spikes": 30}),
    ],
)
def test_the_figures_do_not_depend_on_how_the_file_is_read(
    station, tmp_path, monkeypatch, protocol, values
):
    """Read 7 rows at a time (pairs, cycles and trains cut across blocks), the stored run
    gives the figures it gave when it ended."""
    run(station, tmp_path, protocol, **values)
    read_in_small_blocks(monkeypatch)
    assert not runner.reanalyze(tmp_path / "r.h5").changed


def test_the_read_drift_does_not_depend_on_how_the_file_is_read(station, tmp_path, monkeypatch):
    """The same up to the rounding of the running sums of the drift's slope."""
    run(station, tmp_path, "read-disturb", reads=500)
    read_in_small_blocks(monkeypatch)
    again = runner.reanalyze(tmp_path / "r.h5")
    now, stored = again.result.read_disturb.model_dump(), again.stored["read_disturb"]
    assert {k for k, v in now.items() if v is None} == {k for k, v in stored.items() if v is None}
    assert {k: v for k, v in now.items() if v is not None} == pytest.approx(
        {k: v for k, v in stored.items() if v is not None}, rel=1e-9
    )


def read_in_small_blocks(monkeypatch, rows=7):
    whole_blocks = StoredRun.chunks
    monkeypatch.setattr(
        StoredRun, "chunks", lambda self, names, rows=rows: whole_blocks(self, names, rows)
    )


@pytest.mark.parametrize(
    "protocol, values, png",
    [
        ("endurance", {"max_cycles": 1000}, "_endurance.png"),
        ("paired-pulse", {"intervals": "1ms,10ms", "repeats": 3}, "_ppf.png"),
    ],
)
def test_a_stopped_run_has_no_result_and_its_figure_shows_what_was_measured(
    station, tmp_path, protocol, values, png
):
    stop = threading.Event()

    def stop_after_the_first_rows(topic, payload):
        if topic == "progress":
            stop.set()

    procedure = runner.prepare(station, protocol, values)
    result = runner.run(
        station,
        procedure,
        tmp_path / "r.h5",
        sample="s1",
        device="d",
        figures_dir=tmp_path,
        on_event=stop_after_the_first_rows,
        stop=stop,
    )
    assert result.status == "aborted" and result.result is None
    assert [f.name[-len(png) :] for f in result.figure_files] == [png]
