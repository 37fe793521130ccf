"""Every instrument model bmrlab drives, in one table.

A station file names a model (``model: keithley2450``); its entry here says what the model
is (an SMU, a pulse generator or a switch matrix, by the table it is in), which driver speaks
to it, for an SMU which interface class holds its facts (list and buffer sizes, ranges,
timing), which off-modes it offers (the names of its driver's ``OFF_MODES``), and which simulated
instrument answers in its place on '@bmrsim'. The station file's validation
(``bmrlab.config``), the station's driver lookup and the simulated bench all read these
tables, so a model is added here once (docs/instruments.md, "Adding an instrument model").

The drivers are typed with the driver contract, so mypy checks each one against it.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from .agilent33220a import Agilent33220A
from .driver_contract import PulseGeneratorDriver, SmuDriver
from .keithley707b import Keithley707B
from .keithley2400 import Keithley2400, Keithley2400Smu
from .keithley2450 import Keithley2450, Keithley2450Smu
from .keithley2636b import Keithley2636B, Keithley2636BSmu
from .keysight33500b import Keysight33500B
from .smu import Smu


@dataclass(frozen=True)
class Simulator:
    """The simulated instrument of a model: its class as ``"module:Class"``, imported only
    when a simulated bench is built (the hardware path never loads the simulator), and the
    keyword arguments it takes besides the bench's."""

    path: str
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SmuModel:
    driver: type[SmuDriver]
    interface: type[Smu]  # what procedures call, with the model's facts
    simulator: Simulator

    @property
    def off_modes(self) -> tuple[str, ...]:
        """What "output off" may leave on this model (``off_mode`` in a station file)."""
        return tuple(self.driver.OFF_MODES)


@dataclass(frozen=True)
class PulseGeneratorModel:
    driver: type[PulseGeneratorDriver]
    simulator: Simulator


SMUS: dict[str, SmuModel] = {
    "keithley2450": SmuModel(
        Keithley2450, Keithley2450Smu, Simulator("bmrlab.sim.keithley2450:SimKeithley2450")
    ),
    "keithley2400": SmuModel(
        Keithley2400, Keithley2400Smu, Simulator("bmrlab.sim.keithley2400:SimKeithley2400")
    ),
    "keithley2636b": SmuModel(
        Keithley2636B, Keithley2636BSmu, Simulator("bmrlab.sim.keithley2636b:SimKeithley2636B")
    ),
}

SIMULATED_GENERATOR = "bmrlab.sim.generator:SimFunctionGenerator"  # one class, per-model facts

PULSE_GENERATORS: dict[str, PulseGeneratorModel] = {
    "keysight33500b": PulseGeneratorModel(
        Keysight33500B, Simulator(SIMULATED_GENERATOR, {"model": "33500B"})
    ),
    "agilent33220a": PulseGeneratorModel(
        Agilent33220A, Simulator(SIMULATED_GENERATOR, {"model": "33220A"})
    ),
}


@dataclass(frozen=True)
class SwitchModel:
    driver: type[Keithley707B]
    simulator: Simulator


SWITCHES: dict[str, SwitchModel] = {
    "keithley707b": SwitchModel(Keithley707B, Simulator("bmrlab.sim.keithley707b:SimKeithley707B")),
}

MODELS: dict[str, SmuModel | PulseGeneratorModel | SwitchModel] = {
    **SMUS,
    **PULSE_GENERATORS,
    **SWITCHES,
}

# every off-mode some SMU offers, in the order the models list them
OFF_MODES = tuple(dict.fromkeys(mode for model in SMUS.values() for mode in model.off_modes))
