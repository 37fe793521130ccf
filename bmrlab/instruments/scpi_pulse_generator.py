"""What bmrlab's function-generator drivers (33500B, 33220A) share: the SCPI of triggered
pulse bursts, and the identity and error queries."""

from typing import ClassVar

from pymeasure.instruments import Instrument

from .common_queries import identity_facts, raise_instrument_errors


class ScpiPulseGenerator(Instrument):
    """Mixin for pymeasure's 33500B / 33220A drivers, listed before the model's pymeasure
    class (derived from pymeasure's Instrument, whose ``write`` and ``ask`` it uses): the SCPI
    of triggered pulse bursts.

    The pulse timing goes through the drivers' ``pulse_period`` and ``pulse_width``
    properties (the two models spell the period differently); the model sets
    ``min_amplitude`` (peak-to-peak into a high impedance).

    Compound messages follow the relative-node rule of IEEE 488.2 / SCPI: after ``;`` a header
    without a leading colon continues from the previous command's node, so
    ``BURS:MODE TRIG;NCYC 1`` means ``BURS:NCYC 1`` (``BURS:MODE TRIG;BURS:NCYC 1`` would be
    ``BURS:BURS:NCYC``, an undefined header)."""

    pulse_period: float  # pymeasure controls (PULS:PER or FUNC:PULS:PER, by model)
    pulse_width: float

    model_name: ClassVar[str] = "function generator"
    min_amplitude: ClassVar[float]
    options_query: ClassVar[str | None]  # the model's query for its installed options, if any
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
        return {
            **identity,
            "options": options,
            "load": self.ask("OUTP:LOAD?").strip(),
            "trigger_source": self.ask("TRIG:SOUR?").strip(),
        }
