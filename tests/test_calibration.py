"""The calibration replays the protocols' own schemes, and its cache follows their source."""

import shutil

import numpy as np
import pytest

from bmrlab import standard
from bmrlab.analysis.iv import analyze_cycle
from bmrlab.procedures.iv_sweep import IvSweep
from bmrlab.procedures.retention import Retention
from bmrlab.sim import calibration, model
from bmrlab.sim.calibration import (
    Protocols,
    StandardSmu,
    cache_key,
    calibrate_cached,
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
