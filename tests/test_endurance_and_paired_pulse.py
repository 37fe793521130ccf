"""The endurance and paired-pulse protocols end to end on the simulated station."""

import threading

import numpy as np
import pytest
import yaml

from bmrlab import runner
from bmrlab.analysis.endurance import EndurancePhase
from bmrlab.procedures.endurance import Endurance
from bmrlab.procedures.paired_pulse import PairedPulse
from bmrlab.station import Station
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
    assert not result.endurance_censored and not result.endurance_floor_limited
    ratios = result.stats.endurance_cycles.on_off
    # open (the HRS resolved on the 10 nA range: G_off 1e-10 S, 2 pA at 20 mV), then closed
    assert ratios[0] > 1e4 and ratios[-1] < 10
    # every reset checked: the resets fail only as the window closes
    assert result.failed_sets == 0 and result.failed_resets > 0
    assert result.first_failed_cycle > result.endurance_cycles
    scheme = result.stats.read_scheme
    assert scheme.reset_check_mV == 200 and scheme.cycles_checked == done.data["cycle"].max()
    (mark,) = Endurance.result_plot(result).marks
    assert mark.x == result.endurance_cycles and mark.label.endswith(" cycles")


def test_endurance_stops_at_max_cycles_censored(station, tmp_path):
    result = run(station, tmp_path, "endurance", max_cycles=30)
    assert result.result.endurance_cycles == 30 and result.result.endurance_censored
    assert result.result.flags() == {
        "endurance_censored": True,
        "endurance_floor_limited": False,
    }
    cycles = result.data["cycle"]
    assert cycles.max() == 30 and np.all(np.isin([1, 2, 30], cycles))


def test_the_hrs_is_resolved_on_a_finer_range_without_touching_the_source(station, tmp_path):
    """The HRS of ag-pnw-ag (G_off 1e-11 S: 0.2 pA at 20 mV, somewhat more after the read's
    settling at 20 mV) is below the 1 nA floor of the 1 uA range; read again on 10 nA at
    1 NPLC, On/Off is ~10^5-10^6 as in the I-V sweep, not ~200. No range change reaches the
    device."""
    done = run(station, tmp_path, "endurance", max_cycles=100)
    dog = station.sim.device_of(station.sim.by_name("smu")).watchdog
    assert dog.overshoots == [] and dog.max_abs_v == pytest.approx(0.2)
    result = done.result
    scheme = result.stats.read_scheme
    assert (scheme.hrs_range_A, scheme.hrs_nplc, scheme.lrs_range_A) == (1e-8, 1.0, 1e-6)
    reads = result.stats.endurance_cycles
    assert scheme.cycles_read == len(reads.read_cycles) == 30  # 20 a decade, 1..100
    assert all(f == pytest.approx(1e-13) for f in reads.hrs_floor_A)
    assert all(1e-13 < h < 2e-12 for h in reads.hrs_A)
    window = result.stats.window_on_off
    assert 1e5 < window.median < 2e6 and window.ci_low < window.median < window.ci_high
    data = done.data
    resolved = data["phase"] == EndurancePhase.HRS_RESOLVED
    assert np.all(data["range_A"][resolved] == 1e-8) and resolved.sum() == scheme.cycles_read
    # the same cycles' HRS on the 1 uA range is at its floor: On/Off ~200 there
    coarse = np.abs(data["i_A"][data["phase"] == EndurancePhase.HRS_READ])
    assert np.median(coarse) < 1e-9


def test_every_cycle_is_checked_and_the_failed_sets_are_the_device_s(station, tmp_path):
    """A 100 mV, 15 ms set pulse is about the device's delay at 100 mV (13 ms median): some
    cycles do not set. The failed sets counted from the readings at the end of the pulses
    are the cycles the simulated device did not bridge in (give or take a bridge inside the
    last reading's aperture)."""
    device = station.sim.device_of(station.sim.by_name("smu"))
    before = device.sets
    done = run(
        station,
        tmp_path,
        "endurance",
        max_cycles=150,
        set_v=0.1,
        set_width=0.015,
        reads_per_decade=5,
    )
    result = done.result
    checked = result.stats.read_scheme.cycles_checked
    assert checked == done.data["cycle"].max() == 150
    assert 0 < result.failed_sets < checked
    assert abs(result.failed_sets - (checked - (device.sets - before))) <= 2
    sets = done.data["phase"] == EndurancePhase.SET
    assert sets.sum() == checked  # one check row per cycle, read cycles or not
    low = np.abs(done.data["i_A"][sets]) < result.stats.read_scheme.set_threshold_A
    assert result.first_failed_cycle == done.data["cycle"][sets][low][0]
    assert result.failed_resets is None  # a volatile device relaxes at 0 V: nothing to read


@pytest.mark.parametrize("name, finer", [("sim-2400", None), ("sim-2636b", 1e-8)])
def test_the_read_scheme_follows_the_instrument(tmp_path, name, finer):
    """The 2400 has no range below its 1 uA compliance range: its HRS stays at the 1 nA floor
    (On/Off about 200) and each set is checked on the read after the pulse, since the 2400
    reads a list step at its start; the 2636B reads the HRS on 10 nA like the 2450."""
    from bmrlab.paths import CONFIG_DIR
    from bmrlab.station import Station

    with Station.load(CONFIG_DIR / "stations" / f"{name}.yaml") as station:
        result = run(station, tmp_path, "endurance", max_cycles=20).result
        dog = station.sim.device_of(station.sim.by_name("smu")).watchdog
    scheme = result.stats.read_scheme
    assert scheme.hrs_range_A == finer and dog.overshoots == []
    assert result.failed_sets == 0 and scheme.cycles_checked == 20
    assert scheme.set_check_mV == (20 if name == "sim-2400" else 200)
    window = result.stats.window_on_off.median
    assert 100 < window < 400 if finer is None else window > 1e5


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


def test_each_ppf_median_has_its_interval_over_the_pairs_and_the_fit_its_errors(station, tmp_path):
    ppf = run(station, tmp_path, "paired-pulse", intervals="1ms,5ms,20ms,100ms,1s", repeats=8)
    ppf = ppf.result.ppf
    assert ppf.n == [8] * 5
    for low, median, high in zip(ppf.index_ci_low, ppf.index, ppf.index_ci_high, strict=True):
        assert low <= median <= high and high - low < 0.5
    fit = ppf.fit
    assert 0 < fit.tau1_ms_se < fit.tau1_ms and 0 < fit.C1_se < fit.C1
    assert "±" in fit.formula()


def test_the_ppf_figure_drawn_again_from_the_file_is_the_stored_one(station, tmp_path):
    from bmrlab.plotting import ppf_against_interval
    from bmrlab.storage.reader import open_file

    done = run(station, tmp_path, "paired-pulse", intervals="1ms,10ms,100ms", repeats=3)
    again = runner.reanalyze(tmp_path / "r.h5")
    with open_file(tmp_path / "r.h5") as handle:
        redrawn = ppf_against_interval(
            StoredRun(handle[again.run]), again.result, tmp_path / "again.png"
        )
    assert redrawn.read_bytes() == done.figure_files[0].read_bytes()


def test_log_tick_labels_are_plain_numbers():
    import matplotlib.pyplot as plt

    from bmrlab.plotting import plain_log_labels

    fig, ax = plt.subplots()
    ax.semilogx([12, 45], [1, 2])  # less than a decade: matplotlib labels the minor ticks
    plain_log_labels(fig)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels(minor=True) + ax.get_xticklabels()]
    plt.close(fig)
    assert "20" in labels and "30" in labels
    assert not any("times" in label or "^" in label for label in labels)


def test_a_log_axis_beyond_the_plain_range_labels_every_tick_alike():
    """Decades 0.1 to 10^6 (endurance cycles): all powers of ten, no 1, 10 beside 10^5."""
    import matplotlib.pyplot as plt

    from bmrlab.plotting import plain_log_labels

    fig, ax = plt.subplots()
    ax.loglog([0.1, 1e6], [1e-12, 1e-6])
    plain_log_labels(fig)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    plt.close(fig)
    assert len(labels) > 3 and all("10^" in label for label in labels), labels


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


def test_a_short_lived_lrs_is_read_within_a_millisecond_of_the_set_pulse(tmp_path):
    """A volatile device whose state lasts about 7 ms (a figure set of the coverage
    hypercube): read a pulse-long 10 ms step after the set, its LRS was gone and the window
    read as closed from the first cycle; read within 1 ms it is open."""
    spec = {
        "name": "short-lived",
        "volatile": True,
        "conditions": {"delay_at_mV": 167, "retention_pulse_mV": 167, "retention_pulse_ms": 39.8},
        "published": {
            "vset_mV": 116,
            "on_off_ratio": 17.8,
            "endurance_cycles": 25500,
            "delay_ms": 26.5,
            "retention_ms": 7.05,
        },
    }
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(spec))
    with Station.load(device=str(path)) as station:
        done = run(station, tmp_path, "endurance", set_v=0.348, max_cycles=5)
    result = done.result
    assert result.stats.read_scheme.lrs_read_delay_ms <= 1.0
    assert min(result.stats.endurance_cycles.on_off) > 10
    assert result.endurance_cycles == 5 and result.endurance_censored
