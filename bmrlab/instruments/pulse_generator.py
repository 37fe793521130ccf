"""The pulse-generator interface that procedures use.

A generator is used one way: rectangular pulses from 0 V, in triggered bursts (one pulse,
a pair, or a train of ``count`` pulses every ``period``), started by a bus trigger
(``*TRG``) or by the rear-panel trigger input. Levels, widths and counts are programmed
only with the output off, because the amplitude relays glitch when they switch under power;
between bursts the output sits at the 0 V low level.

The level asked for is the level at the device. With ``OUTP:LOAD INF`` (the default, for a
high-impedance device) that is the programmed level; with the 50 ohm setting the generator
programs half of it, since it doubles into a high impedance. The series resistor of the
station file (which limits the current of a pulse that switches the device, as a generator
has no compliance) is recorded with every run.
"""

from ..errors import BadInput, InstrumentError
from ..safety import SafetyViolation
from .driver_contract import PulseGeneratorDriver

TRIGGER_SOURCES = {"bus": "BUS", "external": "EXT"}


class PulseGenerator:
    """A function generator as procedures see it. Every level passes through the guard."""

    def __init__(
        self,
        driver: PulseGeneratorDriver,
        guard,
        *,
        load: str,
        series_resistor: float,
        trigger: str = "bus",
    ):
        self.driver = driver
        self.guard = guard
        self.load = load
        self.series_resistor = series_resistor
        self.trigger = trigger
        self.gain = 2.0 if load == "50" else 1.0  # what a high-impedance device sees
        # (level, width, period, count) programmed, None until armed
        self.armed: tuple[float, float, float, int] | None = None
        self.settings: dict = {}

    def identify(self) -> str:
        return self.driver.id

    def instrument_facts(self) -> dict:
        """What the connected generator reports (queries only, nothing set)."""
        return self.driver.instrument_facts()

    def configure(self) -> None:
        self.driver.configure_bursts(
            "INF" if self.load == "INF" else "50", TRIGGER_SOURCES[self.trigger]
        )
        self.driver.raise_errors()
        self.settings = {
            "load": self.load,
            "series_resistor_ohm": self.series_resistor,
            "trigger": self.trigger,
        }

    @staticmethod
    def check(
        guard,
        driver_class: type[PulseGeneratorDriver],
        name: str,
        level: float,
        width: float,
        period: float | None = None,
        count: int = 1,
    ) -> None:
        """Refuse before a run (BadInput) what the station's limits or the generator model
        (``driver_class``, known without connecting) cannot do."""
        guard.check_voltage(name, level)
        guard.check_pulse_width(f"{name} width", width)
        if level < driver_class.min_amplitude:
            raise BadInput(
                f"{name} = {level:g} V is not allowed: the "
                f"{driver_class.model_name} pulses from 0 V to at least "
                f"{driver_class.min_amplitude:g} V"
            )
        if period is not None and count > 1 and period <= width:
            raise BadInput(
                f"{name} period = {period:g} s is not allowed: it must be longer "
                f"than the width ({width:g} s)"
            )

    def arm(self, level: float, width: float, period: float | None = None, count: int = 1) -> None:
        """Program ``count`` pulses (output off while programming), then output on at 0 V,
        waiting for the trigger. Unchanged settings are not sent again."""
        level = self.guard.level(level)
        width = self.guard.pulse_width(width)
        if level < self.driver.min_amplitude:
            raise SafetyViolation(
                f"refused a generator pulse to {level:g} V: pulses go from "
                f"0 V up by at least {self.driver.min_amplitude:g} V"
            )
        period = period if period is not None else 2 * width
        if period <= width:
            raise InstrumentError(f"pulse period {period:g} s is not longer than the width")
        wanted = (level, width, period, count)
        if wanted == self.armed:
            return
        self.driver.program_pulses(level / self.gain, width, period, count)
        self.driver.raise_errors()
        self.driver.output_on()
        self.armed = wanted

    def fire(self) -> float:
        """Start the armed burst (bus trigger); return how long it lasts."""
        if self.armed is None:
            raise InstrumentError("the pulse generator was fired before it was armed")
        _, width, period, count = self.armed
        self.driver.fire()
        return (count - 1) * period + width

    def single(self, level: float, width: float) -> float:
        self.arm(level, width)
        return self.fire()

    def paired(self, level: float, width: float, interval: float) -> float:
        """Two equal pulses, ``interval`` s from the end of the first to the start of the
        second."""
        self.arm(level, width, width + interval, 2)
        return self.fire()

    def train(self, level: float, width: float, period: float, count: int) -> float:
        self.arm(level, width, period, count)
        return self.fire()

    def safe_off(self) -> None:
        self.driver.output_off()
        self.armed = None
