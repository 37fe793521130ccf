"""The instrument registry: every model listed there works end to end on its simulator, the
station refuses an off-mode the model lacks, and the hardware path loads no simulator.

A model added to ``bmrlab/instruments/registry.py`` is picked up here without editing this
file."""

import re
import subprocess
import sys

import numpy as np
import pytest

from bmrlab.config import StationConfig
from bmrlab.errors import BadInput
from bmrlab.instruments import registry
from bmrlab.station import Station


def simulated_station(
    smu_model: str, generator_model: str | None = None, off_mode: str = "zero"
) -> Station:
    instruments = {
        "smu": {
            "model": smu_model,
            "resource": "GPIB0::24::INSTR",
            "visa_library": "@bmrsim",
            "off_mode": off_mode,
        }
    }
    if generator_model:
        instruments["pulse_generator"] = {
            "model": generator_model,
            "resource": "GPIB0::10::INSTR",
            "visa_library": "@bmrsim",
        }
    return Station(StationConfig.model_validate({"instruments": instruments, "simulation": {}}))


@pytest.mark.parametrize("model", registry.SMUS)
def test_every_smu_model_configures_reads_and_switches_off_on_its_simulator(model):
    with simulated_station(model) as station:
        station.connect()
        smu = station.smu
        assert type(smu) is registry.SMUS[model].interface
        assert model.removeprefix("keithley") in station.identities["smu"].lower()
        smu.configure(max_abs_v=0.1, compliance=1e-4, nplc=1)
        reading = smu.read(0.05)
        smu.safe_off()
    assert np.isfinite(reading.i).all() and reading.v[0] == pytest.approx(0.05, abs=1e-3)
    assert not smu.output_on


@pytest.mark.parametrize("model", registry.PULSE_GENERATORS)
def test_every_pulse_generator_model_fires_a_pulse_on_its_simulator(model):
    with simulated_station("keithley2450", model) as station:
        station.connect()
        assert isinstance(station.generator.driver, registry.PULSE_GENERATORS[model].driver)
        duration = station.generator.single(0.1, 1e-3)
        station.generator.safe_off()
    assert duration == pytest.approx(1e-3)


def test_an_off_mode_the_model_lacks_is_refused_before_anything_is_opened():
    assert "guard" not in registry.SMUS["keithley2636b"].off_modes
    expected = (
        "instruments.smu.off_mode = guard in station is not allowed: the keithley2636b "
        "offers normal, zero, high-impedance"
    )
    with pytest.raises(BadInput, match=f"^{re.escape(expected)}$"):
        simulated_station("keithley2636b", off_mode="guard")


def test_the_hardware_path_does_not_import_the_simulator():
    code = (
        "import sys, bmrlab.station, bmrlab.runner; "
        "print(sorted(m for m in sys.modules if m.startswith('bmrlab.sim')))"
    )
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"
