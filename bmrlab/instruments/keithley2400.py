"""Keithley 2400 SourceMeter: pymeasure's driver, extended with buffered list sweeps.

Commands are checked against the 2400 Series SourceMeter User's Manual (2400S-900-01),
section 18 "SCPI Command Reference": ``:OUTPut:SMODe`` (output-off states: NORMal, ZERO,
HIMPedance, GUARd), ``:SOURce:FUNCtion``, ``:SOURce:VOLTage:MODE FIXed|LIST``,
``:SOURce:VOLTage:RANGe[:AUTO]``, ``:SOURce:LIST:VOLTage`` and ``:APPend`` (up to 100 values
a command, 2500 in a list), ``:SOURce:DELay``, ``:SENSe:FUNCtion``, ``:SENSe:CURRent:PROTection``
(compliance), ``:SENSe:CURRent:RANGe:AUTO``, ``:SENSe:CURRent:NPLCycles``,
``:SYSTem:AZERo:STATe ONCE``, ``:TRIGger:COUNt`` (1-2500), ``:TRACe:CLEar``, ``:TRACe:POINts``
(1-2500), ``:TRACe:FEED SENSe``, ``:TRACe:FEED:CONTrol NEXT``, ``:TRACe:POINts:ACTual?``,
``:READ?``, ``:TRACe:DATA?`` (all readings, FORMat:ELEMents VOLT, CURR, RES, TIME, STAT),
``:INITiate``, ``:ABORt``. Status word bit 3 (8): in compliance.

The 2400 has no range finer than 1 uA: a pA high-resistance state reads as that range's
offset, which is why its On/Off figures are lower bounds. Its buffer cannot be read in
parts, so a sweep segment is fetched when it is complete.
"""

import numpy as np
from pymeasure.instruments.keithley import Keithley2400 as PymeasureKeithley2400

from .scpi_smu import ScpiSourceMeter
from .smu import Smu

STATUS_COMPLIANCE = 8


class Keithley2400(ScpiSourceMeter, PymeasureKeithley2400):
    """The 2400 with the commands bmrlab's SMU interface needs (data format set by pymeasure:
    voltage, current, resistance, time, status)."""

    model_name = "Keithley 2400"

    def configure_voltage_source(self, source_range: float, compliance: float,
                                 off_mode: str) -> None:
        self.write(f":OUTP:SMOD {off_mode}")
        self.write(":SOUR:FUNC VOLT;:SOUR:VOLT:MODE FIX")
        self.write(f":SOUR:VOLT:RANG:AUTO OFF;:SOUR:VOLT:RANG {source_range:g}")
        self.write(f':SENS:FUNC "CURR";:SENS:CURR:PROT {compliance:g}')

    def configure_current_measurement(self, nplc: float, current_range: float | None) -> None:
        ranging = (":SENS:CURR:RANG:AUTO ON" if current_range is None
                   else f":SENS:CURR:RANG:AUTO OFF;:SENS:CURR:RANG {current_range:g}")
        self.write(f"{ranging};:SENS:CURR:NPLC {nplc:g}")
        self.write(":SYST:AZER:STAT ONCE")

    def set_level(self, volts: float) -> None:
        """A fixed level (the source may still be in list mode after a sweep)."""
        self.write(f":SOUR:VOLT:MODE FIX;:SOUR:VOLT {volts:g}")

    def arm_list_sweep(self, dwell: float, delay: float, passes: int, list_length: int) -> None:
        """Source the list ``passes`` times (one trigger a point) into a fresh buffer
        (``:INIT`` starts it)."""
        points = passes * list_length
        self.write(f":SOUR:VOLT:MODE LIST;:TRIG:COUN {points};:SOUR:DEL {delay:.6g}")
        self.write(f":TRAC:CLE;:TRAC:POIN {points};:TRAC:FEED SENS;:TRAC:FEED:CONT NEXT")

    def read_once(self) -> tuple[float, float, bool]:
        """One reading at the present fixed level: (voltage, current, in compliance)."""
        self.write(":TRAC:FEED:CONT NEV;:TRIG:COUN 1")
        values = [float(x) for x in self.ask(":READ?").split(",")]
        return values[0], values[1], (int(values[4]) & STATUS_COMPLIANCE) > 0

    def buffer_count(self) -> int:
        return int(self.ask(":TRAC:POIN:ACT?"))

    def buffer_readings(self):
        """All readings in the buffer: (time, voltage, current, in compliance)."""
        values = np.array(self.ask(":TRAC:DATA?").split(","), dtype=float).reshape(-1, 5)
        limited = (values[:, 4].astype(int) & STATUS_COMPLIANCE) > 0
        return values[:, 3], values[:, 0], values[:, 1], limited

    def output_off_safely(self, zero: float) -> None:
        """Stop the trigger model, back to a fixed level ``zero``, output off."""
        self.write(":ABOR")
        self.set_level(zero)
        self.write(":OUTP OFF")


class Keithley2400Smu(Smu):
    model = "Keithley 2400"
    max_list_points = 2500
    max_buffer_points = 2500
    voltage_ranges = (0.2, 2.0, 20.0, 200.0)
    current_resolution = 50e-12  # 1 uA range
    reading_overhead_s = 0.5e-3
    whole_buffer_only = True  # :TRAC:DATA? returns the whole buffer

    def _fetch(self, first, last):
        t, v, i, limit = self.driver.buffer_readings()
        return t[first - 1:last], v[first - 1:last], i[first - 1:last], limit[first - 1:last]
