"""The pulse-generator interface that procedures use, and the SCPI both generators share.

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
from .scpi_smu import identity_facts, raise_instrument_errors

TRIGGER_SOURCES = {"bus": "BUS", "external": "EXT"}


class PulseCommands:
    """Mixin for pymeasure's 33500B / 33220A drivers: the SCPI of triggered pulse bursts.

    The pulse timing goes through the drivers' ``pulse_period`` and ``pulse_width``
    properties (the two models spell the period differently); the model sets
    ``min_amplitude`` (peak-to-peak into a high impedance).

    Compound messages follow the relative-node rule of IEEE 488.2 / SCPI: after ``;`` a header
    without a leading colon continues from the previous command's node, so
    ``BURS:MODE TRIG;NCYC 1`` means ``BURS:NCYC 1`` (``BURS:MODE TRIG;BURS:NCYC 1`` would be
    ``BURS:BURS:NCYC``, an undefined header)."""

    model_name = "function generator"
    min_amplitude: float
    options_query: str | None  # the model's query for its installed options, if it has one
    raise_errors = raise_instrument_errors

    def configure_bursts(self, load: str, trigger_source: str) -> None:
        """Output off, then a reset and every setting the bursts depend on: load, normal
        polarity, pulse function with the shortest edges, triggered single-cycle bursts,
        trigger source without delay. The timing the reset left is read back."""
        self.write("OUTP OFF")
        self.write("*RST")
        self.write(f"OUTP:LOAD {load}")
        self.write("OUTP:POL NORM")
        self.write("FUNC PULS")
        self.write("FUNC:PULS:TRAN MIN")
        self.write("BURS:MODE TRIG;NCYC 1;STAT ON")
        self.write(f"TRIG:SOUR {trigger_source};DEL 0")
        self.timing = (self.pulse_period, self.pulse_width)

    def program_pulses(self, high: float, width: float, period: float, count: int) -> None:
        """With the output off: 0 V low level then ``high`` (the low level is always 0 V and
        the high level always above it, so neither write conflicts), width and period in the
        order that keeps every intermediate pair valid, and the burst count."""
        self.write("OUTP OFF")
        self.write(f"VOLT:LOW 0;HIGH {high:.6g}")
        old_period = self.timing[0]
        if period >= old_period:  # the old width fits the longer period: period first
            self.pulse_period, self.pulse_width = period, width
        else:  # the new width fits the old, longer period: width first
            self.pulse_width, self.pulse_period = width, period
        self.timing = (period, width)
        self.write(f"BURS:NCYC {count}")

    def output_on(self) -> None:
        self.write("OUTP ON")

    def fire(self) -> None:
        self.write("*TRG")

    def output_off(self) -> None:
        self.write("OUTP OFF")

    def instrument_facts(self) -> dict:
        """Queries only: identity, options, the load setting and the trigger source."""
        identity = identity_facts(self.ask("*IDN?"))
        options = self.ask(self.options_query).strip() if self.options_query else ""
        return {**identity, "options": options,
                "load": self.ask("OUTP:LOAD?").strip(),
                "trigger_source": self.ask("TRIG:SOUR?").strip()}


class PulseGenerator:
    """A function generator as procedures see it. Every level passes through the guard."""

    def __init__(self, driver, guard, *, load: str, series_resistor: float,
                 trigger: str = "bus"):
        self.driver = driver
        self.guard = guard
        self.load = load
        self.series_resistor = series_resistor
        self.trigger = trigger
        self.gain = 2.0 if load == "50" else 1.0  # what a high-impedance device sees
        self.armed: tuple | None = None  # (level, width, period, count) programmed
        self.settings: dict = {}

    def identify(self) -> str:
        return self.driver.id

    def instrument_facts(self) -> dict:
        """What the connected generator reports (queries only, nothing set)."""
        return self.driver.instrument_facts()

    def configure(self) -> None:
        self.driver.configure_bursts("INF" if self.load == "INF" else "50",
                                     TRIGGER_SOURCES[self.trigger])
        self.driver.raise_errors()
        self.settings = {"load": self.load, "series_resistor_ohm": self.series_resistor,
                         "trigger": self.trigger}

    @staticmethod
    def check(guard, driver_class, name: str, level: float, width: float,
              period: float | None = None, count: int = 1) -> None:
        """Refuse before a run (BadInput) what the station's limits or the generator model
        (``driver_class``, known without connecting) cannot do."""
        guard.check_voltage(name, level)
        guard.check_pulse_width(f"{name} width", width)
        if level < driver_class.min_amplitude:
            raise BadInput(f"{name} = {level:g} V is not allowed: the "
                           f"{driver_class.model_name} pulses from 0 V to at least "
                           f"{driver_class.min_amplitude:g} V")
        if period is not None and count > 1 and period <= width:
            raise BadInput(f"{name} period = {period:g} s is not allowed: it must be longer "
                           f"than the width ({width:g} s)")

    def arm(self, level: float, width: float, period: float | None = None,
            count: int = 1) -> None:
        """Program ``count`` pulses (output off while programming), then output on at 0 V,
        waiting for the trigger. Unchanged settings are not sent again."""
        level = self.guard.level(level)
        width = self.guard.pulse_width(width)
        if level < self.driver.min_amplitude:
            raise SafetyViolation(f"refused a generator pulse to {level:g} V: pulses go from "
                                  f"0 V up by at least {self.driver.min_amplitude:g} V")
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
        level, width, period, count = self.armed
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
