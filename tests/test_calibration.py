"""The calibration replays the protocols' own schemes, and its cache follows their source."""

import math
import re
import shutil

import numpy as np
import pytest
import yaml

from bmrlab import standard
from bmrlab.analysis.iv import analyze_cycle
from bmrlab.benchmarks.figure_space import (
    at_named_sweep_rate,
    figure_sets,
    misses,
    refusal_is_physical,
    write_device_file,
)
from bmrlab.errors import BadInput
from bmrlab.procedures.iv_sweep import IvSweep
from bmrlab.procedures.retention import Retention
from bmrlab.sim import calibration, model
from bmrlab.sim.calibration import (
    RETENTION_MISS,
    Protocols,
    StandardSmu,
    cache_key,
    calibrate_cached,
    model_figures,
    sweep_vreset,
    sweep_vset,
)
from bmrlab.sim.library import DeviceFile, load_device, resolve_device
from bmrlab.sim.model import BmrDevice
from bmrlab.station import Station
from bmrlab.validation import load_yaml


def test_the_standard_smu_times_its_readings_as_the_default_stations_smu():
    """The calibration's SMU is the default simulated station's, as the protocols configure
    it (the line frequency is the simulated instrument's answer)."""
    with Station.load(device="open") as station:
        station.connect()
        assert type(station.smu) in StandardSmu.__mro__
        for protocol in (IvSweep, Retention):
            nplc = protocol.parameter_specs()["nplc"].default
            station.smu.configure(max_abs_v=0.2, compliance=1e-6, nplc=nplc)
            standard_smu = StandardSmu(nplc)
            assert standard_smu.step_time() == pytest.approx(station.smu.step_time())
            for dwell in (0.4e-3, 2e-3, 10e-3):
                assert standard_smu.actual_dwell(dwell) == pytest.approx(
                    station.smu.actual_dwell(dwell)
                )
                assert standard_smu.sample_phase(dwell) == pytest.approx(
                    station.smu.sample_phase(dwell)
                )


def replayed_cycle(params, iv):
    """The I-V cycle on the bare model, read as the SMU reads it: |I| of every step."""
    d = BmrDevice(params.model_copy(update={"sigma_tau0": 0.0, "sigma_tau0r_w": 0.0}))
    currents = []
    for k, level in enumerate(iv.levels.tolist()):
        d.advance(k * iv.dwell + iv.sample_at, level, iv.compliance)
        currents.append(d.current(level, iv.compliance)[0])
        d.advance((k + 1) * iv.dwell, level, iv.compliance)
    return np.array(currents)


@pytest.mark.parametrize("preset", ["ag-pnw-ag", "cu-rdnaj-pt", "ag-tioxfy-pt"])
def test_the_replayed_set_and_reset_are_what_the_iv_analysis_finds(preset):
    """Vset and Vreset of the calibration are those the I-V analysis finds in the readings
    of the protocol's cycle on the bare model, wherever in a step the switch falls (Vset
    within a step: the current rises steeply just before the bridge that the continuous
    Vset follows, so the analysis may see the set one reading early)."""
    device = load_device(preset)
    iv = Protocols(device.conditions()).iv
    for factor in np.geomspace(0.5, 2.0, 9):
        params = device.params.model_copy(update={"tau0": device.params.tau0 * factor})
        found = analyze_cycle(
            iv.levels,
            replayed_cycle(params, iv),
            iv.phases,
            compliance=iv.compliance,
            v_read=standard.V_READ,
            step=iv.step,
        )
        assert found["vset_V"] == pytest.approx(sweep_vset(params, iv), abs=iv.step)
        if not device.spec.volatile:
            assert found["vreset_V"] == pytest.approx(sweep_vreset(params, iv), abs=1e-9)


def test_the_cache_key_hashes_the_model_the_schemes_and_the_solver():
    hashed = {module.__name__ for module in calibration.dependency_modules()}
    assert {
        "bmrlab.sim.model",
        "bmrlab.sim.calibration",
        "bmrlab.procedures.iv_sweep",
        "bmrlab.procedures.retention",
        "bmrlab.procedures.pulse_delay",
        "bmrlab.analysis.retention",
        "bmrlab.instruments.smu",
        "bmrlab.instruments.keithley2450",
        "bmrlab.standard",
    } <= hashed


def edited_model(monkeypatch, tmp_path):
    """The model module's source as if someone had edited it."""
    copy = tmp_path / "model.py"
    shutil.copy(model.__file__, copy)
    copy.write_text(copy.read_text() + "\n# an edit\n")
    monkeypatch.setattr(model, "__file__", str(copy))
    calibration.source_digest.cache_clear()


def test_a_calibration_is_cached_in_the_user_cache_until_the_model_changes(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = load_yaml(resolve_device("cu-rdnaj-pt"), DeviceFile, "device file")
    inputs = (spec.volatile, spec.published_figures(), spec.model, spec.test_conditions())
    calibrations = []
    real_calibrate = calibration.calibrate

    def counted(*args):
        calibrations.append(args)
        return real_calibrate(*args)

    monkeypatch.setattr(calibration, "calibrate", counted)
    first = calibrate_cached(*inputs)
    assert calibrate_cached(*inputs) == first
    assert len(calibrations) == 1
    assert list((tmp_path / "cache" / "bmrlab" / "calibration").glob("*.json"))
    key = cache_key(*inputs)
    try:
        edited_model(monkeypatch, tmp_path)
        assert cache_key(*inputs) != key
        assert calibrate_cached(*inputs) == first  # the same parameters, solved again
        assert len(calibrations) == 2
    finally:
        monkeypatch.undo()
        calibration.source_digest.cache_clear()


# --- solving the set kinetics continuously, and refusing only in physical terms -----------
def user_device(tmp_path, published: dict, conditions: dict | None = None, volatile=True):
    """A device file nobody here wrote."""
    path = tmp_path / "mine.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "mine",
                "volatile": volatile,
                "conditions": conditions or {},
                "published": published,
            }
        )
    )
    return path


def refusal(path) -> str:
    with pytest.raises(BadInput) as refused:
        load_device(str(path))
    return str(refused.value)


def test_the_gap_relaxation_time_is_solved_between_any_grid_points():
    """ag-tioxfy-pt leaves tau_x to the calibration: it comes out where Vset and the delay
    put it, not on a grid of tried values, and the replayed figures are the file's."""
    device = load_device("ag-tioxfy-pt")
    tau_x = device.params.tau_x
    assert all(abs(math.log(tau_x / tried)) > 0.05 for tried in (0.01, 0.1, 1.0, 10.0))
    figures = model_figures(device.params, False, device.conditions())
    for key in ("vset_mV", "delay_ms"):
        assert figures[key] == pytest.approx(device.spec.published_figures()[key], rel=0.02)


@pytest.mark.parametrize(
    "published, conditions",
    [
        ({"vset_mV": 70, "delay_ms": 100}, {"sweep_rate": 0.1, "delay_at_mV": 70}),
        ({"vset_mV": 45, "delay_ms": 12, "retention_ms": 50}, {"delay_at_mV": 100}),
        (
            {"vset_mV": 110, "delay_ms": 30, "retention_ms": 20},
            {"delay_at_mV": 140, "retention_pulse_mV": 140, "retention_pulse_ms": 45},
        ),
    ],
)
def test_a_held_read_never_sets_a_calibrated_device(published, conditions, tmp_path):
    """A 20 mV read bias held for as long as the read-disturb protocol reads does not set
    the device (its gap is driven at most 80 % of the way)."""
    device = load_device(str(user_device(tmp_path, published, conditions)))
    p = device.params
    typical = BmrDevice(p.model_copy(update={"sigma_tau0": 0.0}))
    assert typical.time_to_set(standard.V_READ, t_max=100.0) is None
    assert p.tau_x * typical.g_rate(standard.V_READ) <= 0.81
    figures = model_figures(p, True, device.conditions())
    for key, want in published.items():
        assert figures[key] == pytest.approx(want, rel=0.1), key


def test_a_delay_too_long_for_the_swept_vset_is_refused_by_the_integration_it_breaks(tmp_path):
    """A switch that sets at 40 mV in a 0.5 V/s sweep has built its set up within the
    80 ms the sweep takes to get there; at 48 mV it cannot take 100 ms."""
    text = refusal(user_device(tmp_path, {"vset_mV": 40, "delay_ms": 100}, {"delay_at_mV": 48}))
    assert "a Vset of 40 mV in an I-V sweep at 0.5 V/s with a delay of 100 ms at 48 mV" in text
    assert "do not fit one switch" in text and "sets within" in text
    for unwritten in ("retention", "On/Off", "Vreset", "30 ms", "80 mV"):
        assert unwritten not in text


def test_figures_that_need_a_gap_slower_than_the_protocols_rest_are_refused_for_it(tmp_path):
    """Vset 103 mV at 0.5 V/s with 80 ms at 128 mV needs a gap relaxing over about a second
    (where a 20 mV read would set it too); the protocols rest 0.5 s between stimuli, so the
    later cycles and pulses, which make the medians, would set sooner than the first. The
    refusal says so and names a slower sweep at which a gap that relaxes in the rest fits."""
    text = refusal(
        user_device(
            tmp_path,
            {"vset_mV": 103, "delay_ms": 80, "retention_ms": 5.57},
            {"delay_at_mV": 128, "retention_pulse_mV": 128, "retention_pulse_ms": 120},
        )
    )
    assert "for a gap that relaxes within the 0.5 s the protocols rest between stimuli" in text
    assert re.search(r"consistent at a sweep rate of at most ([\d.]+) V/s", text), text
    assert "retention" not in text  # the written retention has nothing to do with it


def test_a_retention_the_reads_nearly_hold_is_built_on_one_read_scheme(tmp_path):
    """129 ms after 1.81 ms at 144 mV, a pulse 1.5 delays long: the filament it grows is so
    weak that the 20 mV reads hold part of it, so its retention depends on how densely they
    come. Every trace is read at the same period, so one dissolution rate gives the figure
    (refused before, when the first trace set the later ones' read period)."""
    conditions = {"delay_at_mV": 144, "retention_pulse_mV": 144, "retention_pulse_ms": 1.81}
    published = {"vset_mV": 90.8, "delay_ms": 1.21, "retention_ms": 129}
    device = load_device(str(user_device(tmp_path, published, conditions)))
    replayed = model_figures(device.params, True, device.conditions())
    assert replayed["retention_ms"] == pytest.approx(129, rel=RETENTION_MISS)


def test_a_retention_of_a_few_read_periods_is_built_between_them(tmp_path):
    """A 5.18 ms retention read every 1.67 ms lies between two reads (3.75 and 5.42 ms
    after the pulse); the replay finds the crossing itself (it read 3.75 ms, -28 %, when it
    placed the crossing at the read after it)."""
    conditions = {
        "delay_at_mV": 87,
        "retention_pulse_mV": 87,
        "retention_pulse_ms": 47.5,
        "sweep_rate": 0.35,
    }
    published = {"vset_mV": 54.3, "on_off_ratio": 4.7e5, "delay_ms": 31.7, "retention_ms": 5.18}
    device = load_device(str(user_device(tmp_path, published, conditions)))
    replayed = model_figures(device.params, True, device.conditions())
    assert replayed["retention_ms"] == pytest.approx(5.18, rel=RETENTION_MISS)


def test_an_endurance_for_a_window_at_the_endurance_criterion_is_refused(tmp_path):
    """On/Off 10.2 is 2 % above the endurance criterion (On/Off >= 10), inside the read
    noise of an endurance run: its written endurance cannot be measured (a set like it
    read 28 cycles for 2760). Without an endurance, or with a window clear of the
    criterion, the device is built."""
    published = {"vset_mV": 103, "on_off_ratio": 10.2, "delay_ms": 43.1, "vreset_mV": 80.1}
    conditions = {"delay_at_mV": 156}
    text = refusal(
        user_device(tmp_path, {**published, "endurance_cycles": 2760}, conditions, False)
    )
    assert "an On/Off of 10.2 is within 5% of the endurance criterion" in text
    assert "no endurance of 2760 cycles can be measured" in text
    load_device(str(user_device(tmp_path, published, conditions, False)))
    clear = {**published, "on_off_ratio": 11.5, "endurance_cycles": 2760}
    load_device(str(user_device(tmp_path, clear, conditions, False)))


def test_a_figure_the_user_did_not_write_never_makes_a_refusal(tmp_path):
    """The default retention (30 ms after 100 mV, 20 ms) cannot follow from a pulse shorter
    than the device's delay: with no retention written, the device is built all the same;
    with one written, the refusal names the pulse that does not set it, not the default."""
    conditions = {"delay_at_mV": 120}
    path = user_device(tmp_path, {"vset_mV": 80, "delay_ms": 25}, conditions)
    params = load_device(str(path)).params
    replayed = model_figures(params, True, {**standard_conditions(), "delay_at_mV": 120.0})
    assert replayed["delay_ms"] == pytest.approx(25, rel=0.02)
    path = user_device(tmp_path, {"vset_mV": 80, "delay_ms": 25, "retention_ms": 40}, conditions)
    text = refusal(path)
    assert "a retention pulse of 100 mV for 20 ms does not set this device" in text
    assert "30 ms" not in text


def standard_conditions() -> dict:
    return DeviceFile(name="x").test_conditions()


@pytest.mark.parametrize("volatile", [True, False], ids=["volatile", "nonvolatile"])
def test_figure_sets_nobody_here_wrote_are_built_or_refused_for_a_physical_conflict(
    volatile, tmp_path
):
    """Coverage, the quick part (bench/calibration_coverage.py characterizes the whole
    400-set hypercube): ten figure sets of each type from a Latin hypercube of the
    plausible figure space. Each is either built, and its protocols replayed on the model
    give every written figure back within the DESIGN.md tolerances, or refused with a
    physical conflict that names only figures the file gives; a refusal for the sweep
    names a slower rate, and with it stated as the Vset's condition the set is built and
    gives its figures back at that rate."""
    standard_sweep = named_rate = 0
    for k, spec in enumerate(figure_sets(10, volatile, seed=20)):
        path = write_device_file(spec, tmp_path / f"set{k}.yaml")
        try:
            device = load_device(str(path))
            standard_sweep += 1
        except BadInput as error:
            assert refusal_is_physical(str(error), spec), (spec, str(error))
            slower = at_named_sweep_rate(spec, str(error))
            if slower is None:
                continue
            device = load_device(str(write_device_file(slower, tmp_path / f"slow{k}.yaml")))
            assert device.conditions()["sweep_dwell_s"] > standard.SWEEP_DWELL_S
            named_rate += 1
        replayed = model_figures(device.params, volatile, device.conditions())
        assert not misses(replayed, spec["published"], {}), spec
    assert standard_sweep >= 5  # most of the space at 0.5 V/s (the benchmark has the rates)
    assert standard_sweep + named_rate >= 9


def test_a_refusal_for_the_sweep_says_how_slow_a_sweep_the_figures_fit(tmp_path):
    """The rate a refusal names is one the same figures are built at."""
    text = refusal(user_device(tmp_path, {"vset_mV": 40, "delay_ms": 100}, {"delay_at_mV": 48}))
    found = re.search(r"consistent at a sweep rate of at most ([\d.]+) V/s", text)
    assert found, text
    rate = float(found.group(1))
    assert rate < 0.5
    conditions = {"delay_at_mV": 48, "sweep_rate": rate}
    device = load_device(str(user_device(tmp_path, {"vset_mV": 40, "delay_ms": 100}, conditions)))
    figures = model_figures(device.params, True, device.conditions())
    assert figures["delay_ms"] == pytest.approx(100, rel=0.02)


def test_on_off_is_calibrated_on_the_cycles_a_slow_gap_has_not_relaxed_from(tmp_path):
    """A gap relaxing over 0.15 s (near the longest a calibration gives, 0.5 s / ln 20)
    keeps part of the previous cycle's closure through the sweep's 0.5 s rest, and the HRS
    read of the 19 later cycles (the median) sees it: the calibration corrects G_off for
    that closure, not for a relaxed gap's (a set of the coverage hypercube read On/Off 207
    for 434 before). The set fits one switch at 0.35 V/s, as its refusal at 0.5 V/s says."""
    conditions = {
        "delay_at_mV": 225,
        "retention_pulse_mV": 225,
        "retention_pulse_ms": 70.9,
        "sweep_rate": 0.35,
    }
    published = {"vset_mV": 117, "on_off_ratio": 434, "delay_ms": 47.3, "retention_ms": 104}
    device = load_device(str(user_device(tmp_path, published, conditions)))
    p = device.params
    iv = Protocols(device.conditions()).iv
    assert calibration.hrs_read_closure(p, iv) > 0.05  # the previous cycle's, not relaxed
    assert calibration.sweep_on_off(p, iv) == pytest.approx(434, rel=0.02)


def test_a_delay_at_the_set_voltage_is_calibrated_away_from_the_dc_threshold():
    """ag-tioxfy-pt's delay is stated at its own Vset (100 ms at 70 mV). The calibration
    keeps it far enough above the DC threshold that a pulse's draw of tau0 moves the delay
    little (slope 1.37, where the nearest solution had 4.3 and a third of the pulses did not
    set), and its gap relaxes within the 0.5 s rest between pulses."""
    device = load_device("ag-tioxfy-pt")
    p = device.params
    protocols = Protocols(device.conditions())
    typical = BmrDevice(p.model_copy(update={"sigma_tau0": 0.0}))
    x = p.tau_x * typical.g_rate(protocols.delay_at)
    assert calibration.SetKinetics({}, 0.0, 0.0, x).spread_slope() <= 1.4
    assert math.exp(-0.5 / p.tau_x) <= model.FRESH_ATTEMPT_X * 1.001
