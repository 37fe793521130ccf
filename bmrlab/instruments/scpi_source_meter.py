"""What bmrlab's SCPI source-meter drivers (2450, 2400) share: level writes, list upload,
the switch-off, and the few commands both spell alike."""

from typing import ClassVar

import numpy as np
from pymeasure.instruments import Instrument

from .common_queries import raise_instrument_errors

LIST_CHUNK = 100  # values per :SOUR:LIST command on both the 2450 and the 2400


class ScpiSourceMeter(Instrument):
    """Mixin for pymeasure drivers of SCPI source meters sourcing voltage, listed before the
    model's pymeasure class (derived from pymeasure's Instrument, whose ``write`` and ``ask``
    it uses)."""

    model_name: ClassVar[str] = "source meter"
    OFF_MODES: ClassVar[dict[str, str]] = {
        "normal": "NORM",
        "zero": "ZERO",
        "high-impedance": "HIMP",
        "guard": "GUAR",
    }
    raise_errors = raise_instrument_errors

    def set_level(self, volts: float) -> None:
        self.write(f":SOUR:VOLT {volts:g}")

    def upload_list(self, levels: np.ndarray) -> None:
        """Replace the source list by ``levels``, sent in groups of 100."""
        for k in range(0, len(levels), LIST_CHUNK):
            command = ":SOUR:LIST:VOLT" if k == 0 else ":SOUR:LIST:VOLT:APP"
            self.write(f"{command} " + ",".join(f"{v:.6g}" for v in levels[k : k + LIST_CHUNK]))

    def line_frequency(self) -> float:
        return float(self.ask(":SYST:LFR?"))

    def output_on(self) -> None:
        self.write(":OUTP ON")

    def start(self) -> None:
        self.write(":INIT")

    def output_off_safely(self, zero: float) -> None:
        """Stop the trigger model, source ``zero`` (0 V, checked by the guard), output off."""
        self.write(":ABOR")
        self.set_level(zero)
        self.write(":OUTP OFF")
